"""Item routes, the same for ``/items/<collection>`` and for the system collections that are
plain item collections in Directus (``/roles``, ``/policies``, ``/access``, ``/permissions``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.errors import forbidden, invalid_payload, route_not_found
from authgate.items.service import ItemsService
from authgate.query.params import Query, parse_query
from authgate.web import context
from authgate.web.responses import data, json_response, no_content


@dataclass(frozen=True)
class ItemsDeps:
    items: ItemsService
    query_limit_max: int | None


Handler = Callable[[Request], Awaitable[Response]]


def _collection(request: Request, fixed: str | None) -> str:
    if fixed is not None:
        return fixed
    name: str = request.path_params["collection"]
    if name.startswith("directus_"):
        raise forbidden()  # system collections have their own routes
    return name


async def _singleton(deps: ItemsDeps, request: Request, name: str) -> bool:
    return await deps.items.is_singleton(context.accountability(request), name)


async def _keys_from(deps: ItemsDeps, request: Request, name: str, payload: Any) -> list[Any]:
    if not isinstance(payload, dict):
        raise invalid_payload('"value" must be of type object')
    has_keys, has_query = "keys" in payload, "query" in payload
    if has_keys == has_query:
        raise invalid_payload('Either "keys" or "query" is required')
    if has_keys:
        keys = payload["keys"]
        if not isinstance(keys, list):
            raise invalid_payload('"keys" must be an array')
        return keys
    if not isinstance(payload["query"], dict):
        raise invalid_payload('"query" must be an object')
    query: Query = parse_query(payload["query"])
    return await deps.items.keys_for_query(context.accountability(request), name, query)


async def read_back(
    deps: ItemsDeps, request: Request, name: str, keys: list[Any], *, single: bool
) -> Response:
    result = await deps.items.read_back(
        context.accountability(request),
        name,
        keys,
        context.read_query(request, deps.query_limit_max),
        single=single,
    )
    return no_content() if result is None else data(result)


async def _read_many(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    accountability = context.accountability(request)
    query = context.read_query(request, deps.query_limit_max)
    if await _singleton(deps, request, name):
        return data(await deps.items.read_singleton(accountability, name, query))
    result = await deps.items.read(accountability, name, query)
    body: dict[str, Any] = {"data": result.data}
    if result.meta is not None:
        body["meta"] = result.meta
    return json_response(body)


async def _read_one(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    item = await deps.items.read_one(
        context.accountability(request),
        name,
        request.path_params["key"],
        context.read_query(request, deps.query_limit_max),
    )
    return data(item)


async def _create(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    if await _singleton(deps, request, name):
        raise route_not_found(request.url.path)
    payload = context.body(request)
    if not isinstance(payload, dict | list):
        raise invalid_payload('"value" must be of type object')
    keys = await deps.items.create(context.accountability(request), name, payload)
    return await read_back(deps, request, name, keys, single=isinstance(payload, dict))


async def _update_many(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    accountability = context.accountability(request)
    payload = context.body(request)
    if await _singleton(deps, request, name):
        await deps.items.upsert_singleton(accountability, name, payload)
        return data(
            await deps.items.read_singleton(
                accountability, name, context.read_query(request, deps.query_limit_max), fresh=True
            )
        )
    if isinstance(payload, list):
        keys = await deps.items.update_each(accountability, name, payload)
        return await read_back(deps, request, name, keys, single=False)
    keys = await _keys_from(deps, request, name, payload)
    if not isinstance(payload.get("data"), dict):
        raise invalid_payload('"data" is required')
    keys = await deps.items.update(accountability, name, keys, payload["data"])
    return await read_back(deps, request, name, keys, single=False)


async def _update_one(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    keys = await deps.items.update(
        context.accountability(request),
        name,
        [request.path_params["key"]],
        context.body(request),
    )
    return await read_back(deps, request, name, keys, single=True)


async def _delete_many(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    payload = context.body(request)
    keys = payload if isinstance(payload, list) else await _keys_from(deps, request, name, payload)
    await deps.items.delete(context.accountability(request), name, keys)
    return no_content()


async def _delete_one(deps: ItemsDeps, fixed: str | None, request: Request) -> Response:
    name = _collection(request, fixed)
    await deps.items.delete(context.accountability(request), name, [request.path_params["key"]])
    return no_content()


def item_routes(deps: ItemsDeps, prefix: str, fixed: str | None = None) -> list[Route]:
    """The items endpoints under ``prefix``: ``/items/{collection}`` or, with ``fixed``, a
    system collection's own path."""
    base = prefix if fixed is not None else f"{prefix}/{{collection}}"
    return [
        Route(base, partial(_read_many, deps, fixed), methods=["GET", "SEARCH"]),
        Route(base, partial(_create, deps, fixed), methods=["POST"]),
        Route(base, partial(_update_many, deps, fixed), methods=["PATCH"]),
        Route(base, partial(_delete_many, deps, fixed), methods=["DELETE"]),
        Route(f"{base}/{{key}}", partial(_read_one, deps, fixed), methods=["GET"]),
        Route(f"{base}/{{key}}", partial(_update_one, deps, fixed), methods=["PATCH"]),
        Route(f"{base}/{{key}}", partial(_delete_one, deps, fixed), methods=["DELETE"]),
    ]


def routes(deps: ItemsDeps) -> list[Route]:
    return item_routes(deps, "/items")
