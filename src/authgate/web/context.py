"""Reading what the pipeline put on a request: services, body, accountability, client."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from authgate.access.model import Accountability
from authgate.query.params import Query, parse_qs_pairs, parse_query
from authgate.requester import Client
from authgate.web.pipeline import RequestState
from authgate.web.services import Services


def services(request: Request) -> Services:
    """Every service, as the pipeline put them on the request. Transitional: a route module
    declares the services it uses instead and receives them (``http/build.py``); see the
    README's "Development" section."""
    found: Services = request.scope["state"]["services"]
    return found


def state(request: Request) -> RequestState:
    found: RequestState = request.scope["state"]["request"]
    return found


def accountability(request: Request) -> Accountability:
    found: Accountability = request.scope["state"]["accountability"]
    return found


def body(request: Request) -> Any:
    return state(request).body


def client(request: Request) -> Client:
    current = state(request)
    return Client(ip=current.ip, user_agent=current.user_agent, origin=current.origin)


def query_param(request: Request, name: str) -> Any:
    """One query parameter as Directus's ``qs`` reads it: ``None`` when absent, a string when
    sent once, a list when repeated (``a=1&a=2``, ``a[]=1``), an object for ``a[k]=1``."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k.split("[", 1)[0] == name]
    return parse_qs_pairs(pairs).get(name) if pairs else None


def query(request: Request) -> Query:
    """``read_query`` with the limit read from the request's services (for handlers not yet
    given their dependencies: see ``services``)."""
    return read_query(request, services(request).settings.query_limit_max)


def read_query(request: Request, limit_max: int | None) -> Query:
    """The read query, from the query string (GET) or the body's ``query`` (SEARCH)."""
    if request.method == "SEARCH":
        payload = body(request)
        params = payload.get("query", {}) if isinstance(payload, dict) else {}
        if not isinstance(params, dict):
            params = {}
    else:
        params = parse_qs_pairs(request.query_params.multi_items())
    return parse_query(params, limit_max=limit_max)
