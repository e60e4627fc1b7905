"""One caller's schema: its collection types and their root fields (the project's collections
under ``/graphql``, the system collections without their ``directus_`` prefix under
``/graphql/system``, which also gets the auth operations), cached per data model and
permission set."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
)

from authgate.access.permissions import Permissions
from authgate.graphql import items
from authgate.graphql.filters import OPERATOR_TYPES
from authgate.graphql.lru import LRU
from authgate.graphql.scalars import GraphQLVoid
from authgate.graphql.system import TYPE_NAMES, system_mutations, system_queries
from authgate.graphql.types import TypeSet, read_arguments
from authgate.graphql.views import READ_ONLY, CollectionView, views_for
from authgate.schema.overview import SchemaOverview

Scope = Literal["items", "system"]
USERS = "directus_users"
POLICIES = "directus_policies"
PERMISSIONS = "directus_permissions"

_DELETED_ONE = GraphQLObjectType("delete_one", {"id": GraphQLField(GraphQLNonNull(GraphQLID))})
_DELETED_MANY = GraphQLObjectType(
    "delete_many", {"ids": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLID)))}
)
RESERVED = frozenset(
    {
        "Query",
        "Mutation",
        "Subscription",
        "String",
        "Int",
        "Float",
        "Boolean",
        "ID",
        "JSON",
        "Date",
        "Hash",
        "GraphQLBigInt",
        "GraphQLStringOrFloat",
        "Void",
        "delete_one",
        "delete_many",
        *TYPE_NAMES,
        *(t.name for t in OPERATOR_TYPES),
    }
)


def _in_scope(view: CollectionView, scope: Scope) -> bool:
    return view.name.startswith("directus_") == (scope == "system")


def _root_name(view: CollectionView, scope: Scope) -> str:
    return view.name[len("directus_") :] if scope == "system" else view.name


def _queries(types: TypeSet, view: CollectionView, name: str) -> dict[str, GraphQLField]:
    collection = view.collection
    primary = collection.primary_key
    read = types.read[view.name]
    if collection.singleton:
        return {name: GraphQLField(read, resolve=items.singleton(view.name, primary))}
    filter_type = types.filters[view.name][0]
    aggregated_args = {
        "groupBy": GraphQLArgument(GraphQLList(GraphQLString)),
        **read_arguments(filter_type, search=True),
    }
    return {
        name: GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(read))),
            read_arguments(filter_type, search=True),
            resolve=items.list_items(view.name, primary),
        ),
        f"{name}_by_id": GraphQLField(
            read,
            {"id": GraphQLArgument(GraphQLNonNull(GraphQLID))},
            resolve=items.item_by_id(view.name, primary),
        ),
        f"{name}_aggregated": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(types.aggregated[view.name]))),
            aggregated_args,
            resolve=items.aggregated(view.name),
        ),
    }


def _mutations(types: TypeSet, view: CollectionView, name: str) -> dict[str, GraphQLField]:
    collection = view.collection
    primary = collection.primary_key
    read = types.read.get(view.name)
    one: Any = read if read is not None else GraphQLBoolean
    many: Any = GraphQLNonNull(GraphQLList(GraphQLNonNull(read))) if read else GraphQLBoolean
    read_args = read_arguments(types.filters[view.name][0], search=True) if read else {}
    fields: dict[str, GraphQLField] = {}
    created = types.inputs.get(("create", view.name))
    if created is not None and not collection.singleton:
        readable = read is not None
        fields[f"create_{name}_items"] = GraphQLField(
            many,
            {**read_args, "data": GraphQLArgument(GraphQLList(GraphQLNonNull(created)))},
            resolve=items.create_many(view.name, primary, readable),
        )
        fields[f"create_{name}_item"] = GraphQLField(
            one,
            {"data": GraphQLArgument(GraphQLNonNull(created))},
            resolve=items.create_one(view.name, primary, readable),
        )
    updated = types.inputs.get(("update", view.name))
    if updated is not None:
        data = GraphQLArgument(GraphQLNonNull(updated))
        readable = read is not None
        if collection.singleton:
            fields[f"update_{name}"] = GraphQLField(
                one, {"data": data}, resolve=items.update_singleton(view.name, primary, readable)
            )
        else:
            fields[f"update_{name}_items"] = GraphQLField(
                many,
                {
                    **read_args,
                    "ids": GraphQLArgument(GraphQLNonNull(GraphQLList(GraphQLID))),
                    "data": data,
                },
                resolve=items.update_many(view.name, primary, readable),
            )
            fields[f"update_{name}_batch"] = GraphQLField(
                many,
                {**read_args, "data": GraphQLArgument(GraphQLList(GraphQLNonNull(updated)))},
                resolve=items.update_batch(view.name, primary, readable),
            )
            fields[f"update_{name}_item"] = GraphQLField(
                one,
                {"id": GraphQLArgument(GraphQLNonNull(GraphQLID)), "data": data},
                resolve=items.update_one(view.name, primary, readable),
            )
    if view.delete and not collection.singleton:
        fields[f"delete_{name}_items"] = GraphQLField(
            _DELETED_MANY,
            {"ids": GraphQLArgument(GraphQLNonNull(GraphQLList(GraphQLID)))},
            resolve=items.delete_many(view.name),
        )
        fields[f"delete_{name}_item"] = GraphQLField(
            _DELETED_ONE,
            {"id": GraphQLArgument(GraphQLNonNull(GraphQLID))},
            resolve=items.delete_one(view.name),
        )
    return fields


def build_schema(
    overview: SchemaOverview, permissions: Permissions, scope: Scope, *, has_user: bool
) -> GraphQLSchema:
    views = views_for(overview, permissions, RESERVED)
    types = TypeSet(overview, views)
    queries: dict[str, GraphQLField] = {}
    mutations: dict[str, GraphQLField] = {}
    for view in views.values():
        if not _in_scope(view, scope):
            continue
        name = _root_name(view, scope)
        if view.name in types.read:
            queries.update(_queries(types, view, name))
        if view.name not in READ_ONLY:
            mutations.update(_mutations(types, view, name))
    if scope == "system":
        users = types.read.get(USERS)
        queries.update(
            system_queries(
                users,
                reads_policies=POLICIES in types.read,
                may_read_permissions=permissions.can(PERMISSIONS, "read"),
            )
        )
        users_view = views.get(USERS)
        mutations.update(
            system_mutations(
                users_type=users,
                users_update=types.inputs.get(("update", USERS)),
                may_invite=users_view is not None and users_view.create is not None,
                has_user=has_user,
            )
        )
    if not queries:
        queries["_empty"] = GraphQLField(GraphQLVoid, description="There's no data to query.")
    return GraphQLSchema(
        query=GraphQLObjectType("Query", queries),
        mutation=GraphQLObjectType("Mutation", mutations) if mutations else None,
    )


@dataclass(frozen=True)
class CallerSchema:
    """A built schema, and the validation of the documents already checked against it (a
    document valid for a schema stays valid for it: the schema never changes once built)."""

    schema: GraphQLSchema
    validated: LRU[str, tuple[GraphQLError, ...]] = field(default_factory=lambda: LRU(256))


class SchemaCache:
    """Built schemas by (scope, data model epoch, permission set, signed in or not): bounded,
    shared by the requests of one process. The epoch is read from the shared database with
    every request, so a change made through any instance is seen by every instance."""

    def __init__(self, capacity: int) -> None:
        self.entries: LRU[Hashable, CallerSchema] = LRU(capacity)

    def get(
        self,
        overview: SchemaOverview,
        permissions: Permissions,
        scope: Scope,
        *,
        has_user: bool,
    ) -> CallerSchema:
        key = (scope, permissions.cache_key, has_user)
        return self.entries.get_or_make(
            key,
            lambda: CallerSchema(build_schema(overview, permissions, scope, has_user=has_user)),
        )
