"""Row-level helpers of item writes: keys, value conversion, automatic stamps, revisions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from authgate.errors import invalid_payload
from authgate.items.constraints import constraint_error
from authgate.items.scope import Scope
from authgate.schema.model import CONCEALED, Collection, Field
from authgate.schema.values import coerce_value
from authgate.uuids import is_uuid


def coerce_values(collection: Collection, columns: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in columns.items():
        described = collection.by_name[name]
        if described.type == "hash" and isinstance(value, str) and not value.startswith("$argon2"):
            raise invalid_payload(f'"{name}" can only be set at the top level of a payload')
        values[name] = value if value == CONCEALED else coerce_value(collection, described, value)
        if value == CONCEALED:
            values.pop(name)  # a concealed value read back and sent again changes nothing
    return values


def stamp(scope: Scope, collection: Collection, values: dict[str, Any], *, creating: bool) -> None:
    user, role, now = scope.accountability.user, scope.accountability.role, scope.now
    for described in collection.columns:
        specials, name = described.specials, described.name
        generated = "uuid" in specials or described.type == "uuid"
        if creating and described.primary_key and name not in values and generated:
            values[name] = str(uuid.uuid4())
        if creating and "user-created" in specials:
            values[name] = user
        if creating and "role-created" in specials:
            values[name] = role
        if creating and "date-created" in specials:
            values[name] = stamp_value(described, now)
        if not creating and "user-updated" in specials:
            values[name] = user
        if not creating and "role-updated" in specials:
            values[name] = role
        if not creating and "date-updated" in specials:
            values[name] = stamp_value(described, now)


def guarded(run: Any, collection: Collection, values: Mapping[str, Any]) -> Any:
    """Run a write; a constraint the database refuses becomes Directus's error for it."""
    try:
        return run()
    except IntegrityError as exc:
        raise constraint_error(exc, collection, values) from None


def revision(collection: Collection, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        described = collection.field(name)
        if described is not None and described.concealed and value is not None:
            out[name] = CONCEALED
        elif isinstance(value, datetime) or hasattr(value, "isoformat"):
            out[name] = value.isoformat()
        elif value is not None and not isinstance(value, str | int | float | bool | list | dict):
            out[name] = str(value)
        else:
            out[name] = value
    return out


def only_columns(collection: Collection, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in values.items() if (f := collection.field(k)) is not None and not f.is_alias
    }


def stamp_value(described: Field, now: datetime) -> Any:
    if described.type == "dateTime":
        return now.replace(tzinfo=None)
    if described.type == "date":
        return now.date()
    return now


def typed_key(collection: Collection, key: Any) -> Any:
    """A key as its column stores it, or None when it cannot be one (never an error: an
    impossible key is simply an item that does not exist)."""
    if key is None or isinstance(key, bool):
        return None
    kind = collection.primary.type
    if kind in ("integer", "bigInteger"):
        try:
            number = int(str(key))
        except ValueError:
            return None
        # past 64 bits no database binds it (it was a 500): no such item
        return number if -(2**63) <= number < 2**63 else None
    if kind == "uuid":
        return str(key).lower() if isinstance(key, str) and is_uuid(key) else None
    return str(key) if isinstance(key, str | int) else None
