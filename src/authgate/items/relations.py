"""Nested relational writes: a many-to-one object in a payload, an o2m list or change set
(each nested item prepared beforehand, see ``items/prepare.py``), and what happens to the
rows that point at deleted items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from authgate.access.grants import fields_forbidden
from authgate.errors import invalid_foreign_key, invalid_payload
from authgate.items.prepare import require_prepared
from authgate.items.rows import typed_key
from authgate.items.scope import Scope
from authgate.schema.model import Collection, Relation

if TYPE_CHECKING:
    from authgate.items.service import ItemsService


def write_related(
    service: ItemsService,
    conn: Connection,
    scope: Scope,
    collection: Collection,
    name: str,
    value: Mapping[str, Any],
) -> Any:
    """A nested many-to-one object: updated when it names an existing key, else created."""
    relation = scope.overview.m2o(collection.name, name)
    assert relation is not None and relation.one_collection is not None
    related = scope.overview.collection(relation.one_collection)
    if related is None:
        raise fields_forbidden([name], collection.name)
    require_prepared(value, related)
    key = typed_key(related, value.get(related.primary_key))
    if key is not None and service.exists(conn, scope, related, key):
        changes = {k: v for k, v in value.items() if k != related.primary_key}
        if changes:
            service.require(scope, related.name, "update")
            service.update_in(conn, scope, related, [key], changes)
        return key
    service.require(scope, related.name, "create")
    return service.create_in(conn, scope, related, value)


def write_children(
    service: ItemsService,
    conn: Connection,
    scope: Scope,
    collection: Collection,
    parent: Any,
    name: str,
    value: Any,
) -> None:
    """An o2m alias: a full list (the new set; others are deselected) or a change set."""
    relation = scope.overview.o2m(collection.name, name)
    assert relation is not None
    child = scope.overview.collection(relation.many_collection)
    assert child is not None
    back = relation.many_field
    if isinstance(value, dict):
        creates, updates, deletes = (
            value.get("create", []),
            value.get("update", []),
            value.get("delete", []),
        )
        if not all(isinstance(v, list) for v in (creates, updates, deletes)):
            raise invalid_payload(f'"{name}" needs arrays in "create", "update" and "delete"')
        keep = None
    elif isinstance(value, list):
        creates, updates, keep = _full_list(service, conn, scope, child, back, parent, value)
        deletes = []
    else:
        raise invalid_payload(f'"{name}" must be an array or a change set')
    for item in creates:
        if not isinstance(item, dict):
            raise invalid_payload(f'"{name}" items must be objects')
        require_prepared(item, child)
        service.require(scope, child.name, "create")
        created = service.create_in(conn, scope, child, {**item, back: parent})
        if keep is not None:
            keep.append(created)
    for item in updates:
        key = typed_key(child, item.get(child.primary_key)) if isinstance(item, dict) else None
        if key is None:
            raise invalid_payload(f'"{name}" updates need the item\'s "{child.primary_key}"')
        require_prepared(item, child)
        service.require(scope, child.name, "update")
        changes = {k: v for k, v in item.items() if k != child.primary_key}
        service.update_in(conn, scope, child, [key], {**changes, back: parent})
    if deletes:
        keys = [typed_key(child, k) for k in deletes]
        service.require(scope, child.name, "delete")
        service.delete_in(conn, scope, child, [k for k in keys if k is not None])
    if keep is not None:
        _unlink_others(service, conn, scope, relation, child, parent, keep)


def _full_list(
    service: ItemsService,
    conn: Connection,
    scope: Scope,
    child: Collection,
    back: str,
    parent: Any,
    value: list[Any],
) -> tuple[list[Any], list[Any], list[Any]]:
    """A full o2m list split into new items, edited items and the keys to keep; bare keys
    are linked here."""
    primary = child.primary_key
    creates = [v for v in value if isinstance(v, dict) and typed_key(child, v.get(primary)) is None]
    updates = [
        v for v in value if isinstance(v, dict) and typed_key(child, v.get(primary)) is not None
    ]
    linked = [typed_key(child, v) for v in value if not isinstance(v, dict)]
    keep = [u[primary] for u in updates] + [k for k in linked if k is not None]
    for key in linked:
        if key is not None:
            service.require(scope, child.name, "update")
            service.update_in(conn, scope, child, [key], {back: parent})
    return creates, updates, keep


def _unlink_others(
    service: ItemsService,
    conn: Connection,
    scope: Scope,
    relation: Relation,
    child: Collection,
    parent: Any,
    keep: list[Any],
) -> None:
    """Children of ``parent`` not in ``keep`` are deselected: deleted or nullified, per the
    relation."""
    back = relation.many_field
    table = scope.overview.table(child.name)
    primary = table.c[child.primary_key]
    children = select(primary).where(table.c[back] == parent)
    if keep:  # an empty list keeps nothing: every child is deselected
        children = children.where(primary.not_in(keep))
    gone = [row[0] for row in conn.execute(children)]
    if not gone:
        return
    if relation.one_deselect_action == "delete":
        service.require(scope, child.name, "delete")
        service.delete_in(conn, scope, child, gone)
    else:
        service.require(scope, child.name, "update")
        service.update_in(conn, scope, child, gone, {back: None})


def unlink_dependents(
    conn: Connection,
    scope: Scope,
    collection: Collection,
    relation: Relation,
    parents: Sequence[Any],
) -> None:
    """Rows of other collections pointing at items about to be deleted. Where a foreign key
    backs the relation, the database applies its ``ON DELETE`` (a ``RESTRICT`` refuses the
    delete). Without one, the default action ``SET NULL`` is emulated: the reference is cleared,
    and a reference that cannot be null refuses the delete. No row of another collection is
    ever deleted here (``one_deselect_action`` is for deselecting in an o2m, not for this). A
    refusal is the error Directus gives for a ``RESTRICT``: an invalid foreign key on the deleted
    collection's primary key."""
    if scope.overview.foreign_key(relation) is not None:
        return
    if relation.many_collection not in scope.overview.tables:
        return
    table = scope.overview.table(relation.many_collection)
    if relation.many_field not in table.c:
        return
    column = table.c[relation.many_field]
    many = scope.overview.collection(relation.many_collection)
    described = many.field(relation.many_field) if many is not None else None
    if described is not None and not described.nullable:
        if conn.execute(select(column).where(column.in_(list(parents))).limit(1)).first():
            raise invalid_foreign_key(collection.name, collection.primary_key)
        return
    conn.execute(update(table).where(column.in_(list(parents))).values({relation.many_field: None}))


# ----------------------------------------------------------------- helpers
