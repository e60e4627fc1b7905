"""Rules of the access model's own collections around the generic item writes.

Every change to roles, policies, access rows or permissions bumps the cache epoch in the same
transaction (so every instance drops its cached permissions), and none may leave the project
without an active administrator (the guard is serialised, see ``users/rules.py``). Roles
refuse cycles and, when deleted, take their access rows with them, suspend their users and
orphan their children, as Directus does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from authgate.access.model import Accountability
from authgate.errors import invalid_payload
from authgate.items.scope import CollectionRules, Scope
from authgate.netaddr import is_valid_ip_access_entry
from authgate.storage.epoch import bump_epoch
from authgate.storage.tables import access, roles, users
from authgate.users.model import Status
from authgate.users.rules import ensure_admin_remains, guard_admins

_ACTIONS = ("create", "read", "update", "delete", "share")
_IP_ERROR = (
    "IP Access contains an incorrect value. Valid values are: IP addresses, IP ranges and CIDR "
    "blocks"
)


class _AccessModelRules(CollectionRules):
    """Shared: bump the epoch after every write, guard the last administrator."""

    guards_admins = True

    def before_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        *,
        action: str,
        changes: Collection[str] = (),
    ) -> Any:
        return guard_admins(conn) if self.guards_admins and action != "create" else None

    def after_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        values: Mapping[str, Any],
        *,
        action: str,
        before: Any,
    ) -> None:
        bump_epoch(conn)
        if before is not None:
            ensure_admin_remains(conn, before)


class RolesRules(_AccessModelRules):
    def check(
        self, conn: Connection, scope: Scope, key: Any, values: dict[str, Any], *, creating: bool
    ) -> None:
        parent = values.get("parent")
        if parent is None or key is None:
            return
        if parent == key:
            raise invalid_payload("A role cannot be a parent of itself")
        seen = set()
        current: Any = parent
        while current is not None and current not in seen:
            if current == key:
                raise invalid_payload(
                    "A role cannot have a parent that is already a descendant of itself"
                )
            seen.add(current)
            current = conn.execute(
                select(roles.c.parent).where(roles.c.id == current)
            ).scalar_one_or_none()

    def before_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        *,
        action: str,
        changes: Collection[str] = (),
    ) -> Any:
        before = super().before_write(conn, scope, keys, action=action, changes=changes)
        if action == "delete":
            # Directus: the role's access rows go, its users are suspended and unlinked, its
            # children lose their parent (the parent's foreign key would refuse the delete).
            conn.execute(delete(access).where(access.c.role.in_(list(keys))))
            conn.execute(
                update(users)
                .where(users.c.role.in_(list(keys)))
                .values(role=None, status=Status.SUSPENDED.value)
            )
            conn.execute(update(roles).where(roles.c.parent.in_(list(keys))).values(parent=None))
        return before


class PoliciesRules(_AccessModelRules):
    async def prepare(
        self, accountability: Accountability, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        ip_access = payload.get("ip_access")
        if ip_access is not None:
            entries = ip_access.split(",") if isinstance(ip_access, str) else ip_access
            if not isinstance(entries, list) or not all(
                isinstance(e, str) and is_valid_ip_access_entry(e) for e in entries if e != ""
            ):
                raise invalid_payload(_IP_ERROR)
        return payload


class AccessRules(_AccessModelRules):
    def check(
        self, conn: Connection, scope: Scope, key: Any, values: dict[str, Any], *, creating: bool
    ) -> None:
        if creating and not values.get("policy"):
            raise invalid_payload('"policy" is required')


class PermissionsRules(_AccessModelRules):
    guards_admins = False

    async def prepare(
        self, accountability: Accountability, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        action = payload.get("action")
        if action is not None and action not in _ACTIONS:
            raise invalid_payload(f'"action" must be one of [{", ".join(_ACTIONS)}]')
        for name in ("permissions", "validation", "presets"):
            value = payload.get(name)
            if value is not None and not isinstance(value, dict):
                raise invalid_payload(f'"{name}" must be an object')
        fields = payload.get("fields")
        if isinstance(fields, str):
            payload["fields"] = [f.strip() for f in fields.split(",") if f.strip()]
        return payload
