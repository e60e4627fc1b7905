"""A GraphQL selection set and its arguments, as the REST query the items service runs.

``{ articles(filter: ..., limit: 5) { title  t: status  author { name }  comments(limit: 2)
{ body } } }`` becomes ``fields=title,t,author.name,comments.body``, ``alias={t: status}``,
``deep={comments: {_limit: 2}}`` plus the root's filter and limit (Directus's ``getQuery``):
one Query, so one SQL statement and the same permission checks as the REST twin. Aliases
inside a relation go to ``deep.<path>._alias``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values

from authgate.graphql.literals import with_literal_filter
from authgate.query.params import Query, parse_query

_READ_ARGS = ("filter", "sort", "limit", "offset", "page", "search")


@dataclass
class _Paths:
    fields: list[str] = field(default_factory=list)
    alias: dict[str, str] = field(default_factory=dict)
    deep: dict[str, Any] = field(default_factory=dict)

    def deep_at(self, path: str) -> dict[str, Any]:
        node = self.deep
        for part in path.split("."):
            node = node.setdefault(part, {})
        return node


def _included(node: Any, info: GraphQLResolveInfo[Any]) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, info.variable_values)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, info.variable_values)
    return include is None or include.get("if") is not False


def _nested_arguments(args: Mapping[str, Any], default_limit: int) -> dict[str, Any]:
    """A relation's own arguments as ``deep`` keys (``page`` becomes an offset)."""
    deep: dict[str, Any] = {}
    if args.get("filter") is not None:
        deep["_filter"] = args["filter"]
    if args.get("sort"):
        deep["_sort"] = list(args["sort"])
    if args.get("limit") is not None:
        deep["_limit"] = args["limit"]
    if args.get("offset") is not None:
        deep["_offset"] = args["offset"]
    page = args.get("page")
    if page is not None and page > 0:
        limit = args.get("limit")
        deep["_offset"] = (default_limit if limit is None else limit) * (page - 1)
    return deep


def _walk(
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    prefix: str | None,
    paths: _Paths,
    info: GraphQLResolveInfo[Any],
    default_limit: int,
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, info):
            continue
        if isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, parent, prefix, paths, info, default_limit)
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                _walk(fragment.selection_set, parent, prefix, paths, info, default_limit)
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        if name.startswith("__"):
            continue  # __typename: answered by GraphQL itself
        key = selection.alias.value if selection.alias else name
        if selection.alias:
            if prefix is None:
                paths.alias[key] = name
            else:
                paths.deep_at(prefix).setdefault("_alias", {})[key] = name
        path = key if prefix is None else f"{prefix}.{key}"
        definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
        if selection.selection_set is not None and definition is not None:
            before = len(paths.fields)
            child = get_named_type(definition.type)
            _walk(selection.selection_set, child, path, paths, info, default_limit)
            if len(paths.fields) == before:
                paths.fields.append(path)
        else:
            paths.fields.append(path)
        if selection.arguments and definition is not None:
            args = get_argument_values(definition, selection, info.variable_values)
            nested = _nested_arguments(with_literal_filter(args, selection), default_limit)
            if nested:
                paths.deep_at(path).update(nested)


def selected_paths(info: GraphQLResolveInfo[Any], default_limit: int) -> _Paths:
    """The REST ``fields``, ``alias`` and ``deep`` of the field being resolved (every node of
    it: ``{ a { x } a { y } }`` asks for both)."""
    paths = _Paths()
    parent = get_named_type(info.return_type)
    for node in info.field_nodes:
        if node.selection_set is not None:
            _walk(node.selection_set, parent, None, paths, info, default_limit)
    paths.fields = list(dict.fromkeys(paths.fields))
    return paths


def read_query(
    info: GraphQLResolveInfo[Any],
    args: Mapping[str, Any],
    *,
    default_limit: int,
    limit_max: int | None,
    fallback: str,
) -> Query:
    """The Query of a read: the root's arguments checked as REST checks query parameters,
    the selection as fields; ``fallback`` (the primary key) when nothing but ``__typename``
    was asked for."""
    args = with_literal_filter(args, info.field_nodes[0])
    params = {name: args[name] for name in _READ_ARGS if args.get(name) is not None}
    query = parse_query(params, limit_max=limit_max)
    paths = selected_paths(info, default_limit)
    return replace(
        query,
        fields=tuple(paths.fields) or (fallback,),
        alias=paths.alias or None,
        deep=paths.deep or None,
    )


def _aggregate_fields(
    selection_set: SelectionSetNode, info: GraphQLResolveInfo[Any], into: dict[str, list[str]]
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, info):
            continue
        if isinstance(selection, InlineFragmentNode):
            _aggregate_fields(selection.selection_set, info, into)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                _aggregate_fields(fragment.selection_set, info, into)
        elif isinstance(selection, FieldNode):
            operation = selection.name.value
            if operation.startswith("__") or operation == "group":
                continue
            targets = into.setdefault(operation, [])
            if operation == "countAll":
                targets.append("*")
            elif selection.selection_set is not None:
                inner: dict[str, list[str]] = {}
                _aggregate_fields(selection.selection_set, info, inner)
                targets += list(inner)


def aggregate_query(
    info: GraphQLResolveInfo[Any], args: Mapping[str, Any], *, limit_max: int | None
) -> Query:
    """``{ articles_aggregated(groupBy: ["status"]) { count { id } avg { rating } } }`` as the
    REST ``aggregate[count]=id&aggregate[avg]=rating&groupBy=status``."""
    args = with_literal_filter(args, info.field_nodes[0])
    params = {name: args[name] for name in _READ_ARGS if args.get(name) is not None}
    if args.get("groupBy"):
        params["groupBy"] = [g for g in args["groupBy"] if g]
    operations: dict[str, list[str]] = {}
    for node in info.field_nodes:
        if node.selection_set is not None:
            _aggregate_fields(node.selection_set, info, operations)
    aggregate = {op: list(dict.fromkeys(names)) for op, names in operations.items() if names}
    query = parse_query(params, limit_max=limit_max)
    return replace(query, aggregate=aggregate or {"countAll": ["*"]})
