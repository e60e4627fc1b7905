"""``/graphql`` (the project's collections) and ``/graphql/system`` (authentication and the
system collections): the transport around ``graphql/engine.py``. ``POST`` takes
``{query, variables, operationName}``; ``GET`` the same as query parameters (queries only).

It joins the web plumbing (``web/``) and the GraphQL engine, which know nothing of each other;
``app.py`` mounts these routes beside those of ``http/`` and ``pages/``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import jsvalues
from authgate.errors import AuthError, Code, invalid_payload, invalid_query, route_not_found
from authgate.graphql import enforcement
from authgate.graphql.context import CookieKind, ServiceBundle
from authgate.graphql.engine import GraphQLEngine, GraphQLRequest
from authgate.graphql.schema import Scope
from authgate.web import context
from authgate.web.responses import clear_cookie, json_response, set_cookie

# Every method reaches the route, which answers Directus's 405 for all but GET and POST.
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "SEARCH", "OPTIONS"]


def _variables(raw: Any) -> Any:
    """Variables may come as a JSON text (always, in a GET)."""
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise invalid_query("Variables are invalid JSON") from None
    return raw


def _received(request: Request) -> GraphQLRequest:
    if request.method == "GET":
        # Parameters as Directus's qs reads them: repeated or bracketed, a value is an array
        # or object (a query that does not parse, variables that are not JSON text once
        # JavaScript prints them, an operation name that names nothing).
        query = context.query_param(request, "query")
        variables = context.query_param(request, "variables")
        if variables is not None and not isinstance(variables, str):
            variables = jsvalues.string(variables)
        name = context.query_param(request, "operationName")
        return GraphQLRequest(
            query if jsvalues.truthy(query) else None,
            _variables(variables),
            name if jsvalues.truthy(name) else None,
            "GET",
        )
    if request.method != "POST":
        raise AuthError(
            Code.METHOD_NOT_ALLOWED,
            f'Invalid method "{request.method}" used. Should be one of "GET", "POST".',
            extensions={"allowed": ["GET", "POST"], "current": request.method},
            headers={"Allow": "GET, POST"},
        )
    body = context.body(request)
    if not isinstance(body, dict):
        # a batch (an array) has no "query": Directus answers as for a missing one
        raise invalid_payload("Must provide query string")
    # As Directus reads a POST body: a falsy value (null, 0, false, "") is no value, and the
    # variables are taken as sent (a string is not JSON text here, so GraphQL refuses it).
    variables = body.get("variables")
    name = body.get("operationName")
    return GraphQLRequest(
        body.get("query"),
        variables if jsvalues.truthy(variables) else None,
        name if jsvalues.truthy(name) else None,
        "POST",
    )


async def _serve(
    engine: GraphQLEngine | None, services: ServiceBundle, scope: Scope, request: Request
) -> Response:
    if engine is None:
        raise route_not_found(request.url.path)
    received = _received(request)
    accountability = context.accountability(request)
    if accountability.tfa_setup_required and not enforcement.open_before_enrolment(
        scope, received.query, received.operation_name
    ):
        raise AuthError(Code.TFA_SETUP_REQUIRED)
    outcome = await engine.run(
        services,
        scope,
        received,
        accountability,
        context.client(request),
        context.state(request).cookies,
    )
    response = json_response(outcome.body)
    settings = services.settings
    configs: dict[CookieKind, Any] = {
        "refresh": settings.refresh_cookie,
        "session": settings.session_cookie,
    }
    for kind, value in outcome.context.set_cookies:
        set_cookie(response, configs[kind], value, services.clock.now())
    for kind in outcome.context.cleared_cookies:
        clear_cookie(response, configs[kind])
    return response


def routes(engine: GraphQLEngine | None, services: ServiceBundle) -> list[Route]:
    async def items_endpoint(request: Request) -> Response:
        return await _serve(engine, services, "items", request)

    async def system_endpoint(request: Request) -> Response:
        return await _serve(engine, services, "system", request)

    return [
        Route("/graphql", items_endpoint, methods=_METHODS),
        Route("/graphql/system", system_endpoint, methods=_METHODS),
    ]
