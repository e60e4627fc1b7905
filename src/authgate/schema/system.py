"""The system collections authgate serves, described from their tables plus Directus's
specials, aliases and relations."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import JSON, Boolean, Integer, String, Table, Text

from authgate.schema.model import Collection, Field, FieldType, Relation
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
        "role": frozenset({"m2o"}),
    },
    "directus_roles": {"id": frozenset({"uuid"}), "parent": frozenset({"m2o"})},
    "directus_policies": {"id": frozenset({"uuid"}), "ip_access": frozenset({"cast-csv"})},
    "directus_access": {
        "id": frozenset({"uuid"}),
        "role": frozenset({"m2o"}),
        "user": frozenset({"m2o"}),
        "policy": frozenset({"m2o"}),
    },
    "directus_permissions": {"fields": frozenset({"cast-csv"}), "policy": frozenset({"m2o"})},
    "directus_activity": {"user": frozenset({"m2o"})},
    "directus_settings": {
        "public_registration_role": frozenset({"m2o"}),
        "ai_openai_api_key": frozenset({"conceal"}),
        "ai_anthropic_api_key": frozenset({"conceal"}),
        "ai_google_api_key": frozenset({"conceal"}),
        "ai_openai_compatible_api_key": frozenset({"conceal"}),
    },
}

RELATIONS: tuple[Relation, ...] = (
    Relation("directus_users", "role", "directus_roles", "users"),
    Relation("directus_roles", "parent", "directus_roles", "children"),
    Relation("directus_access", "role", "directus_roles", "policies", "policy", "sort", "delete"),
    Relation("directus_access", "user", "directus_users", "policies", "policy", "sort", "delete"),
    Relation("directus_access", "policy", "directus_policies", None),
    Relation(
        "directus_access",
        "policy",
        "directus_policies",
        "users",
        "user",
        None,
        "delete",
        one_filter={"user": {"_nnull": True}},
    ),
    Relation(
        "directus_access",
        "policy",
        "directus_policies",
        "roles",
        "role",
        None,
        "delete",
        one_filter={"role": {"_nnull": True}},
    ),
    Relation(
        "directus_permissions", "policy", "directus_policies", "permissions", None, None, "delete"
    ),
    Relation("directus_activity", "user", "directus_users", None),
    Relation("directus_settings", "public_registration_role", "directus_roles", None),
)


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
                auto_increment=column.primary_key and isinstance(column.type, Integer),
                has_default=column.server_default is not None,
                unique=bool(column.unique),
            )
        )
    for relation in RELATIONS:
        if relation.one_collection == table.name and relation.one_field:
            special = "m2m" if relation.junction_field else "o2m"
            fields.append(
                Field(name=relation.one_field, type="alias", specials=frozenset({special}))
            )
    primary = next(column.name for column in table.columns if column.primary_key)
    return Collection(
        name=table.name, fields=tuple(fields), primary_key=primary, singleton=singleton, system=True
    )


USERS = describe(tables.users)
ROLES = describe(tables.roles)
POLICIES = describe(tables.policies)
ACCESS = describe(tables.access)
PERMISSIONS = describe(tables.permissions)
SETTINGS = describe(tables.settings, singleton=True)
ACTIVITY = describe(tables.activity)
REVISIONS = describe(tables.revisions)

COLLECTIONS = {
    c.name: c for c in (USERS, ROLES, POLICIES, ACCESS, PERMISSIONS, SETTINGS, ACTIVITY, REVISIONS)
}
SYSTEM_TABLES: Mapping[str, Table] = {name: tables.metadata.tables[name] for name in COLLECTIONS}
