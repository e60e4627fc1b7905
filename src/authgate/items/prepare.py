"""Payloads made ready before a write's transaction, nested items included.

Every item a payload writes (the payload itself, a many-to-one object, the items of an o2m
list or change set, at any depth) goes through its own collection's preparation: the
collection's ``CollectionRules.prepare`` (hashing, admin-only fields, password policy), or for
collections without rules the hashing of their ``hash`` fields. Preparation is async (hashing
runs off the event loop), so the walk runs before the transaction opens; inside it, nested
writes refuse any item that did not come through here (``Prepared``), so a relation can
never be a way around a collection's rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from authgate.errors import invalid_payload
from authgate.items.rows import typed_key
from authgate.schema.model import Collection
from authgate.schema.overview import SchemaOverview

# Deeper nesting than any real payload (a role tree written in one request is a few levels);
# past it the request is refused instead of recursing on.
MAX_NESTING = 16

Hook = Callable[[Collection, dict[str, Any], bool], Awaitable[dict[str, Any]]]


class Prepared(dict[str, Any]):
    """An item payload that went through its collection's preparation."""


async def prepare_payload(
    overview: SchemaOverview,
    collection: Collection,
    payload: Any,
    hook: Hook,
    *,
    creating: bool,
    depth: int = 0,
) -> Prepared:
    if not isinstance(payload, dict):
        raise invalid_payload('"value" must be of type object')
    if depth > MAX_NESTING:
        raise invalid_payload(f"Relational payloads can be nested {MAX_NESTING} levels deep")
    nested: dict[str, Any] = {}
    for name, value in payload.items():
        described = collection.field(name)
        if described is None:
            continue
        if described.is_alias:
            relation = overview.o2m(collection.name, name)
            child = overview.collection(relation.many_collection) if relation else None
            if child is not None:
                nested[name] = await _children(overview, child, value, hook, depth + 1)
            continue
        relation = overview.m2o(collection.name, name)
        if isinstance(value, dict) and relation is not None and relation.one_collection:
            related = overview.collection(relation.one_collection)
            if related is not None:
                nested[name] = await prepare_payload(
                    overview,
                    related,
                    value,
                    hook,
                    creating=_is_new(related, value),
                    depth=depth + 1,
                )
    own = await hook(collection, {k: v for k, v in payload.items() if k not in nested}, creating)
    ordered = {k: nested[k] if k in nested else own[k] for k in payload if k in nested or k in own}
    return Prepared({**ordered, **own, **nested})


async def _children(
    overview: SchemaOverview, child: Collection, value: Any, hook: Hook, depth: int
) -> Any:
    """An o2m value with each item object prepared; anything else is left for the write to
    refuse with its own message."""

    async def item(entry: Any, creating: bool | None = None) -> Any:
        if not isinstance(entry, dict):
            return entry
        new = _is_new(child, entry) if creating is None else creating
        return await prepare_payload(overview, child, entry, hook, creating=new, depth=depth)

    if isinstance(value, list):
        return [await item(entry) for entry in value]
    if isinstance(value, dict):
        changes = dict(value)
        for name, creating in (("create", True), ("update", False)):
            if isinstance(changes.get(name), list):
                changes[name] = [await item(entry, creating) for entry in changes[name]]
        return changes
    return value


def _is_new(collection: Collection, payload: dict[str, Any]) -> bool:
    return typed_key(collection, payload.get(collection.primary_key)) is None


def require_prepared(payload: Any, collection: Collection) -> None:
    """Inside the transaction: a nested item must have been prepared (the data model may have
    changed since, making a value a relation it was not during preparation)."""
    if isinstance(payload, dict) and not isinstance(payload, Prepared):
        raise invalid_payload(
            f'A nested "{collection.name}" item changed meaning during the write; send it again'
        )
