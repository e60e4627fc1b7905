"""What one caller may do with each collection, field by field: the part of the data model its
GraphQL schema is built from (a caller's schema shows nothing its permissions hide)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from authgate.access.grants import grant_of
from authgate.access.permissions import Permissions
from authgate.schema.model import Collection, Field
from authgate.schema.overview import SchemaOverview

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
# Collections Directus keeps out of GraphQL (served by their own resolvers, or not at all).
DENIED = frozenset(
    {
        "directus_collections",
        "directus_fields",
        "directus_relations",
        "directus_migrations",
        "directus_sessions",
        "directus_extensions",
    }
)
READ_ONLY = frozenset({"directus_activity", "directus_revisions"})
ACTIONS = ("read", "create", "update", "delete")


def is_graphql_name(name: str) -> bool:
    return bool(_NAME.match(name)) and not name.startswith("__")


@dataclass(frozen=True)
class CollectionView:
    collection: Collection
    read: tuple[Field, ...] | None  # None: not readable at all
    create: tuple[Field, ...] | None
    update: tuple[Field, ...] | None
    delete: bool

    @property
    def name(self) -> str:
        return self.collection.name


def _allowed(
    permissions: Permissions, collection: Collection, action: str
) -> tuple[Field, ...] | None:
    fields = [f for f in collection.fields if is_graphql_name(f.name)]
    if permissions.admin:
        return tuple(fields)
    rows = permissions.rows(collection.name, action)
    if not rows:
        return None
    grant = grant_of(rows, collection.name)
    return tuple(f for f in fields if grant.allows_field(f.name))


def type_names(name: str) -> tuple[str, ...]:
    """Every type name a collection's part of a schema uses."""
    return (
        name,
        f"{name}_filter",
        f"{name}_quantifier_filter",
        f"{name}_aggregated",
        f"{name}_aggregated_count",
        f"{name}_aggregated_fields",
        f"create_{name}_input",
        f"update_{name}_input",
    )


def views_for(
    overview: SchemaOverview, permissions: Permissions, reserved: Iterable[str]
) -> Mapping[str, CollectionView]:
    """The caller's view of every collection it may use at all. A collection whose name is
    not a GraphQL name, or whose type names would collide with a taken one, is left out."""
    taken = set(reserved)
    views: dict[str, CollectionView] = {}
    ordered = sorted(overview.collections.values(), key=lambda c: (not c.system, c.name))
    for collection in ordered:
        if collection.name in DENIED or not is_graphql_name(collection.name):
            continue
        names = type_names(collection.name)
        if taken.intersection(names):
            continue
        allowed = {action: _allowed(permissions, collection, action) for action in ACTIONS}
        view = CollectionView(
            collection,
            read=allowed["read"] or None,
            create=allowed["create"] or None,
            update=allowed["update"] or None,
            delete=allowed["delete"] is not None,
        )
        if view.read or view.create or view.update or view.delete:
            taken.update(names)
            views[collection.name] = view
    return views
