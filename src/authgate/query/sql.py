"""A ``Query`` on one collection, compiled to one SELECT (o2m aliases as correlated
subqueries), and rows turned into API values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, func, literal_column, select, true
from sqlalchemy.sql.elements import ColumnElement

from authgate.clock import iso_utc
from authgate.query.filter import FilterContext, compile_filter, compile_search, field_forbidden
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


def requested_fields(
    collection: Collection, requested: Sequence[str], readable: Sequence[str] | None
) -> tuple[Field, ...]:
    """Expand ``*`` (to readable fields only) and keep named fields in order. Unknown names are
    dropped for callers who may read everything and refused for the others (existence hidden).
    Relational paths (``role.name``) arrive with the data API; until then they are refused."""
    chosen: dict[str, Field] = {}
    for name in requested:
        if name == "*":
            for field in collection.fields:
                if readable is None or field.name in readable:
                    chosen.setdefault(field.name, field)
            continue
        field = collection.field(name)
        if field is None or (readable is not None and name not in readable):
            if readable is None and "." not in name:
                continue
            raise field_forbidden(name, collection.name)
        chosen.setdefault(name, field)
    return tuple(chosen.values())


def plan_read(
    collection: Collection,
    query: Query,
    context: FilterContext,
    *,
    dialect: str,
    default_limit: int,
    readable: Sequence[str] | None = None,
    extra_where: ColumnElement[bool] | None = None,
) -> Plan:
    table = TABLES[collection.name]
    fields = requested_fields(collection, query.fields, readable)
    columns: list[Any] = []
    for field in fields:
        if field.is_alias:
            columns.append(_alias_subquery(field, table, dialect).label(field.name))
        else:
            columns.append(table.c[field.name])
    if not columns:
        columns = [table.c[collection.primary_key]]
        fields = (collection.by_name[collection.primary_key],)
    statement = select(*columns).where(
        where_clause(collection, query, context, readable, extra_where)
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
    names = tuple(_output_name(field.name, query.alias) for field in fields)
    return Plan(statement, fields, names)


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
    order = []
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


def fetch(conn: Connection, plan: Plan) -> list[dict[str, Any]]:
    rows = conn.execute(plan.statement).all()
    return [
        {name: to_api_value(field, value) for name, field, value in zip(plan.names, plan.fields, row, strict=True)}
        for row in rows
    ]


def count(
    conn: Connection,
    collection: Collection,
    condition: ColumnElement[bool],
) -> int:
    table = TABLES[collection.name]
    return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())


def primary_key_filter(collection: Collection, key: str | int) -> ColumnElement[bool]:
    table = TABLES[collection.name]
    return table.c[collection.primary_key] == key  # type: ignore[no-any-return]
