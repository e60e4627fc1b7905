"""``/roles``, ``/policies``, ``/access``, ``/permissions`` and what callers may ask about
themselves: ``/roles/me``, ``/policies/me/globals``, ``/permissions/me``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.access.permissions import permissions_for
from authgate.errors import forbidden
from authgate.http.routes.items import ItemsDeps, item_routes
from authgate.items.service import ItemsService
from authgate.query.params import Query
from authgate.storage.db import Database
from authgate.system.me import my_collection_access, policy_globals, read_permissions
from authgate.web import context
from authgate.web.responses import data, json_response


@dataclass(frozen=True)
class AccessDeps:
    db: Database
    items: ItemsService
    query_limit_max: int | None


async def policies_me_globals(deps: AccessDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        return data({"app_access": False})
    return data(await deps.db.read(policy_globals, accountability))


async def roles_me(deps: AccessDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        raise forbidden()
    if not accountability.roles:
        return data([])
    try:
        rows = await deps.items.read_many_keys(
            accountability,
            "directus_roles",
            list(accountability.roles),
            context.read_query(request, deps.query_limit_max),
        )
    except Exception as error:  # a caller who may not read roles gets their ids (Directus)
        from authgate.errors import AuthError

        if not isinstance(error, AuthError) or error.code.value != "FORBIDDEN":
            raise
        rows = [{"id": role} for role in accountability.roles]
    return data(rows)


async def permissions_me(deps: AccessDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None and accountability.share is None:
        raise forbidden()

    return data(await deps.db.read(my_collection_access, deps.items, accountability))


async def permissions_me_item(deps: AccessDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        raise forbidden()
    collection = request.path_params["collection"]
    key = request.path_params.get("key")
    result = await deps.items.item_permissions(accountability, collection, key)
    return data(result)


async def list_permissions(deps: AccessDeps, request: Request) -> Response:
    """``GET /permissions``: never paginated; app-access callers (administrators included)
    also see the built-in app permissions, marked ``system``, as Directus lists them."""
    accountability = context.accountability(request)
    result = await read_permissions(
        deps.items, accountability, context.read_query(request, deps.query_limit_max)
    )
    body: dict[str, Any] = {"data": result.data}
    if result.meta is not None:
        body["meta"] = result.meta
    return json_response(body)


def _with_list_override(deps: AccessDeps, routes: list[Route]) -> list[Route]:
    return [Route("/permissions", partial(list_permissions, deps), methods=["GET", "SEARCH"])] + [
        r for r in routes if not (r.path == "/permissions" and "GET" in (r.methods or set()))
    ]


def routes(deps: AccessDeps, items: ItemsDeps) -> list[Route]:
    return [
        Route("/roles/me", partial(roles_me, deps), methods=["GET"]),
        Route("/policies/me/globals", partial(policies_me_globals, deps), methods=["GET"]),
        Route("/permissions/me", partial(permissions_me, deps), methods=["GET"]),
        Route("/permissions/me/{collection}", partial(permissions_me_item, deps), methods=["GET"]),
        Route(
            "/permissions/me/{collection}/{key}",
            partial(permissions_me_item, deps),
            methods=["GET"],
        ),
        *item_routes(items, "/roles", "directus_roles"),
        *item_routes(items, "/policies", "directus_policies"),
        *item_routes(items, "/access", "directus_access"),
        *_with_list_override(deps, item_routes(items, "/permissions", "directus_permissions")),
    ]


__all__ = ["Query", "permissions_for", "routes"]
