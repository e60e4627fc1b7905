"""``/server/specs/oas`` (OpenAPI) and ``/server/specs/graphql[/system]`` (GraphQL SDL), per
caller as Directus serves them: what this caller may read, nothing more."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import __version__
from authgate.errors import route_not_found
from authgate.specs.openapi import RouteInfo, build_document
from authgate.web import context
from authgate.web.responses import json_response


def _routes(request: Request) -> list[RouteInfo]:
    router = request.scope.get("app")
    found = []
    for route in getattr(router, "routes", []):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if isinstance(path, str) and methods:
            found.append(RouteInfo(path, frozenset(methods)))
    return found


async def oas(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)

    def load(conn: Connection) -> Any:
        scope = services.items.scope(conn, accountability)
        return scope.overview, scope.permissions

    overview, permissions = await services.db.read(load)
    public_url = services.settings.public_url
    server_url = public_url if public_url != "/" else str(request.base_url).rstrip("/")
    document = build_document(
        _routes(request),
        readable=lambda name: bool(permissions.admin or permissions.rows(name, "read")),
        collections=list(overview.collections.values()),
        server_url=server_url,
        version=__version__,
    )
    return json_response(document)


async def graphql_sdl(request: Request) -> Response:
    services = context.services(request)
    engine = services.graphql
    if engine is None:
        raise route_not_found(request.url.path)
    scope: Literal["items", "system"] = (
        "system" if request.url.path.rstrip("/").endswith("/system") else "items"
    )
    sdl = await engine.sdl(services, scope, context.accountability(request))
    day = services.clock.now().date().isoformat()
    name = services.settings.project_name or "Directus"
    return Response(
        sdl,
        media_type="application/octet-stream; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}_{day}.graphql"'},
    )


def _safe(name: str) -> str:
    """A project name fit for a header's quoted file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64] or "Directus"


routes = [
    Route("/server/specs/oas", oas, methods=["GET"]),
    Route("/server/specs/graphql", graphql_sdl, methods=["GET"]),
    Route("/server/specs/graphql/system", graphql_sdl, methods=["GET"]),
    Route("/server/specs/graphql/items", graphql_sdl, methods=["GET"]),
]
