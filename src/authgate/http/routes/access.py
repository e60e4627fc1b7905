"""``/roles``, ``/policies``, ``/access``, ``/permissions`` and what callers may ask about
themselves: ``/roles/me``, ``/policies/me/globals``, ``/permissions/me``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.access.permissions import permissions_for
from authgate.errors import forbidden
from authgate.http.routes.items import item_routes
from authgate.query.params import Query
from authgate.system.me import my_collection_access, policy_globals, read_permissions
from authgate.web import context
from authgate.web.responses import data, json_response


async def policies_me_globals(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        return data({"app_access": False})
    return data(await services.db.read(policy_globals, accountability))


async def roles_me(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        raise forbidden()
    if not accountability.roles:
        return data([])
    try:
        rows = await services.items.read_many_keys(
            accountability, "directus_roles", list(accountability.roles), context.query(request)
        )
    except Exception as error:  # a caller who may not read roles gets their ids (Directus)
        from authgate.errors import AuthError

        if not isinstance(error, AuthError) or error.code.value != "FORBIDDEN":
            raise
        rows = [{"id": role} for role in accountability.roles]
    return data(rows)


async def permissions_me(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None and accountability.share is None:
        raise forbidden()

    return data(await services.db.read(my_collection_access, services.items, accountability))


async def permissions_me_item(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    if accountability.user is None and accountability.role is None:
        raise forbidden()
    collection = request.path_params["collection"]
    key = request.path_params.get("key")
    result = await services.items.item_permissions(accountability, collection, key)
    return data(result)


async def list_permissions(request: Request) -> Response:
    """``GET /permissions``: never paginated; app-access callers (administrators included)
    also see the built-in app permissions, marked ``system``, as Directus lists them."""
    services = context.services(request)
    accountability = context.accountability(request)
    result = await read_permissions(services.items, accountability, context.query(request))
    body: dict[str, Any] = {"data": result.data}
    if result.meta is not None:
        body["meta"] = result.meta
    return json_response(body)


def _with_list_override(routes: list[Route]) -> list[Route]:
    return [Route("/permissions", list_permissions, methods=["GET", "SEARCH"])] + [
        r for r in routes if not (r.path == "/permissions" and "GET" in (r.methods or set()))
    ]


routes = [
    Route("/roles/me", roles_me, methods=["GET"]),
    Route("/policies/me/globals", policies_me_globals, methods=["GET"]),
    Route("/permissions/me", permissions_me, methods=["GET"]),
    Route("/permissions/me/{collection}", permissions_me_item, methods=["GET"]),
    Route("/permissions/me/{collection}/{key}", permissions_me_item, methods=["GET"]),
    *item_routes("/roles", "directus_roles"),
    *item_routes("/policies", "directus_policies"),
    *item_routes("/access", "directus_access"),
    *_with_list_override(item_routes("/permissions", "directus_permissions")),
]

__all__ = ["Query", "permissions_for", "routes"]
