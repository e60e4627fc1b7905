"""Reading items: a ``Query`` on a collection, under the caller's grants, as one statement
(plus one per requested ``meta`` count), decoded to API values.

Reads whose SQL does not depend on the caller's values (no filter or search; permission rules
whose variables all became bound parameters: none was compiled in as a value, see
``FilterContext.inlined``) are built once per grant set and reused: building a statement costs
more than running it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    true,
)

from authgate.access.grants import Grant, fields_forbidden
from authgate.errors import invalid_query
from authgate.query.compile import Compiler
from authgate.query.decode import decode_row, decode_value
from authgate.query.filter import FilterContext
from authgate.query.params import Query
from authgate.query.tree import GrantLookup, Node, build_tree
from authgate.schema.model import Collection, Field
from authgate.schema.overview import SchemaOverview

_AGGREGATES: dict[str, Any] = {
    "count": lambda c: func.count(c),
    "countDistinct": lambda c: func.count(c.distinct()),
    "countAll": lambda _c: func.count(),
    "sum": lambda c: func.sum(c),
    "sumDistinct": lambda c: func.sum(c.distinct()),
    "avg": lambda c: func.avg(c),
    "avgDistinct": lambda c: func.avg(c.distinct()),
    "min": lambda c: func.min(c),
    "max": lambda c: func.max(c),
}


@dataclass(frozen=True)
class ReadResult:
    data: list[dict[str, Any]]
    meta: dict[str, int] | None = None


@dataclass(frozen=True)
class _Plan:
    node: Node
    statement: Select[Any]
    total: Select[Any] | None
    filtered: Select[Any] | None


class Reader:
    """Builds and runs reads; holds the plan cache of one process."""

    def __init__(
        self,
        *,
        dialect: str,
        default_limit: int,
        max_limit: int | None = None,
        max_depth: int = 10,
    ) -> None:
        self.dialect = dialect
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.max_depth = max_depth
        self._plans: OrderedDict[tuple[Any, ...], _Plan] = OrderedDict()
        self._lock = Lock()

    def read(
        self,
        conn: Connection,
        overview: SchemaOverview,
        collection: Collection,
        query: Query,
        grants: GrantLookup,
        context: FilterContext,
        *,
        cache_key: Any = None,
        key: Any = None,
        keys: Sequence[Any] | None = None,
        limit_one: bool = False,
    ) -> ReadResult:
        """``key``: one item by primary key; ``keys``: only these items. ``cache_key``
        identifies the caller's grants (None: do not cache)."""
        context = replace(context, parametrize=True, inlined=[])
        if query.aggregate:
            return self._aggregate(conn, overview, collection, query, grants, context)
        plan_key = None
        if cache_key is not None and query.filter is None and query.search is None and keys is None:
            plan_key = (
                cache_key,
                collection.name,
                _freeze(query.fields),
                _freeze(query.sort),
                query.limit,
                query.offset,
                query.page,
                _freeze(query.alias),
                _freeze(query.deep),
                tuple(sorted(query.meta)),
                key is not None,
                limit_one,
                context.shape(),
            )
            with self._lock:
                plan = self._plans.get(plan_key)
                if plan is not None:
                    self._plans.move_to_end(plan_key)
        else:
            plan = None
        if plan is None:
            plan = self._plan(
                overview, collection, query, grants, context, key is not None, keys, limit_one
            )
            if plan_key is not None and not context.inlined:
                with self._lock:
                    self._plans[plan_key] = plan
                    while len(self._plans) > 1024:
                        self._plans.popitem(last=False)
        parameters = {**context.parameters(), "pk": key}
        rows = conn.execute(plan.statement, parameters).mappings().all()
        data = [decode_row(plan.node, dict(row)) for row in rows]
        meta = None
        if query.meta:
            meta = {}
            if plan.total is not None:
                meta["total_count"] = int(conn.execute(plan.total, parameters).scalar_one())
            if plan.filtered is not None:
                meta["filter_count"] = int(conn.execute(plan.filtered, parameters).scalar_one())
        return ReadResult(data, meta)

    def _plan(
        self,
        overview: SchemaOverview,
        collection: Collection,
        query: Query,
        grants: GrantLookup,
        context: FilterContext,
        by_key: bool,
        keys: Sequence[Any] | None,
        limit_one: bool,
    ) -> _Plan:
        compiler = Compiler(
            overview, self.dialect, context, grants, nested_limit=self.default_limit
        )
        node = build_tree(
            overview,
            collection,
            query.fields,
            grants,
            alias=query.alias,
            deep=query.deep,
            max_depth=self.max_depth,
        )
        table = compiler.alias(collection.name)
        rule = compiler.row_rule(node.grant, node.requested, collection, table)
        conditions = [c for c in (rule,) if c is not None]
        if by_key:
            conditions.append(table.c[collection.primary_key] == bindparam("pk"))
        if keys is not None:
            conditions.append(table.c[collection.primary_key].in_(list(keys)))
        filters = []
        if query.filter:
            filters.append(compiler.condition(query.filter, collection, table))
        if query.search:
            filters.append(compiler.search(query.search, node, table))
        statement = select(*compiler.select_columns(node, table)).select_from(table)
        where = conditions + filters
        if where:
            statement = statement.where(and_(*where))
        statement = statement.order_by(*self._order(compiler, query, collection, table, node.grant))
        limit = 1 if limit_one or by_key else self._limit(query)
        if limit != -1:
            statement = statement.limit(limit)
            offset = query.offset
            if query.page is not None and query.page > 0:
                offset = limit * (query.page - 1)
            if offset:
                statement = statement.offset(offset)
        total = filtered = None
        if "total_count" in query.meta:
            total = (
                select(func.count())
                .select_from(table)
                .where(and_(*conditions) if conditions else true())
            )
        if "filter_count" in query.meta:
            filtered = (
                select(func.count()).select_from(table).where(and_(*where) if where else true())
            )
        return _Plan(node, statement, total, filtered)

    def _limit(self, query: Query) -> int:
        limit = self.default_limit if query.limit is None else query.limit
        if self.max_limit is not None and (limit == -1 or limit > self.max_limit):
            raise invalid_query(f'"limit" can not be greater than {self.max_limit}')
        return limit

    def _order(
        self,
        compiler: Compiler,
        query: Query,
        collection: Collection,
        table: Any,
        grant: Grant | None,
    ) -> list[Any]:
        if query.sort:
            return compiler.order_by(query.sort, collection, table, grant)
        default = collection.sort_field or collection.primary_key
        if grant is not None and not grant.allows_field(default):
            allowed = [f.name for f in collection.columns if grant.allows_field(f.name)]
            return [table.c[allowed[0]]] if allowed else []
        return [table.c[default]]

    def _aggregate(
        self,
        conn: Connection,
        overview: SchemaOverview,
        collection: Collection,
        query: Query,
        grants: GrantLookup,
        context: FilterContext,
    ) -> ReadResult:
        compiler = Compiler(overview, self.dialect, context, grants)
        grant = grants(collection.name, None)
        table = compiler.alias(collection.name)
        assert query.aggregate is not None

        def value_of(name: str) -> Any:
            # A field readable only on some rows counts as null on the others.
            return compiler.guarded(collection, table, grant, name)

        columns, layout = _aggregate_columns(collection, grant, value_of, query.aggregate)
        groups = list(query.group_by or ())
        for name in groups:
            _groupable(collection, grant, name)
            columns.append(value_of(name).label(f"group__{name}"))
        conditions = []
        rule = compiler.row_rule(grant, None, collection, table)
        if rule is not None:
            conditions.append(rule)
        if query.filter:
            conditions.append(compiler.condition(query.filter, collection, table))
        statement = select(*columns).select_from(table)
        if conditions:
            statement = statement.where(and_(*conditions))
        if groups:
            # By position: a guarded field is a CASE with its own bound parameters, and
            # PostgreSQL would not see two renderings of it as the same expression.
            first = len(columns) - len(groups) + 1
            positions: list[Any] = [literal_column(str(first + i)) for i in range(len(groups))]
            statement = statement.group_by(*positions).order_by(*positions)
            limit = self._limit(query)
            if limit != -1:
                statement = statement.limit(limit)
        rows = conn.execute(statement, context.parameters()).mappings().all()
        data = [_aggregate_item(collection, row, layout, groups) for row in rows]
        return ReadResult(data)


Layout = list[tuple[str, str | None, str]]  # (operation, field or None for "*", column label)

_NUMERIC = frozenset({"integer", "bigInteger", "float", "decimal"})
_ORDERED = _NUMERIC | {"string", "text", "csv", "timestamp", "dateTime", "date", "time"}
# Which field types each function takes: the same set on every database (PostgreSQL has no
# sum of text, max of a uuid or a boolean, or equality on json).
_AGGREGATE_TYPES: dict[str, frozenset[str] | None] = {
    "count": None,
    "countDistinct": None,
    "sum": _NUMERIC,
    "sumDistinct": _NUMERIC,
    "avg": _NUMERIC,
    "avgDistinct": _NUMERIC,
    "min": _ORDERED,
    "max": _ORDERED,
}


def _aggregate_columns(
    collection: Collection,
    grant: Grant | None,
    value_of: Callable[[str], Any],
    aggregate: Mapping[str, Any],
) -> tuple[list[Any], Layout]:
    columns: list[Any] = []
    layout: Layout = []
    for operation, targets in aggregate.items():
        if operation not in _AGGREGATES:
            raise invalid_query(f'"{operation}" is not an aggregate function')
        names = targets if isinstance(targets, list) else [t for t in str(targets).split(",") if t]
        for name in names:
            if name == "*" or operation == "countAll":
                if operation not in ("count", "countAll"):
                    raise invalid_query(f'"{operation}" needs a field, not "*"')
                label = f"{operation}__all"
                columns.append(func.count().label(label))
                layout.append((operation, None, label))
                continue
            described = _readable(collection, grant, name)
            _aggregable(described, operation)
            label = f"{operation}__{name}"
            columns.append(_AGGREGATES[operation](value_of(name)).label(label))
            layout.append((operation, name, label))
    return columns, layout


def _aggregable(described: Field, operation: str) -> None:
    """Concealed values never leave the server, not even as a minimum: only counted."""
    if described.is_alias:
        raise invalid_query(f'"{described.name}" holds no value to aggregate')
    if (described.concealed or described.type == "hash") and operation != "count":
        raise invalid_query(
            f'"{operation}" can\'t be used on the concealed field "{described.name}"'
        )
    allowed = _AGGREGATE_TYPES[operation]
    if operation == "countDistinct" and described.type == "json":
        allowed = frozenset()
    if allowed is not None and described.type not in allowed:
        raise invalid_query(
            f'"{operation}" can\'t be used on the {described.type} field "{described.name}"'
        )


def _groupable(collection: Collection, grant: Grant | None, name: str) -> None:
    described = _readable(collection, grant, name)
    if described.is_alias or described.concealed or described.type in ("hash", "json"):
        raise invalid_query(f'"{name}" can\'t be used in "groupBy"')


def _aggregate_item(
    collection: Collection, row: RowMapping, layout: Layout, groups: list[str]
) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for operation, name, label in layout:
        if name is None:
            item[operation] = _number(row[label])
            continue
        raw = row[label]
        value = (
            decode_value(collection.by_name[name], raw)
            if operation in ("min", "max")
            else _number(raw)
        )
        item.setdefault(operation, {})[name] = value
    for name in groups:
        item[name] = decode_value(collection.by_name[name], row[f"group__{name}"])
    return item


def _readable(collection: Collection, grant: Grant | None, name: str) -> Field:
    described = collection.field(name)
    if described is None or (grant is not None and not grant.allows_field(name)):
        raise fields_forbidden([name], collection.name)
    return described


def _number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def _freeze(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)
