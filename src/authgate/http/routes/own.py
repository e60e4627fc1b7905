"""``/users/me/sessions`` and ``/users/me/keys`` (and an administrator's ``/users/:id/...``):
one's own sessions and API keys (authgate's own endpoints; Directus has neither)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import crypto
from authgate.apikeys.service import ApiKeys
from authgate.clock import Clock
from authgate.crypto import Keys
from authgate.sessions.manage import OwnSessions
from authgate.storage.db import Database
from authgate.users.notices import SecurityNotices
from authgate.web import context
from authgate.web.responses import data, no_content


@dataclass(frozen=True)
class OwnDeps:
    db: Database
    clock: Clock
    keys: Keys
    notices: SecurityNotices | None  # a new key mails its user
    max_keys: int  # AUTH_API_KEYS_MAX


def _sessions(deps: OwnDeps) -> OwnSessions:
    return OwnSessions(db=deps.db, clock=deps.clock)


def _keys(deps: OwnDeps) -> ApiKeys:
    return ApiKeys(
        db=deps.db,
        clock=deps.clock,
        keys=deps.keys,
        random_token=crypto.random_token,
        max_keys=deps.max_keys,
        notices=deps.notices,
    )


def _user(request: Request) -> str | None:
    """``None`` for ``/users/me/...``, else the ``:id`` of ``/users/:id/...``."""
    key = request.path_params.get("key")
    return key if isinstance(key, str) else None


async def list_sessions(deps: OwnDeps, request: Request) -> Response:
    found = await _sessions(deps).listed(context.accountability(request), _user(request))
    return data([session.as_dict() for session in found])


async def end_session(deps: OwnDeps, request: Request) -> Response:
    await _sessions(deps).end(
        context.accountability(request), _user(request), request.path_params["session"]
    )
    return no_content()


async def end_sessions(deps: OwnDeps, request: Request) -> Response:
    await _sessions(deps).end_others(context.accountability(request), _user(request))
    return no_content()


async def list_keys(deps: OwnDeps, request: Request) -> Response:
    found = await _keys(deps).listed(context.accountability(request), _user(request))
    return data([key.as_dict() for key in found])


async def create_key(deps: OwnDeps, request: Request) -> Response:
    record, secret = await _keys(deps).create(
        context.accountability(request), _user(request), context.body(request)
    )
    response = data({**record.as_dict(), "token": secret})
    response.headers["Cache-Control"] = "no-store"  # the secret, shown this once
    return response


async def revoke_key(deps: OwnDeps, request: Request) -> Response:
    await _keys(deps).revoke(
        context.accountability(request), _user(request), request.path_params["id"]
    )
    return no_content()


def routes(deps: OwnDeps) -> list[Route]:
    return [
        Route("/users/me/sessions", partial(list_sessions, deps), methods=["GET"]),
        Route("/users/me/sessions", partial(end_sessions, deps), methods=["DELETE"]),
        Route("/users/me/sessions/{session}", partial(end_session, deps), methods=["DELETE"]),
        Route("/users/me/keys", partial(list_keys, deps), methods=["GET"]),
        Route("/users/me/keys", partial(create_key, deps), methods=["POST"]),
        Route("/users/me/keys/{id}", partial(revoke_key, deps), methods=["DELETE"]),
        Route("/users/{key}/sessions", partial(list_sessions, deps), methods=["GET"]),
        Route("/users/{key}/sessions", partial(end_sessions, deps), methods=["DELETE"]),
        Route("/users/{key}/sessions/{session}", partial(end_session, deps), methods=["DELETE"]),
        Route("/users/{key}/keys", partial(list_keys, deps), methods=["GET"]),
        Route("/users/{key}/keys", partial(create_key, deps), methods=["POST"]),
        Route("/users/{key}/keys/{id}", partial(revoke_key, deps), methods=["DELETE"]),
    ]
