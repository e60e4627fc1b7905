"""Permission rows of an accountability, and what they allow on one collection and action.

Rows come from the caller's policies, plus Directus's built-in "app minimal" rows for
app-access users. Item rules are ORed, field lists unioned, validations ANDed and presets
merged (later rows win), as Directus evaluates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from authgate.access.model import Accountability
from authgate.errors import AuthError, forbidden
from authgate.storage.tables import access, permissions


@dataclass(frozen=True)
class PermissionRow:
    collection: str
    action: str
    permissions: Mapping[str, Any] | None
    validation: Mapping[str, Any] | None
    presets: Mapping[str, Any] | None
    fields: tuple[str, ...]
    policy: str | None


_APP_USER_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "last_page",
    "email",
    "password",
    "location",
    "title",
    "description",
    "tags",
    "provider",
    "preferences_divider",
    "avatar",
    "language",
    "appearance",
    "theme_light",
    "theme_dark",
    "tfa_secret",
    "status",
    "role",
]
_APP_SETTINGS_FIELDS = [
    "id",
    "project_name",
    "project_url",
    "project_color",
    "project_logo",
    "public_foreground",
    "public_background",
    "public_note",
    "module_bar",
    "storage_asset_transform",
    "storage_asset_presets",
    "custom_aspect_ratios",
    "basemaps",
    "mapbox_key",
    "visual_editor_urls",
    "report_error_url",
    "report_bug_url",
    "report_feature_url",
    "default_language",
    "default_appearance",
    "default_theme_light",
    "default_theme_dark",
    "theme_light_overrides",
    "theme_dark_overrides",
    "custom_css",
    "public_registration",
    "public_registration_verify_email",
]

APP_MINIMAL: tuple[PermissionRow, ...] = (
    PermissionRow(
        "directus_users",
        "read",
        {"id": {"_eq": "$CURRENT_USER"}},
        None,
        None,
        tuple(_APP_USER_FIELDS),
        None,
    ),
    PermissionRow(
        "directus_roles", "read", {"id": {"_in": "$CURRENT_ROLES"}}, None, None, ("*",), None
    ),
    PermissionRow("directus_settings", "read", {}, None, None, tuple(_APP_SETTINGS_FIELDS), None),
    PermissionRow(
        "directus_activity", "read", {"user": {"_eq": "$CURRENT_USER"}}, None, None, ("*",), None
    ),
)


def public_policies(conn: Connection) -> tuple[str, ...]:
    rows = conn.execute(
        select(access.c.policy)
        .where(access.c.role.is_(None), access.c.user.is_(None))
        .order_by(access.c.sort)
    )
    return tuple(row[0] for row in rows)


def load_rows(
    conn: Connection, accountability: Accountability, collection: str, action: str
) -> list[PermissionRow]:
    policy_ids: Sequence[str] = accountability.policies
    if accountability.user is None and accountability.role is None and not policy_ids:
        policy_ids = public_policies(conn)
    rows: list[PermissionRow] = []
    if policy_ids:
        found = conn.execute(
            select(
                permissions.c.collection,
                permissions.c.action,
                permissions.c.permissions,
                permissions.c.validation,
                permissions.c.presets,
                permissions.c.fields,
                permissions.c.policy,
            ).where(
                permissions.c.policy.in_(policy_ids),
                permissions.c.collection == collection,
                permissions.c.action == action,
            )
        ).all()
        order = {policy: index for index, policy in enumerate(policy_ids)}
        for row in sorted(found, key=lambda r: order.get(r[6], 0)):
            fields = tuple(f.strip() for f in (row[5] or "").split(",") if f.strip())
            rows.append(PermissionRow(row[0], row[1], row[2], row[3], row[4], fields, row[6]))
    if accountability.app:
        rows += [r for r in APP_MINIMAL if r.collection == collection and r.action == action]
    return rows


@dataclass(frozen=True)
class Grant:
    """What a set of rows allows: fields (``None`` = all), the row condition (``None`` = every
    row), presets and validations."""

    fields: frozenset[str] | None
    item_rules: tuple[Mapping[str, Any], ...] | None
    presets: Mapping[str, Any]
    validations: tuple[Mapping[str, Any], ...]

    def allows_field(self, name: str) -> bool:
        return self.fields is None or name in self.fields

    def filter(self) -> Mapping[str, Any] | None:
        """The item rule as one Directus filter, ``None`` when unrestricted."""
        if self.item_rules is None:
            return None
        if len(self.item_rules) == 1:
            return self.item_rules[0]
        return {"_or": list(self.item_rules)}


def collection_forbidden(collection: str) -> AuthError:
    return forbidden(
        f'You don\'t have permission to access collection "{collection}" or it does not '
        "exist. Queried in root."
    )


def grant_of(rows: Sequence[PermissionRow], collection: str) -> Grant:
    """Raises ``FORBIDDEN`` (collection message) when there is no row at all."""
    if not rows:
        raise collection_forbidden(collection)
    fields: set[str] = set()
    everything = False
    rules: list[Mapping[str, Any]] = []
    unrestricted = False
    presets: dict[str, Any] = {}
    validations: list[Mapping[str, Any]] = []
    for row in rows:
        if "*" in row.fields:
            everything = True
        fields.update(row.fields)
        if not row.permissions:
            unrestricted = True
        else:
            rules.append(row.permissions)
        if row.presets:
            presets.update(row.presets)
        if row.validation:
            validations.append(row.validation)
    return Grant(
        fields=None if everything else frozenset(fields),
        item_rules=None if unrestricted else tuple(rules),
        presets=presets,
        validations=tuple(validations),
    )
