"""The system collections authgate serves, described from their tables plus Directus specials."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import JSON, Boolean, Integer, String, Table, Text

from authgate.schema.model import Collection, Field, FieldType
from authgate.storage import tables
from authgate.storage.types import GUID, UTCDateTime

# Directus field specials that change how a value is read or written.
_SPECIALS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "directus_users": {
        "id": frozenset({"uuid"}),
        "password": frozenset({"hash", "conceal"}),
        "token": frozenset({"conceal"}),
        "tfa_secret": frozenset({"conceal"}),
        "tags": frozenset({"cast-json"}),
        "auth_data": frozenset({"cast-json"}),
    },
    "directus_roles": {"id": frozenset({"uuid"})},
    "directus_policies": {"id": frozenset({"uuid"}), "ip_access": frozenset({"cast-csv"})},
    "directus_access": {"id": frozenset({"uuid"})},
    "directus_permissions": {"fields": frozenset({"cast-csv"})},
}

# o2m / m2m aliases Directus adds to system collections: (junction table, column back to us).
_ALIASES: Mapping[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "directus_users": (("policies", ("directus_access", "user")),),
    "directus_roles": (
        ("children", ("directus_roles", "parent")),
        ("policies", ("directus_access", "role")),
        ("users", ("directus_users", "role")),
    ),
    "directus_policies": (
        ("permissions", ("directus_permissions", "policy")),
        ("users", ("directus_access", "policy")),
        ("roles", ("directus_access", "policy")),
    ),
}


def _field_type(column_type: object, specials: frozenset[str]) -> FieldType:
    if "hash" in specials:
        return "hash"
    if "cast-csv" in specials:
        return "csv"
    if isinstance(column_type, GUID):
        return "uuid"
    if isinstance(column_type, UTCDateTime):
        return "timestamp"
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, Text):
        return "text"
    if isinstance(column_type, String):
        return "string"
    raise TypeError(f"no Directus type for {column_type!r}")


def describe(table: Table, *, singleton: bool = False) -> Collection:
    specials = _SPECIALS.get(table.name, {})
    fields = []
    for column in table.columns:
        own = specials.get(column.name, frozenset())
        length = getattr(column.type, "length", None)
        fields.append(
            Field(
                name=column.name,
                type=_field_type(column.type, own),
                nullable=bool(column.nullable),
                max_length=length if isinstance(length, int) else None,
                primary_key=column.primary_key,
                specials=own,
            )
        )
    for name, target in _ALIASES.get(table.name, ()):
        fields.append(Field(name=name, type="alias", specials=frozenset({"o2m"}), alias_of=target))
    primary = next(column.name for column in table.columns if column.primary_key)
    return Collection(
        name=table.name, fields=tuple(fields), primary_key=primary, singleton=singleton
    )


USERS = describe(tables.users)
ROLES = describe(tables.roles)
POLICIES = describe(tables.policies)
ACCESS = describe(tables.access)
PERMISSIONS = describe(tables.permissions)
SETTINGS = describe(tables.settings, singleton=True)
ACTIVITY = describe(tables.activity)

COLLECTIONS = {c.name: c for c in (USERS, ROLES, POLICIES, ACCESS, PERMISSIONS, SETTINGS, ACTIVITY)}
