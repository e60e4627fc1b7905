"""``/users/me/sessions`` and ``/users/me/keys`` (and an administrator's ``/users/:id/...``):
one's own sessions and API keys (authgate's own endpoints; Directus has neither)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import crypto
from authgate.apikeys.service import ApiKeys
from authgate.http import context
from authgate.http.responses import data, no_content
from authgate.sessions.manage import OwnSessions


def _sessions(request: Request) -> OwnSessions:
    services = context.services(request)
    return OwnSessions(db=services.db, clock=services.clock)


def _keys(request: Request) -> ApiKeys:
    services = context.services(request)
    return ApiKeys(
        db=services.db,
        clock=services.clock,
        keys=services.keys,
        random_token=crypto.random_token,
        notices=services.notices,
    )


def _user(request: Request) -> str | None:
    """``None`` for ``/users/me/...``, else the ``:id`` of ``/users/:id/...``."""
    key = request.path_params.get("key")
    return key if isinstance(key, str) else None


async def list_sessions(request: Request) -> Response:
    found = await _sessions(request).listed(context.accountability(request), _user(request))
    return data([session.as_dict() for session in found])


async def end_session(request: Request) -> Response:
    await _sessions(request).end(
        context.accountability(request), _user(request), request.path_params["session"]
    )
    return no_content()


async def end_sessions(request: Request) -> Response:
    await _sessions(request).end_others(context.accountability(request), _user(request))
    return no_content()


async def list_keys(request: Request) -> Response:
    found = await _keys(request).listed(context.accountability(request), _user(request))
    return data([key.as_dict() for key in found])


async def create_key(request: Request) -> Response:
    record, secret = await _keys(request).create(
        context.accountability(request), _user(request), context.body(request)
    )
    response = data({**record.as_dict(), "token": secret})
    response.headers["Cache-Control"] = "no-store"  # the secret, shown this once
    return response


async def revoke_key(request: Request) -> Response:
    await _keys(request).revoke(
        context.accountability(request), _user(request), request.path_params["id"]
    )
    return no_content()


routes = [
    Route("/users/me/sessions", list_sessions, methods=["GET"]),
    Route("/users/me/sessions", end_sessions, methods=["DELETE"]),
    Route("/users/me/sessions/{session}", end_session, methods=["DELETE"]),
    Route("/users/me/keys", list_keys, methods=["GET"]),
    Route("/users/me/keys", create_key, methods=["POST"]),
    Route("/users/me/keys/{id}", revoke_key, methods=["DELETE"]),
    Route("/users/{key}/sessions", list_sessions, methods=["GET"]),
    Route("/users/{key}/sessions", end_sessions, methods=["DELETE"]),
    Route("/users/{key}/sessions/{session}", end_session, methods=["DELETE"]),
    Route("/users/{key}/keys", list_keys, methods=["GET"]),
    Route("/users/{key}/keys", create_key, methods=["POST"]),
    Route("/users/{key}/keys/{id}", revoke_key, methods=["DELETE"]),
]
