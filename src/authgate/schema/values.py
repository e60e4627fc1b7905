"""Checking and converting written values against field types (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from authgate.errors import invalid_payload, not_null_violation, value_too_long
from authgate.schema.model import Collection, Field
from authgate.uuids import is_uuid


def _timestamp(field: Field, value: Any) -> datetime:
    if not isinstance(value, str):
        raise invalid_payload(f'"{field.name}" must be a date')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_payload(f'"{field.name}" must be a valid date') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _local_datetime(field: Field, value: Any) -> datetime:
    """A ``dateTime`` has no zone: an offset given is folded into UTC and dropped."""
    moment = _timestamp(field, value)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _date(field: Field, value: Any) -> date:
    if not isinstance(value, str):
        raise invalid_payload(f'"{field.name}" must be a date')
    try:
        # Directus accepts a full timestamp for a date field and keeps the day.
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise invalid_payload(f'"{field.name}" must be a valid date') from None


def _time(field: Field, value: Any) -> time:
    if not isinstance(value, str):
        raise invalid_payload(f'"{field.name}" must be a time')
    try:
        return time.fromisoformat(value.strip()).replace(tzinfo=None)
    except ValueError:
        raise invalid_payload(f'"{field.name}" must be a valid time') from None


def _text(collection: Collection, field: Field, value: Any) -> Any:
    if not isinstance(value, str):
        raise invalid_payload(f'"{field.name}" must be a string')
    if field.max_length is not None and field.type != "hash" and len(value) > field.max_length:
        raise value_too_long(collection.name, field.name)
    return value


def _integer(collection: Collection, field: Field, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_payload(f'"{field.name}" must be a number')
    return value


def _number(collection: Collection, field: Field, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_payload(f'"{field.name}" must be a number')
    return value


def _boolean(collection: Collection, field: Field, value: Any) -> Any:
    if not isinstance(value, bool):
        raise invalid_payload(f'"{field.name}" must be a boolean')
    return value


def _uuid(collection: Collection, field: Field, value: Any) -> Any:
    if not isinstance(value, str) or not is_uuid(value):
        raise invalid_payload(f'"{field.name}" must be a valid GUID')
    return value.lower()


def _csv(collection: Collection, field: Field, value: Any) -> Any:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise invalid_payload(f'"{field.name}" must be an array of strings')
    joined = ",".join(i.strip() for i in items if i.strip())
    if field.max_length is not None and len(joined) > field.max_length:
        raise value_too_long(collection.name, field.name)
    return joined


_COERCE: Mapping[str, Callable[[Collection, Field, Any], Any]] = {
    "string": _text,
    "text": _text,
    "hash": _text,
    "integer": _integer,
    "bigInteger": _integer,
    "float": _number,
    "decimal": _number,
    "boolean": _boolean,
    "uuid": _uuid,
    "timestamp": lambda _c, field, value: _timestamp(field, value),
    "dateTime": lambda _c, field, value: _local_datetime(field, value),
    "date": lambda _c, field, value: _date(field, value),
    "time": lambda _c, field, value: _time(field, value),
    "csv": _csv,
}


def coerce_value(collection: Collection, field: Field, value: Any) -> Any:
    """The value to store for ``field``, or ``INVALID_PAYLOAD`` / ``VALUE_TOO_LONG`` /
    ``NOT_NULL_VIOLATION`` when it cannot be stored as that type."""
    if value is None:
        if not field.nullable and not field.primary_key:
            raise not_null_violation(collection.name, field.name)
        return None
    convert = _COERCE.get(field.type)
    return convert(collection, field, value) if convert else value  # json: stored as given


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
