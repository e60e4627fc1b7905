"""A read, however relational, compiled into one SELECT.

Related items are built inside the statement as JSON (m2o: a correlated object; o2m: a
correlated, ordered, limited array), each under the related collection's own read rules; a
field granted only under some rules is selected as ``CASE WHEN <those rules> THEN col END``;
filters and sorts through relations become correlated subqueries. Nothing is fetched to be
filtered in Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import FromClause

from authgate.access.grants import Grant, fields_forbidden
from authgate.errors import invalid_query
from authgate.query import filter as scalar
from authgate.query.filter import FilterContext
from authgate.query.tree import GrantLookup, Link, Node, related_collection
from authgate.schema.model import Collection, Field
from authgate.schema.overview import SchemaOverview

_PAIRS_PER_OBJECT = 40  # json_object / json_build_object argument limits (127 / 100)
_LOGICAL = ("_and", "_or")


class Compiler:
    def __init__(
        self,
        overview: SchemaOverview,
        dialect: str,
        context: FilterContext,
        grants: GrantLookup,
        *,
        nested_limit: int = 100,
    ) -> None:
        self.overview = overview
        self.dialect = dialect
        self.context = context
        self.grants = grants
        self.nested_limit = nested_limit
        self._aliases = itertools.count()

    # ------------------------------------------------------------------ tables

    def alias(self, collection: str) -> FromClause:
        return self.overview.table(collection).alias(f"t{next(self._aliases)}")

    # ----------------------------------------------------------------- filters

    def condition(
        self,
        spec: Mapping[str, Any],
        collection: Collection,
        table: FromClause,
        *,
        path: str | None = None,
        checked: bool = True,
    ) -> ColumnElement[bool]:
        """A Directus filter as SQL. ``checked``: the caller's read permissions apply to every
        field and collection it names (permission rules themselves are not checked)."""
        if not isinstance(spec, Mapping):
            raise invalid_query("Filter has to be an object")
        grant = self.grants(collection.name, path) if checked else None
        clauses: list[ColumnElement[bool]] = []
        for key, value in spec.items():
            if key in _LOGICAL:
                if not isinstance(value, list):
                    raise invalid_query(f'"{key}" has to be an array')
                if key == "_or" and any(isinstance(i, Mapping) and not i for i in value):
                    clauses.append(true())
                    continue
                parts = [
                    self.condition(item, collection, table, path=path, checked=checked)
                    for item in value
                ]
                if parts:
                    clauses.append(and_(*parts) if key == "_and" else or_(*parts))
                continue
            if key.startswith("_"):
                raise invalid_query(f'"{key}" is not a valid filter operator here')
            clauses.append(
                self._field_condition(key, value, collection, table, grant, path, checked)
            )
        if not clauses:
            return true()
        return clauses[0] if len(clauses) == 1 else and_(*clauses)

    def _field_condition(
        self,
        name: str,
        value: Any,
        collection: Collection,
        table: FromClause,
        grant: Grant | None,
        path: str | None,
        checked: bool = True,
    ) -> ColumnElement[bool]:
        described = collection.field(name)
        if described is None or (grant is not None and not grant.allows_field(name)):
            raise fields_forbidden([name], collection.name, path)
        link = related_collection(self.overview, collection.name, name)
        if link is not None and isinstance(value, Mapping) and not _is_operator_map(value, link[1]):
            relation, kind, target = link
            related = self.overview.collection(target)
            if related is None:
                raise fields_forbidden([name], collection.name, path)
            return self._relational_condition(
                name, value, collection, table, related, relation, kind, path, grant, checked
            )
        if described.is_alias:
            raise fields_forbidden([name], collection.name, path)
        column = self.guarded(collection, table, grant, name)
        return scalar.column_condition(described, column, value, self.context, rule=not checked)

    def _relational_condition(
        self,
        name: str,
        value: Mapping[str, Any],
        collection: Collection,
        table: FromClause,
        related: Collection,
        relation: Any,
        kind: str,
        path: str | None,
        grant: Grant | None,
        checked: bool,
    ) -> ColumnElement[bool]:
        """``grant``: the caller's on ``collection`` (None: unchecked, for permission rules,
        or an administrator's); ``checked``: the caller's own filter."""
        child_path = f"{path}.{name}" if path else name
        inner = self.alias(related.name)
        if kind == "m2o":
            # Through a many-to-one: the related rows that match, not restricted by the related
            # collection's item rules (Directus), but its fields must be readable.
            match = self.condition(value, related, inner, path=child_path, checked=checked)
            keys = select(inner.c[related.primary_key]).where(match)
            return self.guarded(collection, table, grant, name).in_(keys)
        some, negate = value, False
        if "_some" in value or "_none" in value:
            negate = "_none" in value
            some = value.get("_none" if negate else "_some") or {}
        back = inner.c[relation.many_field] == table.c[collection.primary_key]
        conditions = [back, self.condition(some, related, inner, path=child_path, checked=checked)]
        if checked:
            rule = self.row_rule(self.grants(related.name, child_path), None, related, inner)
            if rule is not None:
                conditions.append(rule)
        found = exists(select(literal(1)).select_from(inner).where(*conditions))
        return not_(found) if negate else found

    def row_rule(
        self,
        grant: Grant | None,
        requested: Sequence[str] | None,
        collection: Collection,
        table: FromClause,
    ) -> ColumnElement[bool] | None:
        if grant is None:
            return None
        rule = grant.row_rule(requested)
        if rule is None:
            return None
        return self.condition(rule, collection, table, checked=False)

    # ----------------------------------------------------------------- columns

    def field_value(self, node: Node, table: FromClause, described: Field) -> ColumnElement[Any]:
        return self.guarded(node.collection, table, node.grant, described.name)

    def guarded(
        self, collection: Collection, table: FromClause, grant: Grant | None, name: str
    ) -> ColumnElement[Any]:
        """A field as this caller sees it: the column where every visible row shows it,
        ``CASE WHEN <the rules granting it> THEN col END`` where only some do. Every use of a
        field (select, filter, search, sort, aggregate, group) goes through here, so that a
        value hidden on a row can't be inferred from any of them."""
        column = table.c[name]
        if grant is None or grant.unrestricted_for(name):
            return column
        rules = grant.rules_for(name)
        if not rules:
            return literal(None)
        conditions = [self.condition(rule, collection, table, checked=False) for rule in rules]
        return case((or_(*conditions), column), else_=literal(None))

    def select_columns(self, node: Node, table: FromClause) -> list[ColumnElement[Any]]:
        columns: list[ColumnElement[Any]] = [
            self.field_value(node, table, described).label(out) for out, described in node.scalars
        ]
        for link in node.relations:
            columns.append(self.relation_value(link, node, table).label(link.name))
        return columns

    def relation_value(self, link: Link, node: Node, table: FromClause) -> ColumnElement[Any]:
        if link.kind == "m2o":
            return self._m2o_object(link, node, table)
        return self._o2m_array(link, node, table)

    def _m2o_object(self, link: Link, node: Node, table: FromClause) -> ColumnElement[Any]:
        assert link.child is not None
        child = link.child
        inner = self.alias(child.collection.name)
        conditions = [inner.c[child.collection.primary_key] == table.c[link.field.name]]
        rule = self.row_rule(child.grant, child.requested, child.collection, inner)
        if rule is not None:
            conditions.append(rule)
        obj = self.json_object(child, inner)
        fk = self.field_value(node, table, link.field)
        statement = select(obj).where(*conditions).correlate(table).scalar_subquery()
        # A foreign key the caller may not read on this row is null, and so is its object.
        return case((fk.is_(None), literal(None)), else_=statement)

    def _o2m_array(self, link: Link, node: Node, table: FromClause) -> ColumnElement[Any]:
        relation = link.relation
        related = self.overview.collection(relation.many_collection)
        assert related is not None
        child = link.child
        inner = self.alias(related.name)
        conditions: list[ColumnElement[bool]] = [
            inner.c[relation.many_field] == table.c[node.collection.primary_key]
        ]
        if relation.one_filter:
            conditions.append(self.condition(relation.one_filter, related, inner, checked=False))
        grant = (
            child.grant if child is not None else self.grants(related.name, _child_path(node, link))
        )
        requested = child.requested if child is not None else [related.primary_key]
        rule = self.row_rule(grant, requested, related, inner)
        if rule is not None:
            conditions.append(rule)
        deep = link.deep or {}
        if deep.get("_filter"):
            conditions.append(
                self.condition(deep["_filter"], related, inner, path=_child_path(node, link))
            )
        if child is not None:
            value: ColumnElement[Any] = self.json_object(child, inner)
        else:
            value = inner.c[related.primary_key]
        inner_select = (
            select(value.label("v"))
            .where(*conditions)
            .order_by(*self._deep_order(deep, related, inner, relation, grant))
            .correlate(table)
        )
        limit = _int(deep.get("_limit"), self.nested_limit)
        if limit != -1:
            inner_select = inner_select.limit(limit)
        offset = _int(deep.get("_offset"), 0)
        if offset:
            inner_select = inner_select.offset(offset)
        rows = inner_select.subquery()
        return select(self.json_array(rows.c.v, nested=child is not None)).scalar_subquery()

    def _deep_order(
        self,
        deep: Mapping[str, Any],
        related: Collection,
        table: FromClause,
        relation: Any,
        grant: Grant | None,
    ) -> list[Any]:
        sort = deep.get("_sort")
        if sort:
            items = sort if isinstance(sort, list) else [s for s in str(sort).split(",") if s]
            return self.order_by([str(i) for i in items], related, table, grant)
        if relation.sort_field and relation.sort_field in table.c:
            return [table.c[relation.sort_field], table.c[related.primary_key]]
        return [table.c[related.primary_key]]

    # -------------------------------------------------------------------- JSON

    def json_object(self, node: Node, table: FromClause) -> ColumnElement[Any]:
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for out, described in node.scalars:
            value = self.field_value(node, table, described)
            if described.type == "json" and self.dialect == "sqlite":
                value = func.json(value)
            pairs.append((out, value))
        for link in node.relations:
            value = self.relation_value(link, node, table)
            if self.dialect == "sqlite" and (link.child is not None or link.kind == "o2m"):
                value = func.json(value)
            pairs.append((link.name, value))
        chunks = [pairs[i : i + _PAIRS_PER_OBJECT] for i in range(0, len(pairs), _PAIRS_PER_OBJECT)]
        objects = [self._object(chunk) for chunk in chunks] or [self._object([])]
        merged = objects[0]
        for extra in objects[1:]:
            if self.dialect == "sqlite":
                merged = func.json_patch(merged, extra)
            else:
                merged = cast(merged, JSONB).op("||")(cast(extra, JSONB))
        return merged

    def _object(self, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        args: list[Any] = []
        for key, value in pairs:
            args += [literal_column(_sql_string(key)), value]
        if self.dialect == "sqlite":
            return func.json_object(*args)
        return func.json_build_object(*args)

    def json_array(self, value: ColumnElement[Any], *, nested: bool) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            return func.json_group_array(func.json(value) if nested else value)
        return func.coalesce(func.json_agg(value), literal_column("'[]'::json"))

    # ------------------------------------------------------------------- sorts

    def order_by(
        self, sort: Sequence[str], collection: Collection, table: FromClause, grant: Grant | None
    ) -> list[Any]:
        order: list[Any] = []
        for item in sort:
            descending = item.startswith("-")
            name = item[1:] if descending else item
            if name == "?":
                order.append(func.random())
                continue
            expression = self._sort_expression(name, collection, table, grant, None)
            order.append(expression.desc() if descending else expression.asc())
        return order

    def _sort_expression(
        self,
        dotted: str,
        collection: Collection,
        table: FromClause,
        grant: Grant | None,
        path: str | None,
    ) -> ColumnElement[Any]:
        head, _, rest = dotted.partition(".")
        described = collection.field(head)
        if described is None or (described.is_alias and not rest):
            raise fields_forbidden([head], collection.name, path)
        if grant is not None and not grant.allows_field(head):
            raise fields_forbidden([head], collection.name, path)
        if described.concealed or described.type == "hash":
            raise invalid_query(f'"{head}" is concealed and can\'t be sorted on')
        if not rest:
            return self.guarded(collection, table, grant, head)
        link = related_collection(self.overview, collection.name, head)
        if link is None or link[1] != "m2o":
            raise invalid_query(f'"{dotted}" can only be sorted through many-to-one relations')
        related = self.overview.collection(link[2])
        assert related is not None
        child_path = f"{path}.{head}" if path else head
        inner = self.alias(related.name)
        inner_grant = self.grants(related.name, child_path)
        value = self._sort_expression(rest, related, inner, inner_grant, child_path)
        return (
            select(value)
            .where(inner.c[related.primary_key] == self.guarded(collection, table, grant, head))
            .correlate(table)
            .scalar_subquery()
        )

    # ------------------------------------------------------------------ search

    def search(self, term: str, node: Node, table: FromClause) -> ColumnElement[bool]:
        readable = None
        if node.grant is not None:
            readable = [f.name for f in node.collection.fields if node.grant.allows_field(f.name)]
        fields = [f for f in node.collection.columns if f.searchable]
        probe = Collection(node.collection.name, tuple(fields), node.collection.primary_key)
        return scalar.compile_search(
            term,
            probe,
            table,  # type: ignore[arg-type]
            readable,
            value_of=lambda name: self.guarded(node.collection, table, node.grant, name),
        )


def _child_path(node: Node, link: Link) -> str:
    return f"{node.path}.{link.name}" if node.path else link.name


def _is_operator_map(value: Mapping[str, Any], kind: str) -> bool:
    """``{"author": {"_eq": 3}}`` compares the key itself; ``{"author": {"name": ...}}``
    follows the relation (and ``_some``/``_none`` always do)."""
    keys = list(value)
    if kind == "o2m":
        return False
    return (
        bool(keys) and all(k.startswith("_") for k in keys) and not {"_some", "_none"} & set(keys)
    )


def _int(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_query(f'"{value}" is not a number') from None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
