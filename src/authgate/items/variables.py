"""Dynamic variables in permission rules, validation rules and presets, resolved to values.

``$CURRENT_USER``, ``$CURRENT_ROLE(S)``, ``$CURRENT_POLICIES`` and ``$NOW`` resolve exactly as
in item filters (``query.variables.resolve``). Record paths (``$CURRENT_USER.role.name``,
``$CURRENT_ROLE.name``, ``$CURRENT_ROLES.0.name``) are read here, with administrator rights,
through the data model: a many-to-one field steps into the related record, an o2m alias gives
the list of its items (indexed by number, as lodash's ``get`` does in Directus), a JSON value is
walked into. A step that does not apply gives ``null``; concealed values (password, static
token, TFA secret) are never read and give ``null``.

The one entry point for filters, validation and presets is ``resolve_with_records``; with
``plain=False`` it replaces only the record paths and leaves the plain variables to the filter
compiler (which binds them as parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from authgate.access.record_paths import record_path, record_paths
from authgate.clock import iso_utc
from authgate.query import variables
from authgate.schema.model import Collection
from authgate.schema.overview import SchemaOverview

if TYPE_CHECKING:
    from authgate.query.filter import FilterContext

_COLLECTIONS = {
    "$CURRENT_USER": "directus_users",
    "$CURRENT_ROLE": "directus_roles",
    "$CURRENT_ROLES": "directus_roles",
    "$CURRENT_POLICIES": "directus_policies",
}
_MAX_STEPS = 10  # a path deeper than any real rule: read no further than this


def load_record_values(
    conn: Connection, overview: SchemaOverview, context: FilterContext, paths: Iterable[str]
) -> dict[str, Any]:
    """The value of each record path for the caller of ``context`` (one small read per step)."""
    values: dict[str, Any] = {}
    for path in paths:
        parsed = record_path(path)
        collection = overview.collection(_COLLECTIONS[parsed[0]]) if parsed else None
        if parsed is None or collection is None or len(parsed[1]) > _MAX_STEPS:
            values[path] = None
            continue
        root, steps = parsed
        if root == "$CURRENT_USER":
            values[path] = _from_record(conn, overview, collection, context.user, steps)
        elif root == "$CURRENT_ROLE":
            values[path] = _from_record(conn, overview, collection, context.role, steps)
        else:
            keys = context.roles if root == "$CURRENT_ROLES" else context.policies
            values[path] = _from_list(conn, overview, collection, list(keys), steps)
    return values


def _from_record(
    conn: Connection,
    overview: SchemaOverview,
    collection: Collection,
    key: Any,
    steps: Sequence[str],
) -> Any:
    if key is None or not steps or collection.name not in overview.tables:
        return None
    name, rest = steps[0], steps[1:]
    described = collection.field(name)
    if described is None or described.concealed:
        return None
    if described.is_alias:
        relation = overview.o2m(collection.name, name)
        child = overview.collection(relation.many_collection) if relation else None
        if relation is None or child is None or child.name not in overview.tables:
            return None
        table = overview.table(child.name)
        primary = table.c[child.primary_key]
        keys = [
            row[0]
            for row in conn.execute(
                select(primary).where(table.c[relation.many_field] == key).order_by(primary)
            )
        ]
        return _from_list(conn, overview, child, keys, rest)
    table = overview.table(collection.name)
    value = conn.execute(
        select(table.c[name]).where(table.c[collection.primary_key] == key)
    ).scalar_one_or_none()
    if not rest:
        return value
    relation = overview.m2o(collection.name, name)
    related = (
        overview.collection(relation.one_collection)
        if relation and relation.one_collection
        else None
    )
    if related is not None:
        return _from_record(conn, overview, related, value, rest)
    return _walk(value, rest)


def _from_list(
    conn: Connection,
    overview: SchemaOverview,
    collection: Collection,
    keys: list[Any],
    steps: Sequence[str],
) -> Any:
    if not steps:
        return keys
    index, rest = steps[0], steps[1:]
    if not index.isdigit() or int(index) >= len(keys):
        return None
    if not rest:
        return keys[int(index)]
    return _from_record(conn, overview, collection, keys[int(index)], rest)


def _walk(value: Any, steps: Sequence[str]) -> Any:
    """lodash ``get`` into a JSON value."""
    for step in steps:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def resolve_tree(
    tree: Any,
    context: FilterContext,
    values: Mapping[str, Any],
    *,
    plain: bool = True,
    literals: bool = False,
) -> Any:
    """``tree`` with each variable used as a value replaced: record paths from ``values``
    (unknown ones are ``null``), and with ``plain`` the plain variables and ``$NOW`` too. A
    variable in a list that resolves to a list is flattened into it (``{"_in":
    ["$CURRENT_ROLES"]}``). With ``literals``, the strings ``true``/``false``/``null`` become
    the values, as Directus does for validation rules and presets."""

    def one(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {key: one(value) for key, value in node.items()}
        if isinstance(node, list):
            out: list[Any] = []
            for item in node:
                resolved = one(item)
                is_variable = isinstance(item, str) and item.startswith("$")
                out += resolved if is_variable and isinstance(resolved, list) else [resolved]
            return out
        if isinstance(node, str) and node.startswith("$"):
            if record_path(node) is not None:
                return values.get(node)
            return variables.resolve(node, context) if plain else node
        if literals and isinstance(node, str) and node in _LITERALS:
            return _LITERALS[node]
        return node

    return one(tree)


_LITERALS: Mapping[str, Any] = {"true": True, "false": False, "null": None, "NULL": None}


def resolve_with_records(
    conn: Connection,
    overview: SchemaOverview,
    context: FilterContext,
    tree: Any,
    *,
    plain: bool = True,
    literals: bool = False,
) -> Any:
    """``resolve_tree`` after reading the record paths ``tree`` uses (none: no statement)."""
    paths = record_paths(tree)
    values = load_record_values(conn, overview, context, paths) if paths else {}
    return resolve_tree(tree, context, values, plain=plain, literals=literals)


def as_written(value: Any) -> Any:
    """A resolved preset value as a payload would carry it (``$NOW`` as an ISO string)."""
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return [as_written(item) for item in value]
    if isinstance(value, Mapping):
        return {key: as_written(item) for key, item in value.items()}
    return value
