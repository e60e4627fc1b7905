"""Assembling the ASGI application: routes behind the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.routing import Router

from authgate.errors import route_not_found
from authgate.http.pipeline import Pipeline
from authgate.http.routes import access, auth, graphql, items, schema, server, sso, users
from authgate.http.services import Services
from authgate.pages import routes as pages


async def _not_found(scope: Any, receive: Any, send: Any) -> None:
    raise route_not_found(scope["path"])


def build_asgi(
    services: Services, lifespan: Callable[[Any], AbstractAsyncContextManager[None]]
) -> Pipeline:
    router = Router(
        routes=[
            *server.routes,
            *graphql.routes,  # early: a hot path, two exact paths that overlap nothing
            *auth.routes,
            *sso.routes,
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
    return Pipeline(router, services, pages=pages.area)
