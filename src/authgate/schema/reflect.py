"""What the database itself says about a table, reported the way Directus's schema inspector
reports it: the column's own type name (``varchar``, ``char``; ``character varying``, ``uuid``
on PostgreSQL), its parsed default, its indexes, the table's DDL on SQLite. These are facts of
one database, so the same field legitimately reads differently on SQLite and PostgreSQL, as it
does under Directus.

Read only when ``/collections`` or ``/fields`` is asked (never on the hot path)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect, text

_CAST = re.compile(r"^(.*?)::[a-z ]+(\[\])?$", re.DOTALL)


@dataclass(frozen=True)
class ColumnFacts:
    data_type: str
    default: str | None  # the default as the database keeps it (SQL text)
    is_indexed: bool
    is_unique: bool


def _quoted(value: str) -> str | None:
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return None


def _typed(value: str, literal: str | None, kind: str) -> Any:
    if kind == "boolean":
        lowered = value.lower()
        if lowered in ("1", "true", "t"):
            return True
        return False if lowered in ("0", "false", "f") else value
    if kind in ("integer", "bigInteger", "float", "decimal"):
        try:
            return int(value) if kind in ("integer", "bigInteger") else float(value)
        except ValueError:
            return value
    if kind == "json" and literal is not None:
        try:
            return json.loads(literal)
        except ValueError:
            return literal
    return value


def parse_default(raw: str | None, kind: str, dialect: str) -> Any:
    """A column default as Directus answers it: the literal, typed after the field."""
    if raw is None:
        return None
    value = raw.strip()
    if dialect == "postgresql":
        if value.startswith("nextval("):
            return "AUTO_INCREMENT"
        cast = _CAST.match(value)
        if cast:
            value = cast.group(1).strip()
        while value.startswith("(") and value.endswith(")"):
            value = value[1:-1].strip()
    if value.upper() == "NULL":
        return None
    literal = _quoted(value)
    return _typed(literal if literal is not None else value, literal, kind)


def _sqlite_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_columns(conn: Connection, table: str) -> dict[str, ColumnFacts]:
    indexed: set[str] = set()
    unique: set[str] = set()
    for index in conn.execute(text(f"PRAGMA index_list({_sqlite_name(table)})")).mappings():
        members = [
            row["name"]
            for row in conn.execute(
                text(f"PRAGMA index_info({_sqlite_name(index['name'])})")
            ).mappings()
        ]
        indexed.update(members)
        if index["unique"] and index["origin"] != "pk" and len(members) == 1:
            unique.add(members[0])
    facts: dict[str, ColumnFacts] = {}
    for row in conn.execute(text(f"PRAGMA table_info({_sqlite_name(table)})")).mappings():
        declared = str(row["type"] or "").lower().split("(", 1)[0].strip()
        facts[row["name"]] = ColumnFacts(
            data_type=declared,
            default=row["dflt_value"],
            is_indexed=row["name"] in indexed,
            is_unique=row["name"] in unique,
        )
    return facts


def _postgres_columns(conn: Connection, table: str) -> dict[str, ColumnFacts]:
    inspector = inspect(conn)
    indexed: set[str] = set()
    unique: set[str] = set()
    primary = inspector.get_pk_constraint(table).get("constrained_columns") or []
    indexed.update(primary)
    if len(primary) == 1:
        unique.add(primary[0])
    for index in inspector.get_indexes(table):
        members = [c for c in index["column_names"] if c]
        indexed.update(members)
        if index.get("unique") and len(members) == 1:
            unique.add(members[0])
    for constraint in inspector.get_unique_constraints(table):
        indexed.update(constraint["column_names"])
        if len(constraint["column_names"]) == 1:
            unique.add(constraint["column_names"][0])
    rows = conn.execute(
        text(
            "SELECT column_name, data_type, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :table"
        ),
        {"table": table},
    ).all()
    return {
        name: ColumnFacts(
            data_type=str(data_type),
            default=default,
            is_indexed=name in indexed,
            is_unique=name in unique,
        )
        for name, data_type, default in rows
    }


def column_facts(conn: Connection, table: str) -> dict[str, ColumnFacts]:
    """Each column of ``table`` as the database describes it (empty when there is no table)."""
    if conn.dialect.name == "sqlite":
        return _sqlite_columns(conn, table)
    return _postgres_columns(conn, table)


def table_schema(conn: Connection, table: str) -> dict[str, Any]:
    """A collection's ``schema``: on SQLite its name and DDL, as Directus's SQLite inspector
    answers; on PostgreSQL its name, schema and comment."""
    if conn.dialect.name == "sqlite":
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"),
            {"table": table},
        ).scalar()
        return {"name": table, "sql": sql}
    found = conn.execute(
        text(
            "SELECT current_schema(), obj_description(to_regclass(quote_ident(:table)), 'pg_class')"
        ),
        {"table": table},
    ).first()
    schema, comment = found if found is not None else (None, None)
    return {"name": table, "schema": schema, "comment": comment}
