"""Checking and converting written values against field types (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from authgate.errors import invalid_payload, not_null_violation, value_too_long
from authgate.query.variables import is_uuid
from authgate.schema.model import Collection, Field


def _timestamp(field: Field, value: Any) -> datetime:
    if not isinstance(value, str):
        raise invalid_payload(f'"{field.name}" must be a date')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_payload(f'"{field.name}" must be a valid date') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def coerce_value(collection: Collection, field: Field, value: Any) -> Any:
    """The value to store for ``field``, or ``INVALID_PAYLOAD`` / ``VALUE_TOO_LONG`` /
    ``NOT_NULL_VIOLATION`` when it cannot be stored as that type."""
    name = field.name
    if value is None:
        if not field.nullable and not field.primary_key:
            raise not_null_violation(collection.name, name)
        return None
    kind = field.type
    if kind in ("string", "text", "hash"):
        if not isinstance(value, str):
            raise invalid_payload(f'"{name}" must be a string')
        if field.max_length is not None and kind != "hash" and len(value) > field.max_length:
            raise value_too_long(collection.name, name)
        return value
    if kind in ("integer", "bigInteger"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_payload(f'"{name}" must be a number')
        return value
    if kind in ("float", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_payload(f'"{name}" must be a number')
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise invalid_payload(f'"{name}" must be a boolean')
        return value
    if kind == "uuid":
        if not isinstance(value, str) or not is_uuid(value):
            raise invalid_payload(f'"{name}" must be a valid GUID')
        return value.lower()
    if kind in ("timestamp", "dateTime"):
        return _timestamp(field, value)
    if kind == "csv":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise invalid_payload(f'"{name}" must be an array of strings')
        joined = ",".join(i.strip() for i in items if i.strip())
        if field.max_length is not None and len(joined) > field.max_length:
            raise value_too_long(collection.name, name)
        return joined
    return value  # json and anything else: stored as given


def coerce_payload(
    collection: Collection, payload: Mapping[str, Any], *, drop_unknown: bool = True
) -> dict[str, Any]:
    """Known, non-alias fields of ``payload`` converted for storage; unknown keys are dropped
    (Directus ignores them for administrators)."""
    values: dict[str, Any] = {}
    for name, value in payload.items():
        field = collection.field(name)
        if field is None or field.is_alias:
            if drop_unknown:
                continue
            raise invalid_payload(f'"{name}" is not allowed')
        values[name] = coerce_value(collection, field, value)
    return values
