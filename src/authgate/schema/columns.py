"""Directus field types <-> database column types, both ways and on both databases.

Creating a field picks a column type from its Directus type; reading the schema back maps
the column type (plus the field's specials) to the same Directus type.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CHAR,
    DATETIME,
    TIMESTAMP,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Text,
    Time,
)
from sqlalchemy import JSON as JSONType
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from authgate.schema.model import FieldType
from authgate.storage.types import GUID, UTCDateTime


def value_type(
    kind: FieldType,
    *,
    max_length: int | None = None,
    precision: int | None = None,
    scale: int | None = None,
) -> TypeEngine[Any]:
    """The type queries use for a field of Directus type ``kind`` (Python values in and out)."""
    if kind in ("string", "hash"):
        return String(max_length or 255)
    if kind in ("text", "csv"):
        return Text()
    if kind == "integer":
        return Integer()
    if kind == "bigInteger":
        return BigInteger()
    if kind == "float":
        return Float()
    if kind == "decimal":
        return Numeric(precision or 10, scale if scale is not None else 5)
    if kind == "boolean":
        return Boolean()
    if kind == "date":
        return Date()
    if kind == "time":
        return Time()
    if kind == "dateTime":
        return DateTime(timezone=False)
    if kind == "timestamp":
        return UTCDateTime()
    if kind == "json":
        return JSONType()
    if kind == "uuid":
        return GUID()
    raise ValueError(f"{kind} fields have no column")


def ddl_type(
    kind: FieldType,
    dialect: str,
    *,
    max_length: int | None = None,
    precision: int | None = None,
    scale: int | None = None,
) -> TypeEngine[Any]:
    """The column type created for a field; chosen so that ``field_type`` reads it back as the
    same Directus type (on SQLite, ``TIMESTAMP`` and ``DATETIME`` tell timestamp from
    dateTime, and ``CHAR(36)`` is a uuid)."""
    if kind == "timestamp":
        return TIMESTAMP(timezone=True) if dialect == "postgresql" else TIMESTAMP()
    if kind == "dateTime":
        return TIMESTAMP(timezone=False) if dialect == "postgresql" else DATETIME()
    if kind == "uuid":
        return postgresql.UUID(as_uuid=False) if dialect == "postgresql" else CHAR(36)
    if kind == "json":
        return postgresql.JSON() if dialect == "postgresql" else JSONType()
    return value_type(kind, max_length=max_length, precision=precision, scale=scale)


_REFLECTED: tuple[tuple[type[TypeEngine[Any]], FieldType], ...] = (
    (DateTime, "dateTime"),
    (Boolean, "boolean"),
    (BigInteger, "bigInteger"),
    (Integer, "integer"),
    (Float, "float"),
    (Date, "date"),
    (Time, "time"),
    (JSONType, "json"),
    (Text, "text"),
    (String, "string"),
)


def field_type(column: TypeEngine[Any], specials: frozenset[str], dialect: str) -> FieldType:
    """The Directus type of a reflected column."""
    if "hash" in specials:
        return "hash"
    if "cast-csv" in specials:
        return "csv"
    name = type(column).__name__.upper()
    if name == "UUID" or (name == "CHAR" and getattr(column, "length", None) == 36):
        return "uuid"
    if name == "TIMESTAMP":
        if dialect == "postgresql":
            return "timestamp" if getattr(column, "timezone", False) else "dateTime"
        return "timestamp"
    if isinstance(column, Numeric) and not isinstance(column, Float):
        return "decimal"
    if name in ("REAL", "DOUBLE", "DOUBLE_PRECISION"):
        return "float"
    if name in ("JSON", "JSONB"):
        return "json"
    if name in ("TEXT", "CLOB"):
        return "text"
    # Most specific first: BigInteger is an Integer, Text is a String.
    for kind, field in _REFLECTED:
        if isinstance(column, kind):
            return field
    return "text"
