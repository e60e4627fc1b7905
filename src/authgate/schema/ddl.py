"""Changing real tables: create and drop collections, add, alter and drop columns, foreign keys.

Runs inside the caller's transaction (PostgreSQL and SQLite both have transactional DDL), with
Alembic's operations; on SQLite, changes SQLite cannot make in place rebuild the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Index, MetaData, Table, UniqueConstraint, text
from sqlalchemy.sql.elements import TextClause

from authgate.errors import invalid_payload
from authgate.schema.columns import ddl_type
from authgate.schema.model import FIELD_TYPES, FieldType


def _operations(conn: Connection) -> Operations:
    return Operations(MigrationContext.configure(conn))


def _default(value: Any, kind: str) -> TextClause | None:
    """A column default as SQL text (literals only; no expressions from callers)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return text("true" if value else "false")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text(repr(value))
    if isinstance(value, str):
        return text("'" + value.replace("'", "''") + "'")
    raise invalid_payload(f'"default_value" of a {kind} field must be a string, number or boolean')


def column_for(
    name: str, kind: str, schema: Mapping[str, Any], dialect: str, *, primary: bool = False
) -> Column[Any]:
    if kind not in FIELD_TYPES or kind == "alias":
        raise invalid_payload(f'"{kind}" is not a field type')
    typed: FieldType = kind  # type: ignore[assignment]
    max_length = schema.get("max_length")
    auto = bool(schema.get("has_auto_increment")) and kind in ("integer", "bigInteger")
    return Column(
        name,
        ddl_type(
            typed,
            dialect,
            max_length=max_length if isinstance(max_length, int) else None,
            precision=schema.get("numeric_precision"),
            scale=schema.get("numeric_scale"),
        ),
        primary_key=primary,
        autoincrement=auto if primary else False,
        nullable=True
        if primary and auto
        else bool(schema.get("is_nullable", True)) and not primary,
        server_default=_default(schema.get("default_value"), kind),
    )


def create_table(conn: Connection, name: str, fields: list[Mapping[str, Any]]) -> None:
    metadata = MetaData()
    columns = []
    uniques = []
    for item in fields:
        if item.get("type") == "alias" or (
            item.get("schema") is None and item.get("type") == "alias"
        ):
            continue
        schema = item.get("schema") or {}
        columns.append(
            column_for(
                item["field"],
                item["type"],
                schema,
                conn.dialect.name,
                primary=bool(schema.get("is_primary_key")),
            )
        )
        if schema.get("is_unique") and not schema.get("is_primary_key"):
            uniques.append(UniqueConstraint(item["field"], name=f"uq_{name}_{item['field']}"))
    table = Table(name, metadata, *columns, *uniques)
    table.create(conn)


def drop_table(conn: Connection, name: str) -> None:
    _operations(conn).drop_table(name)


def add_column(
    conn: Connection, collection: str, name: str, kind: str, schema: Mapping[str, Any]
) -> None:
    column = column_for(name, kind, schema, conn.dialect.name)
    if not column.nullable and column.server_default is None:
        raise invalid_payload(f'A new required field needs a "default_value" ("{name}")')
    operations = _operations(conn)
    operations.add_column(collection, column)
    if schema.get("is_unique"):
        operations.create_index(f"uq_{collection}_{name}", collection, [name], unique=True)
    elif schema.get("is_indexed"):
        operations.create_index(f"ix_{collection}_{name}", collection, [name])


def alter_column(
    conn: Connection, collection: str, name: str, kind: str, schema: Mapping[str, Any]
) -> None:
    column = column_for(name, kind, schema, conn.dialect.name)
    operations = _operations(conn)
    changes: dict[str, Any] = {"existing_type": None, "type_": column.type}
    if "is_nullable" in schema:
        changes["nullable"] = bool(schema["is_nullable"])
    if "default_value" in schema:
        changes["server_default"] = _default(schema["default_value"], kind) or False
    if conn.dialect.name == "sqlite":
        with operations.batch_alter_table(collection, recreate="always") as batch:
            batch.alter_column(name, **{k: v for k, v in changes.items() if k != "existing_type"})
        return
    if conn.dialect.name == "postgresql":
        changes["postgresql_using"] = f'"{name}"::{column.type.compile(dialect=conn.dialect)}'
    operations.alter_column(
        collection, name, **{k: v for k, v in changes.items() if k != "existing_type"}
    )


def drop_column(conn: Connection, collection: str, name: str) -> None:
    operations = _operations(conn)
    if conn.dialect.name == "sqlite":
        with operations.batch_alter_table(collection, recreate="always") as batch:
            batch.drop_column(name)
        return
    operations.drop_column(collection, name)


def add_foreign_key(
    conn: Connection, many: str, field: str, one: str, one_key: str, on_delete: str | None
) -> None:
    action = (on_delete or "SET NULL").upper()
    if action not in ("SET NULL", "CASCADE", "RESTRICT", "NO ACTION", "SET DEFAULT"):
        raise invalid_payload(f'"{on_delete}" is not an on_delete action')
    name = f"fk_{many}_{field}_{one}"[:63]
    operations = _operations(conn)
    if conn.dialect.name == "sqlite":
        with operations.batch_alter_table(many, recreate="always") as batch:
            batch.create_foreign_key(name, one, [field], [one_key], ondelete=action)
        return
    operations.create_foreign_key(name, many, one, [field], [one_key], ondelete=action)


def drop_foreign_key(conn: Connection, many: str, field: str, one: str) -> None:
    name = f"fk_{many}_{field}_{one}"[:63]
    operations = _operations(conn)
    if conn.dialect.name == "sqlite":
        try:
            with operations.batch_alter_table(many, recreate="always") as batch:
                batch.drop_constraint(name, type_="foreignkey")
        except ValueError:
            return  # no such constraint: nothing to drop
        return
    conn.execute(text(f'ALTER TABLE "{many}" DROP CONSTRAINT IF EXISTS "{name}"'))


__all__ = [
    "Index",
    "add_column",
    "add_foreign_key",
    "alter_column",
    "create_table",
    "drop_column",
    "drop_table",
]
