"""``/server/specs/oas`` (OpenAPI) and ``/server/specs/graphql[/system]`` (GraphQL SDL), per
caller as Directus serves them: what this caller may read, nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import __version__
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.errors import route_not_found
from authgate.items.service import ItemsService
from authgate.specs.openapi import RouteInfo, build_document
from authgate.storage.db import Database
from authgate.web import context
from authgate.web.responses import json_response
from authgate.web.services import GraphQLSdl


@dataclass(frozen=True)
class SpecsDeps:
    settings: Settings
    clock: Clock
    db: Database
    items: ItemsService
    graphql_sdl: GraphQLSdl | None


def _routes(request: Request) -> list[RouteInfo]:
    router = request.scope.get("app")
    found = []
    for route in getattr(router, "routes", []):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if isinstance(path, str) and methods:
            found.append(RouteInfo(path, frozenset(methods)))
    return found


async def oas(deps: SpecsDeps, request: Request) -> Response:
    accountability = context.accountability(request)

    def load(conn: Connection) -> Any:
        scope = deps.items.scope(conn, accountability)
        return scope.overview, scope.permissions

    overview, permissions = await deps.db.read(load)
    public_url = deps.settings.public_url
    server_url = public_url if public_url != "/" else str(request.base_url).rstrip("/")
    document = build_document(
        _routes(request),
        readable=lambda name: bool(permissions.admin or permissions.rows(name, "read")),
        collections=list(overview.collections.values()),
        server_url=server_url,
        version=__version__,
    )
    return json_response(document)


async def graphql_sdl(deps: SpecsDeps, request: Request) -> Response:
    if deps.graphql_sdl is None:
        raise route_not_found(request.url.path)
    system = request.url.path.rstrip("/").endswith("/system")
    scope: Literal["items", "system"] = "system" if system else "items"
    sdl = await deps.graphql_sdl(scope, context.accountability(request))
    day = deps.clock.now().date().isoformat()
    name = deps.settings.project_name or "Directus"
    return Response(
        sdl,
        media_type="application/octet-stream; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}_{day}.graphql"'},
    )


def _safe(name: str) -> str:
    """A project name fit for a header's quoted file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64] or "Directus"


def routes(deps: SpecsDeps) -> list[Route]:
    return [
        Route("/server/specs/oas", partial(oas, deps), methods=["GET"]),
        Route("/server/specs/graphql", partial(graphql_sdl, deps), methods=["GET"]),
        Route("/server/specs/graphql/system", partial(graphql_sdl, deps), methods=["GET"]),
        Route("/server/specs/graphql/items", partial(graphql_sdl, deps), methods=["GET"]),
    ]
