"""The types of one caller's schema, from its views of the collections: an object type per
readable collection (named after it, relations as nested objects and lists), its filter
types, its ``_aggregated`` types, and the ``create_<c>_input`` / ``update_<c>_input`` types of
what it may write. Fields refer to each other in cycles, so every field map is a thunk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLString,
)

from authgate.graphql.filters import Relations, collection_filters
from authgate.graphql.scalars import GraphQLBigInt, GraphQLDate, GraphQLHash, GraphQLJSON
from authgate.graphql.views import CollectionView
from authgate.schema.model import Collection, Field
from authgate.schema.overview import SchemaOverview

_SCALARS: Mapping[str, Any] = {
    "boolean": GraphQLBoolean,
    "integer": GraphQLInt,
    "bigInteger": GraphQLBigInt,
    "float": GraphQLFloat,
    "decimal": GraphQLFloat,
    "csv": GraphQLList(GraphQLString),
    "json": GraphQLJSON,
    "timestamp": GraphQLDate,
    "dateTime": GraphQLDate,
    "date": GraphQLDate,
    "uuid": GraphQLID,
    "hash": GraphQLHash,
}
_NUMERIC = frozenset({"integer", "bigInteger", "float", "decimal"})
_WRITES = ("create", "update")


def scalar_of(collection: Collection, described: Field) -> Any:
    if described.name == collection.primary_key:
        return GraphQLID
    return _SCALARS.get(described.type, GraphQLString)


def by_response_key(source: Any, info: GraphQLResolveInfo[Any], **_args: Any) -> Any:
    """Items are read with GraphQL's aliases as REST aliases: a value sits under the key the
    response uses. (A related list's arguments were read with the selection, in
    ``selection.py``: nothing is dropped here.)"""
    return source.get(info.path.key) if isinstance(source, dict) else None


def read_arguments(
    filter_type: GraphQLInputObjectType | None, *, search: bool
) -> dict[str, GraphQLArgument]:
    args: dict[str, GraphQLArgument] = {}
    if filter_type is not None:
        args["filter"] = GraphQLArgument(filter_type)
    args.update(
        sort=GraphQLArgument(GraphQLList(GraphQLString)),
        limit=GraphQLArgument(GraphQLInt),
        offset=GraphQLArgument(GraphQLInt),
        page=GraphQLArgument(GraphQLInt),
    )
    if search:
        args["search"] = GraphQLArgument(GraphQLString)
    return args


def _nothing(_root: Any, _info: Any) -> None:
    return None


class TypeSet:
    """Every collection type of one schema; ``read``, ``filters``, ``inputs``, ``aggregated``
    hold only what the caller may use."""

    def __init__(self, overview: SchemaOverview, views: Mapping[str, CollectionView]) -> None:
        self.overview = overview
        self.views = views
        # A type needs a field of its own: a collection whose visible fields are all aliases
        # (or a write with only aliases) is left out.
        readable = {name: view for name, view in views.items() if _has_column(view.read)}
        self.readable = frozenset(readable)
        self.read: dict[str, GraphQLObjectType] = {
            name: GraphQLObjectType(name, self._read_fields(view))
            for name, view in readable.items()
        }
        self.filters: dict[str, tuple[GraphQLInputObjectType, GraphQLInputObjectType]] = {}
        for name, view in readable.items():
            assert view.read is not None
            self.filters[name] = collection_filters(
                name, list(view.read), self._relations(view.collection, view.read), self.filters.get
            )
        self.inputs: dict[tuple[str, str], GraphQLInputObjectType] = {}
        for action in _WRITES:
            for name, view in views.items():
                if _has_column(getattr(view, action)):
                    self.inputs[(action, name)] = GraphQLInputObjectType(
                        f"{action}_{name}_input", self._input_fields(view, action)
                    )
        self.aggregated = {
            name: self._aggregated(view)
            for name, view in readable.items()
            if not view.collection.singleton
        }

    # ------------------------------------------------------------------ reads

    def _relations(self, collection: Collection, fields: tuple[Field, ...]) -> Relations:
        """Fields that lead to another readable collection: (target, lists many)."""
        found: dict[str, tuple[str, bool]] = {}
        for described in fields:
            if described.is_alias:
                o2m = self.overview.o2m(collection.name, described.name)
                if o2m is not None:
                    found[described.name] = (o2m.many_collection, True)
                continue
            m2o = self.overview.m2o(collection.name, described.name)
            if m2o is not None and m2o.one_collection:
                found[described.name] = (m2o.one_collection, False)
        return {name: target for name, target in found.items() if target[0] in self.readable}

    def _read_fields(self, view: CollectionView) -> Any:
        def fields() -> dict[str, GraphQLField]:
            assert view.read is not None
            relations = self._relations(view.collection, view.read)
            built: dict[str, GraphQLField] = {}
            for described in view.read:
                target = relations.get(described.name)
                if target is not None:
                    related = self.read[target[0]]
                    if target[1]:
                        built[described.name] = GraphQLField(
                            GraphQLList(related),
                            args=read_arguments(self.filters[target[0]][0], search=False),
                            resolve=by_response_key,
                        )
                    else:
                        built[described.name] = GraphQLField(related, resolve=by_response_key)
                elif not described.is_alias:
                    built[described.name] = GraphQLField(
                        scalar_of(view.collection, described), resolve=by_response_key
                    )
                elif self.overview.o2m(view.collection.name, described.name) is not None:
                    # A one-to-many into a collection the caller may not read: Directus keeps
                    # it in the type as a String that answers null (REST leaves it out).
                    built[described.name] = GraphQLField(GraphQLString, resolve=_nothing)
            return built

        return fields

    def _aggregated(self, view: CollectionView) -> GraphQLObjectType:
        assert view.read is not None
        columns = [f for f in view.read if not f.is_alias]
        numeric = [f for f in columns if f.type in _NUMERIC]
        fields: dict[str, GraphQLField] = {
            "group": GraphQLField(GraphQLJSON),
            "countAll": GraphQLField(GraphQLInt),
        }
        if columns:
            counts = GraphQLObjectType(
                f"{view.name}_aggregated_count", {f.name: GraphQLField(GraphQLInt) for f in columns}
            )
            fields.update(count=GraphQLField(counts), countDistinct=GraphQLField(counts))
        if numeric:
            values = GraphQLObjectType(
                f"{view.name}_aggregated_fields",
                {f.name: GraphQLField(GraphQLFloat) for f in numeric},
            )
            for operation in ("avg", "sum", "avgDistinct", "sumDistinct", "min", "max"):
                fields[operation] = GraphQLField(values)
        return GraphQLObjectType(f"{view.name}_aggregated", fields)

    # ----------------------------------------------------------------- writes

    def _input_fields(self, view: CollectionView, action: str) -> Any:
        collection = view.collection

        def fields() -> dict[str, GraphQLInputField]:
            built: dict[str, GraphQLInputField] = {}
            for described in getattr(view, action) or ():
                kind: GraphQLInputType | None
                if described.is_alias:
                    o2m = self.overview.o2m(collection.name, described.name)
                    child = self.inputs.get((action, o2m.many_collection)) if o2m else None
                    kind = GraphQLList(GraphQLNonNull(child)) if child is not None else None
                else:
                    m2o = self.overview.m2o(collection.name, described.name)
                    related = (
                        self.inputs.get((action, m2o.one_collection))
                        if m2o is not None and m2o.one_collection
                        else None
                    )
                    # Nothing is marked required (Directus marks non-nullable columns): the
                    # same input type serves nested objects, where ``{id}`` links an existing
                    # item. A missing value is refused by the service, as over REST.
                    kind = related if related is not None else scalar_of(collection, described)
                if kind is not None:
                    built[described.name] = GraphQLInputField(kind)
            return built

        return fields


def _has_column(fields: tuple[Field, ...] | None) -> bool:
    return fields is not None and any(not f.is_alias for f in fields)
