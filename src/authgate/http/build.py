"""Assembling the ASGI application: routes behind the pipeline. ``app.py`` hands in the routes
of the two other edges (``graphql_http.py``, ``pages/``), which this package does not import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.routing import BaseRoute, Router

from authgate.errors import route_not_found
from authgate.http.routes import (
    access,
    auth,
    factors,
    items,
    jwks,
    metrics,
    own,
    passkeys,
    schema,
    server,
    specs,
    sso,
    sso_accounts,
    users,
)
from authgate.http.services import Services
from authgate.web.pipeline import PageArea, Pipeline, PipelineDeps, raw_path


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
    services: Services,
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]],
    *,
    graphql: Sequence[BaseRoute],
    pages: Sequence[BaseRoute],
    page_area: PageArea,
) -> Pipeline:
    # Each route module receives the services it uses, and no others.
    limit_max = services.settings.query_limit_max
    item_deps = items.ItemsDeps(items=services.items, query_limit_max=limit_max)
    sso_deps = sso_accounts.SsoDeps(
        settings=services.settings,
        clock=services.clock,
        db=services.db,
        keys=services.keys,
        sessions=services.sessions,
        providers=services.providers,
        notices=services.notices,
    )
    router = Router(
        routes=[
            *server.routes(
                server.ServerDeps(
                    settings=services.settings,
                    db=services.db,
                    project=services.project,
                    query_limit_max=limit_max,
                    redis=services.redis,
                    mail_check=services.mail_check,
                )
            ),
            *metrics.routes(metrics.MetricsDeps(metrics=services.metrics)),
            *specs.routes(
                specs.SpecsDeps(
                    settings=services.settings,
                    clock=services.clock,
                    db=services.db,
                    items=services.items,
                    graphql_sdl=services.graphql_sdl,
                )
            ),
            *jwks.routes(
                jwks.JwksDeps(
                    settings=services.settings, clock=services.clock, sessions=services.sessions
                )
            ),
            *graphql,  # early: a hot path, two exact paths that overlap nothing
            *auth.routes(
                auth.AuthDeps(
                    settings=services.settings,
                    clock=services.clock,
                    sessions=services.sessions,
                    recovery=services.recovery,
                    providers=services.providers,
                )
            ),
            # before users': /users/me/passkeys is not /users/{key}
            *passkeys.routes(
                passkeys.PasskeysDeps(
                    settings=services.settings,
                    clock=services.clock,
                    sessions=services.sessions,
                    passkeys=services.passkeys,
                )
            ),
            *sso_accounts.routes(sso_deps),  # before sso: /auth/login/<p>/backchannel-logout
            *sso.routes(sso_deps),
            *factors.routes(factors.FactorsDeps(recovery_codes=services.recovery_codes)),
            # before /users/{key}: /users/me/sessions is not a user id
            *own.routes(
                own.OwnDeps(
                    db=services.db,
                    clock=services.clock,
                    keys=services.keys,
                    notices=services.notices,
                    max_keys=services.settings.api_keys_max,
                )
            ),
            *users.routes(
                users.UsersDeps(
                    users=services.users,
                    registration=services.registration,
                    invitations=services.invitations,
                    tfa=services.tfa,
                    limits=services.limits,
                    query_limit_max=limit_max,
                )
            ),
            *access.routes(
                access.AccessDeps(db=services.db, items=services.items, query_limit_max=limit_max),
                item_deps,
            ),
            *schema.routes(schema.SchemaDeps(schema=services.schema)),
            *items.routes(item_deps),
            *pages,
        ],
        redirect_slashes=False,
        default=_not_found,
        lifespan=lifespan,
    )
    _ignoring_case(router.routes)
    pipeline = PipelineDeps(
        settings=services.settings,
        cors=services.cors,
        limits=services.limits,
        authenticator=services.authenticator,
        sessions=services.sessions,
        metrics=services.metrics,
    )
    return Pipeline(router, pipeline, pages=page_area)
