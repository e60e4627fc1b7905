"""A constraint the database refused, as the Directus error for it (no driver text leaks)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from authgate.errors import (
    AuthError,
    invalid_foreign_key,
    not_null_violation,
    record_not_unique,
)
from authgate.schema.model import CONCEALED, Collection


def _column_in(text: str, collection: Collection, values: Mapping[str, Any]) -> str | None:
    for name in sorted(values, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", text):
            return name
    for described in collection.columns:
        if re.search(rf"\b{re.escape(described.name)}\b", text):
            return described.name
    return None


def constraint_error(
    exc: IntegrityError, collection: Collection, values: Mapping[str, Any]
) -> AuthError:
    text = str(exc.orig)
    lowered = text.lower()
    name = _column_in(text, collection, values) or "unknown"
    if "unique" in lowered or "duplicate" in lowered:
        described = collection.field(name)
        value = values.get(name)
        if described is not None and described.concealed:
            value = CONCEALED
        elif name == "email" and isinstance(value, str):
            value = f"[{value.lower()}]"
        return record_not_unique(collection.name, name, value)
    if "foreign key" in lowered:
        return invalid_foreign_key(collection.name, name)
    if "not null" in lowered or "null value" in lowered:
        return not_null_violation(collection.name, name)
    return AuthError(
        invalid_foreign_key(collection.name, name).code, "The change breaks a rule of the database."
    )


def delete_refused(exc: IntegrityError, collection: Collection) -> AuthError:
    """A delete the database refused: rows elsewhere still point at the items through a
    foreign key whose ``ON DELETE`` is ``RESTRICT``/``NO ACTION``. Directus (on PostgreSQL)
    answers an invalid foreign key on the deleted collection's primary key."""
    lowered = str(exc.orig).lower()
    if "foreign key" in lowered:
        return invalid_foreign_key(collection.name, collection.primary_key)
    return constraint_error(exc, collection, {})
