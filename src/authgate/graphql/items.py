"""Resolvers of the collection queries and mutations (``articles``, ``articles_by_id``,
``articles_aggregated``, ``create_articles_item``...; ``users``, ``settings``... under
``/graphql/system``). Each translates its selection into the REST query and calls the service
the REST route calls: the same permission checks, the same single SQL read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from authgate.graphql.context import Info, RequestContext
from authgate.graphql.selection import aggregate_query, read_query
from authgate.query.params import Query
from authgate.system.me import read_permissions

Resolver = Callable[..., Awaitable[Any]]

USERS = "directus_users"
SETTINGS = "directus_settings"
PERMISSIONS = "directus_permissions"


class Target:
    """The service behind one collection, as REST reaches it: ``/users`` through the users
    service, ``/settings`` through the project service, ``/permissions`` listed with the
    built-in app rows, everything else through the items service."""

    def __init__(self, context: RequestContext, name: str) -> None:
        self.services = context.services
        self.accountability = context.accountability
        self.name = name

    async def read(self, query: Query) -> list[dict[str, Any]]:
        items, acc = self.services.items, self.accountability
        if self.name == PERMISSIONS:
            return (await read_permissions(items, acc, query)).data
        if self.name == USERS:
            return (await self.services.users.read_many(acc, query)).data
        return (await items.read(acc, self.name, query)).data

    async def read_one(self, key: Any, query: Query) -> dict[str, Any]:
        if self.name == USERS:
            return await self.services.users.read_one(self.accountability, key, query)
        return await self.services.items.read_one(self.accountability, self.name, key, query)

    async def read_singleton(self, query: Query, *, fresh: bool = False) -> dict[str, Any]:
        if self.name == SETTINGS:
            return await self.services.project.read(self.accountability, query)
        return await self.services.items.read_singleton(
            self.accountability, self.name, query, fresh=fresh
        )

    async def read_back(self, keys: Sequence[Any], query: Query, *, single: bool) -> Any:
        if self.name == USERS:
            return await self.services.users.read_back(
                self.accountability, keys, query, single=single
            )
        return await self.services.items.read_back(
            self.accountability, self.name, keys, query, single=single
        )

    async def create(self, payload: Any) -> list[Any]:
        if self.name == USERS:
            return await self.services.users.create(self.accountability, payload)
        return await self.services.items.create(self.accountability, self.name, payload)

    async def update(self, keys: Sequence[Any], payload: Any) -> list[Any]:
        if self.name == USERS:
            return await self.services.users.update(self.accountability, keys, payload)
        return await self.services.items.update(self.accountability, self.name, keys, payload)

    async def update_each(self, payload: Sequence[Any]) -> list[Any]:
        if self.name == USERS:
            return await self.services.users.update_each(self.accountability, payload)
        return await self.services.items.update_each(self.accountability, self.name, payload)

    async def delete(self, keys: Sequence[Any]) -> None:
        if self.name == USERS:
            await self.services.users.delete(self.accountability, keys)
            return
        await self.services.items.delete(self.accountability, self.name, keys)

    async def upsert_singleton(self, payload: Any) -> None:
        if self.name == SETTINGS:
            await self.services.project.update(self.accountability, payload)
            return
        await self.services.items.upsert_singleton(self.accountability, self.name, payload)


def selection_query(info: Info, args: Mapping[str, Any], primary: str) -> Query:
    context: RequestContext = info.context
    settings = context.services.settings
    return read_query(
        info,
        args,
        default_limit=settings.query_limit_default,
        limit_max=settings.query_limit_max,
        fallback=primary,
    )


def _bare(query: Query) -> Query:
    """A read-back: the selection only (Directus reads written items back by key)."""
    return Query(fields=query.fields, alias=query.alias, deep=query.deep)


# ------------------------------------------------------------------------ queries


def list_items(name: str, primary: str) -> Resolver:
    async def resolve(_root: Any, info: Info, **args: Any) -> Any:
        return await Target(info.context, name).read(selection_query(info, args, primary))

    return resolve


def singleton(name: str, primary: str) -> Resolver:
    async def resolve(_root: Any, info: Info) -> Any:
        return await Target(info.context, name).read_singleton(selection_query(info, {}, primary))

    return resolve


def item_by_id(name: str, primary: str) -> Resolver:
    async def resolve(_root: Any, info: Info, id: Any) -> Any:
        return await Target(info.context, name).read_one(id, selection_query(info, {}, primary))

    return resolve


def aggregated(name: str) -> Resolver:
    async def resolve(_root: Any, info: Info, **args: Any) -> Any:
        context: RequestContext = info.context
        query = aggregate_query(info, args, limit_max=context.services.settings.query_limit_max)
        result = await context.services.items.read(context.accountability, name, query)
        groups = query.group_by or ()
        return [{**row, "group": {g: row.get(g) for g in groups}} for row in result.data]

    return resolve


# ---------------------------------------------------------------------- mutations


def create_one(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, data: Any) -> Any:
        target = Target(info.context, name)
        keys = await target.create(data)
        if not readable:
            return True
        return await target.read_back(keys, _bare(selection_query(info, {}, primary)), single=True)

    return resolve


def create_many(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, data: Any, **args: Any) -> Any:
        target = Target(info.context, name)
        keys = await target.create(list(data))
        if not readable:
            return True
        query = _bare(selection_query(info, args, primary))
        return await target.read_back(keys, query, single=False) or []

    return resolve


def update_one(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, id: Any, data: Any) -> Any:
        target = Target(info.context, name)
        keys = await target.update([id], data)
        if not readable:
            return True
        return await target.read_back(keys, _bare(selection_query(info, {}, primary)), single=True)

    return resolve


def update_many(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, ids: Any, data: Any, **args: Any) -> Any:
        target = Target(info.context, name)
        keys = await target.update([k for k in ids if k is not None], data)
        if not readable:
            return True
        query = _bare(selection_query(info, args, primary))
        return await target.read_back(keys, query, single=False) or []

    return resolve


def update_batch(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, data: Any, **args: Any) -> Any:
        target = Target(info.context, name)
        keys = await target.update_each(list(data))
        if not readable:
            return True
        query = _bare(selection_query(info, args, primary))
        return await target.read_back(keys, query, single=False) or []

    return resolve


def update_singleton(name: str, primary: str, readable: bool) -> Resolver:
    async def resolve(_root: Any, info: Info, data: Any) -> Any:
        target = Target(info.context, name)
        await target.upsert_singleton(data)
        if not readable:
            return True
        query = selection_query(info, {}, primary)
        return await target.read_singleton(replace(query, limit=None), fresh=True)

    return resolve


def delete_one(name: str) -> Resolver:
    async def resolve(_root: Any, info: Info, id: Any) -> Any:
        await Target(info.context, name).delete([id])
        return {"id": id}

    return resolve


def delete_many(name: str) -> Resolver:
    async def resolve(_root: Any, info: Info, ids: Any) -> Any:
        keys = [k for k in ids if k is not None]
        await Target(info.context, name).delete(keys)
        return {"ids": keys}

    return resolve
