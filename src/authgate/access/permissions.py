"""The permission rows of an accountability, cached per policy set and cache epoch, and the
grant they make on each collection and action.

Rows come from the caller's policies, plus Directus's built-in "app minimal" rows for
app-access users. One statement loads every row of a policy set; the result is reused until
the epoch changes (any write to roles, policies, access or permissions bumps it, and every
instance reads the epoch with each request's accountability).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import Connection, bindparam, select

from authgate.access.grants import Grant, PermissionRow, collection_forbidden, grant_of
from authgate.access.model import Accountability
from authgate.access.policy import applicable_policies
from authgate.access.record_paths import record_paths
from authgate.access.repo import load_access_facts
from authgate.storage.tables import permissions

_APP_USER_FIELDS = (
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
)
# Directus 12.4's list, fields this server does not have included (they grant nothing here,
# and clients compare the list with Directus's).
_APP_SETTINGS_FIELDS = (
    "id",
    "project_url",
    "project_logo",
    "module_bar",
    "storage_asset_transform",
    "storage_asset_presets",
    "custom_aspect_ratios",
    "basemaps",
    "mapbox_key",
    "visual_editor_urls",
    "collaborative_editing_enabled",
    "report_error_url",
    "ai_openai_compatible_models",
    "ai_openai_allowed_models",
    "ai_anthropic_allowed_models",
    "ai_google_allowed_models",
    "mcp_prompts_collection",
    "default_save_action",
    "ai_translation_default_model",
    "ai_translation_glossary",
    "ai_translation_style_guide",
)
_MINE = {"_eq": "$CURRENT_USER"}


def _system(
    collection: str,
    action: str,
    rule: dict[str, Any] | None = None,
    fields: Sequence[str] = ("*",),
    validation: dict[str, Any] | None = None,
) -> PermissionRow:
    return PermissionRow(
        collection, action, rule or {}, validation, None, tuple(fields), None, None, True
    )


# Directus 12.4's built-in rows for every accountability with app access (administrators
# included), in its order; added in memory, never stored. Some name collections this server
# does not serve: they are listed as Directus lists them and grant nothing here.
APP_MINIMAL: tuple[PermissionRow, ...] = (
    _system("directus_collections", "read"),
    _system("directus_fields", "read"),
    _system("directus_relations", "read"),
    _system("directus_translations", "read"),
    _system("directus_activity", "read", {"user": _MINE}),
    _system("directus_comments", "read", {"user_created": _MINE}),
    _system("directus_comments", "create", validation={"comment": {"_nnull": True}}),
    _system("directus_comments", "update", {"user_created": _MINE}, ["comment"]),
    _system("directus_comments", "delete", {"user_created": _MINE}),
    _system(
        "directus_presets",
        "read",
        {
            "_or": [
                {"user": _MINE},
                {"_and": [{"user": {"_null": True}}, {"role": {"_eq": "$CURRENT_ROLE"}}]},
                {"_and": [{"user": {"_null": True}}, {"role": {"_null": True}}]},
            ]
        },
    ),
    _system("directus_presets", "create", validation={"user": _MINE}),
    _system("directus_presets", "update", {"user": _MINE}, validation={"user": _MINE}),
    _system("directus_presets", "delete", {"user": _MINE}),
    _system("directus_roles", "read", {"id": {"_in": "$CURRENT_ROLES"}}),
    _system("directus_settings", "read", None, _APP_SETTINGS_FIELDS),
    _system("directus_translations", "read"),
    _system("directus_notifications", "read", {"recipient": _MINE}),
    _system("directus_notifications", "update", {"recipient": _MINE}, ["status"]),
    _system("directus_shares", "read", {"user_created": _MINE}),
    _system("directus_users", "read", {"id": _MINE}, _APP_USER_FIELDS),
)

_ROWS = select(
    permissions.c.collection,
    permissions.c.action,
    permissions.c.permissions,
    permissions.c.validation,
    permissions.c.presets,
    permissions.c.fields,
    permissions.c.policy,
    permissions.c.id,
).where(permissions.c.policy.in_(bindparam("policies", expanding=True)))

RowIndex = Mapping[tuple[str, str], tuple[PermissionRow, ...]]


@dataclass(frozen=True)
class _Loaded:
    index: RowIndex
    # Record paths (``$CURRENT_USER.email``) the item rules use: read for each request.
    record_paths: frozenset[str]


def _rule_record_paths(index: RowIndex) -> frozenset[str]:
    found: set[str] = set()
    for rows in index.values():
        for row in rows:
            if row.permissions:
                found |= record_paths(row.permissions)
    return frozenset(found)


def load_rows(conn: Connection, policy_ids: Sequence[str]) -> RowIndex:
    """Every permission row of these policies, by (collection, action), in policy order."""
    index: dict[tuple[str, str], list[PermissionRow]] = {}
    if policy_ids:
        order = {policy: position for position, policy in enumerate(policy_ids)}
        rows = conn.execute(_ROWS, {"policies": list(policy_ids)}).all()
        for row in sorted(rows, key=lambda r: (order.get(r[6], 0), r[7])):
            fields = tuple(f.strip() for f in (row[5] or "").split(",") if f.strip())
            index.setdefault((row[0], row[1]), []).append(
                PermissionRow(row[0], row[1], row[2], row[3], row[4], fields, row[6], row[7])
            )
    return {key: tuple(value) for key, value in index.items()}


class PermissionCache:
    """Row indexes by (epoch, policies); bounded, shared by every request of a process."""

    def __init__(self, size: int = 512) -> None:
        self._entries: OrderedDict[tuple[int, tuple[str, ...]], _Loaded] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def rows(self, conn: Connection, epoch: int, policy_ids: tuple[str, ...]) -> _Loaded:
        key = (epoch, policy_ids)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        index = load_rows(conn, policy_ids)
        loaded = _Loaded(index, _rule_record_paths(index))
        with self._lock:
            self._entries[key] = loaded
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return loaded


@dataclass
class Permissions:
    """What one accountability may do, collection by collection (``None`` grants = admin)."""

    accountability: Accountability
    index: RowIndex
    admin: bool
    epoch: int = 0
    policies: tuple[str, ...] = ()
    record_paths: frozenset[str] = frozenset()  # used by the item rules (none in app rows)

    @property
    def cache_key(self) -> tuple[object, ...]:
        """Who these permissions are for, as far as compiled reads are concerned."""
        return (self.epoch, self.admin, self.accountability.app, self.policies)

    def rows(self, collection: str, action: str) -> tuple[PermissionRow, ...]:
        own = self.index.get((collection, action), ())
        if self.accountability.app:
            own = own + tuple(
                r for r in APP_MINIMAL if r.collection == collection and r.action == action
            )
        return own

    def all_rows(self) -> list[PermissionRow]:
        """Every row, in policy order, then the built-in app rows (for app access)."""
        own = sorted(
            (row for rows in self.index.values() for row in rows),
            key=lambda row: self.policies.index(row.policy) if row.policy in self.policies else 0,
        )
        return own + list(APP_MINIMAL) if self.accountability.app else own

    def grant(self, collection: str, action: str, path: str | None = None) -> Grant | None:
        """The grant, ``None`` for administrators; raises FORBIDDEN when there is none."""
        if self.admin:
            return None
        return grant_of(self.rows(collection, action), collection, path)

    def can(self, collection: str, action: str) -> bool:
        return self.admin or bool(self.rows(collection, action))

    def read_lookup(self, collection: str, path: str | None) -> Grant | None:
        return self.grant(collection, "read", path)


def permissions_for(
    conn: Connection, accountability: Accountability, cache: PermissionCache
) -> Permissions:
    """The caller's permissions: one statement when the cache is cold (and one more for an
    anonymous caller, whose public policies and the epoch are not known yet), none when warm."""
    policies = accountability.policies
    epoch = accountability.epoch
    if epoch is None:
        facts = load_access_facts(conn, user=accountability.user, role=accountability.role)
        epoch = facts.epoch
        if accountability.user is None and accountability.role is None:
            policies = applicable_policies(facts, accountability.ip)
    if accountability.admin:
        return Permissions(accountability, {}, True, epoch, tuple(policies))
    loaded = cache.rows(conn, epoch, tuple(policies))
    return Permissions(
        accountability, loaded.index, False, epoch, tuple(policies), loaded.record_paths
    )


__all__ = [
    "APP_MINIMAL",
    "Grant",
    "PermissionCache",
    "PermissionRow",
    "Permissions",
    "collection_forbidden",
    "grant_of",
    "permissions_for",
]
