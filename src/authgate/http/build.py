"""Assembling the ASGI application: routes behind the pipeline."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.routing import BaseRoute, Router

from authgate.errors import route_not_found
from authgate.http.pipeline import Pipeline, raw_path
from authgate.http.routes import (
    access,
    auth,
    factors,
    graphql,
    items,
    jwks,
    own,
    passkeys,
    schema,
    server,
    sso,
    sso_accounts,
    users,
)
from authgate.http.services import Services
from authgate.pages import routes as pages


async def _not_found(scope: Any, receive: Any, send: Any) -> None:
    raise route_not_found(raw_path(scope))


def _ignoring_case(routes: Iterable[BaseRoute]) -> None:
    """Express's router matches paths whatever their case (``/AUTH/LOGIN`` is the login route,
    ``/USERS/ME`` the current user); parameters keep the case they were sent in."""
    for route in routes:
        pattern = getattr(route, "path_regex", None)
        if isinstance(pattern, re.Pattern):
            route.path_regex = re.compile(pattern.pattern, pattern.flags | re.IGNORECASE)  # type: ignore[attr-defined]
        _ignoring_case(getattr(route, "routes", ()))


def build_asgi(
    services: Services, lifespan: Callable[[Any], AbstractAsyncContextManager[None]]
) -> Pipeline:
    router = Router(
        routes=[
            *server.routes,
            *jwks.routes,
            *graphql.routes,  # early: a hot path, two exact paths that overlap nothing
            *auth.routes,
            *passkeys.routes,  # before users': /users/me/passkeys is not /users/{key}
            *sso_accounts.routes,  # before sso: /auth/login/<p>/backchannel-logout
            *sso.routes,
            *factors.routes,
            *own.routes,  # before /users/{key}: /users/me/sessions is not a user id
            *users.routes,
            *access.routes,
            *schema.routes,
            *items.routes,
            *pages.routes,
        ],
        redirect_slashes=False,
        default=_not_found,
        lifespan=lifespan,
    )
    _ignoring_case(router.routes)
    return Pipeline(router, services, pages=pages.area)
