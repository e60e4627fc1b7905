"""A ``Query`` on one collection, compiled to one SELECT (o2m aliases as correlated
subqueries), and rows turned into API values."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from authgate.clock import iso_utc
from authgate.query.filter import (
    FilterContext,
    compile_filter,
    compile_search,
    field_forbidden,
    is_parametric,
)
from authgate.query.params import Query
from authgate.schema.model import CONCEALED, Collection, Field
from authgate.storage import tables as t

TABLES: Mapping[str, Table] = {table.name: table for table in t.metadata.sorted_tables}


def to_api_value(field: Field, value: Any) -> Any:
    if value is None:
        return [] if field.is_alias else None
    if field.concealed or field.type == "hash":
        return CONCEALED
    if isinstance(value, datetime):
        return iso_utc(value)
    if field.type == "csv":
        return [part for part in str(value).split(",") if part != ""]
    if field.is_alias and isinstance(value, str):
        return json.loads(value)
    if field.type == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _alias_subquery(field: Field, table: Table, dialect: str) -> ColumnElement[Any]:
    """The related primary keys of an o2m alias as one JSON array, in the junction's order."""
    assert field.alias_of is not None
    related = TABLES[field.alias_of[0]]
    back = related.c[field.alias_of[1]]
    pk = next(iter(related.primary_key.columns))
    own_pk = next(iter(table.primary_key.columns))
    order = [related.c.sort, pk] if "sort" in related.c else [pk]
    inner = select(pk.label("v")).where(back == own_pk).order_by(*order).subquery()
    aggregate: Any
    if dialect == "postgresql":
        aggregate = func.coalesce(func.json_agg(inner.c.v), literal_column("'[]'::json"))
    else:
        aggregate = func.json_group_array(inner.c.v)
    return select(aggregate).scalar_subquery()


@dataclass(frozen=True)
class Plan:
    statement: Select[Any]
    fields: tuple[Field, ...]
    names: tuple[str, ...]  # output keys, aliases applied
    parameters: Mapping[str, Any] = dataclass_field(default_factory=dict)


def requested_fields(
    collection: Collection, requested: Sequence[str], readable: Sequence[str] | None
) -> tuple[Field, ...]:
    """Expand ``*`` (to readable fields only) and keep named fields in order. Unknown names are
    dropped for callers who may read everything and refused for the others (existence hidden).
    Relational paths (``role.name``) arrive with the data API; until then they are refused."""
    chosen: dict[str, Field] = {}
    for name in requested:
        if name == "*":
            for described in collection.fields:
                if readable is None or described.name in readable:
                    chosen.setdefault(described.name, described)
            continue
        found = collection.field(name)
        if found is None or (readable is not None and name not in readable):
            if readable is None and "." not in name:
                continue
            raise field_forbidden(name, collection.name)
        chosen.setdefault(name, found)
    return tuple(chosen.values())


_PLANS: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()
_PLAN_CACHE_SIZE = 1024


def plan_read(
    collection: Collection,
    query: Query,
    context: FilterContext,
    *,
    dialect: str,
    default_limit: int,
    readable: Sequence[str] | None = None,
    rule: Mapping[str, Any] | None = None,
    by_key: bool = False,
) -> Plan:
    """One SELECT for a read: ``query`` (fields, filter, search, sort, paging) within the item
    ``rule`` of a permission, optionally for one primary key (``fetch(..., key=...)``).

    Reads whose SQL does not depend on the caller's values (no user filter or search, a rule
    whose variables are bound parameters) are built once and reused: building a statement
    costs more than running it."""
    context = replace(context, parametrize=True)
    cacheable = query.filter is None and query.search is None
    cacheable = cacheable and (rule is None or is_parametric(rule))
    cache_key: tuple[Any, ...] | None = None
    if cacheable:
        cache_key = (
            collection.name,
            query.fields,
            query.sort,
            query.limit,
            query.offset,
            query.page,
            tuple(sorted(query.alias.items())) if query.alias else None,
            tuple(readable) if readable is not None else None,
            dialect,
            default_limit,
            by_key,
            json.dumps(rule, sort_keys=True) if rule is not None else None,
            context.shape(),
        )
        cached = _PLANS.get(cache_key)
        if cached is not None:
            _PLANS.move_to_end(cache_key)
            return replace(cached, parameters=context.parameters())
    plan = _build(collection, query, context, dialect, default_limit, readable, rule, by_key)
    if cache_key is not None:
        _PLANS[cache_key] = plan
        if len(_PLANS) > _PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
    return plan


def rule_condition(
    collection: Collection, rule: Mapping[str, Any] | None, context: FilterContext
) -> ColumnElement[bool] | None:
    if rule is None:
        return None
    return compile_filter(rule, collection, TABLES[collection.name], context)


def _build(
    collection: Collection,
    query: Query,
    context: FilterContext,
    dialect: str,
    default_limit: int,
    readable: Sequence[str] | None,
    rule: Mapping[str, Any] | None,
    by_key: bool,
) -> Plan:
    table = TABLES[collection.name]
    fields = requested_fields(collection, query.fields, readable)
    if not fields:
        fields = (collection.by_name[collection.primary_key],)
    columns = _columns(collection.name, tuple(f.name for f in fields), dialect)
    extra = [c for c in (rule_condition(collection, rule, context),) if c is not None]
    if by_key:
        extra.append(table.c[collection.primary_key] == bindparam("pk"))
    statement = select(*columns).where(
        where_clause(collection, query, context, readable, and_(*extra) if extra else None)
    )
    statement = statement.order_by(*sort_clause(collection, table, query, readable))
    limit = default_limit if query.limit is None else query.limit
    if limit != -1:
        statement = statement.limit(limit)
        offset = query.offset
        if query.page is not None and query.page > 0:
            offset = limit * (query.page - 1)
        if offset:
            statement = statement.offset(offset)
    names = tuple(_output_name(f.name, query.alias) for f in fields)
    return Plan(statement, fields, names, context.parameters())


@lru_cache(maxsize=512)
def _columns(collection: str, names: tuple[str, ...], dialect: str) -> tuple[Any, ...]:
    """The selected columns of a field list; built once (o2m subqueries are costly to build)."""
    from authgate.schema.system import COLLECTIONS

    table = TABLES[collection]
    described = COLLECTIONS[collection]
    columns: list[Any] = []
    for name in names:
        field = described.by_name[name]
        if field.is_alias:
            columns.append(_alias_subquery(field, table, dialect).label(name))
        else:
            columns.append(table.c[name])
    return tuple(columns)


def _output_name(name: str, alias: Mapping[str, str] | None) -> str:
    if alias:
        for new, original in alias.items():
            if original == name:
                return new
    return name


def where_clause(
    collection: Collection,
    query: Query,
    context: FilterContext,
    readable: Sequence[str] | None,
    extra_where: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    table = TABLES[collection.name]
    clauses = []
    if extra_where is not None:
        clauses.append(extra_where)
    if query.filter:
        clauses.append(compile_filter(query.filter, collection, table, context))
    if query.search:
        clauses.append(compile_search(query.search, collection, table, readable))
    return and_(*clauses) if clauses else true()


def sort_clause(
    collection: Collection, table: Table, query: Query, readable: Sequence[str] | None
) -> list[Any]:
    if not query.sort:
        return [table.c[collection.primary_key]]
    order: list[Any] = []
    for item in query.sort:
        descending = item.startswith("-")
        name = item[1:] if descending else item
        if name == "?":
            order.append(func.random())
            continue
        field = collection.field(name)
        if field is None or field.is_alias or (readable is not None and name not in readable):
            raise field_forbidden(name, collection.name)
        column = table.c[name]
        order.append(column.desc() if descending else column.asc())
    return order


def fetch(conn: Connection, plan: Plan, *, key: Any = None) -> list[dict[str, Any]]:
    parameters = {**plan.parameters, "pk": key} if key is not None else plan.parameters
    rows = conn.execute(plan.statement, parameters).all()
    return [
        {
            name: to_api_value(field, value)
            for name, field, value in zip(plan.names, plan.fields, row, strict=True)
        }
        for row in rows
    ]


def count(
    conn: Connection,
    collection: Collection,
    condition: ColumnElement[bool],
) -> int:
    table = TABLES[collection.name]
    return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())
