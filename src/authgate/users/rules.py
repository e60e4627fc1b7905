"""Directus's rules for ``directus_users`` around the generic item writes.

Email syntax and case-insensitive uniqueness, the password policy then argon2, static tokens
kept as keyed hashes, ``tfa_secret`` only through the two-factor endpoints,
``provider``/``external_identifier`` for administrators only, sessions ended on suspension and
on password or email change (keeping the caller's own), and never removing the last admin.

The last-admin guard counts before and after the change inside the write's transaction. Two
such transactions must not both count before either commits (each would see its own change
only, and together they could remove both admins): see ``storage/admin_lock.py``. Only admin
policies without ``ip_access`` count: an IP-restricted policy does not reliably give anyone
administrator rights.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, exists, func, or_, select

from authgate.access.model import Accountability
from authgate.activity import repo as activity
from authgate.crypto import Keys
from authgate.emails import is_valid_email
from authgate.errors import (
    failed_validation,
    forbidden,
    invalid_payload,
    record_not_unique,
    unprocessable,
)
from authgate.items.scope import CollectionRules, Scope
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import check_password_policy
from authgate.storage.admin_lock import serialise_admin_changes
from authgate.storage.db import Database
from authgate.storage.tables import access, policies, roles, users
from authgate.users import repo
from authgate.users.model import Status
from authgate.users.notices import SecurityNotices

log = logging.getLogger("authgate.lockout")  # the lockout's decisions, logged as before
_STATUSES = sorted(status.value for status in Status)
# What a request made with an API key may not change on its own user, whatever its policies
# grant: a key must not mint a static token (which carries every policy of the user, not only
# the key's) nor take the account over (README "API keys").
_CREDENTIALS = frozenset({"token", "password", "email"})
_OLD_EMAILS = "authgate.old_emails"  # conn.info: from before_write to after_write


class EndSessions(Protocol):
    """Delete a user's sessions, but the rotation chain of ``keep_chain_of`` (the sessions
    package owns the table: ``sessions.repo.delete_for_user``, wired in ``app.py``)."""

    def __call__(
        self, conn: Connection, user: str, *, keep_chain_of: str | None = None
    ) -> None: ...


class UsersRules(CollectionRules):
    guards_admins = True

    def __init__(
        self,
        *,
        db: Database,
        keys: Keys,
        hasher: PasswordHasher,
        end_sessions: EndSessions,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.db = db
        self.keys = keys
        self.hasher = hasher
        self.end_sessions = end_sessions
        self.notices = notices  # a password or email change mails the owner

    async def prepare(
        self, accountability: Accountability, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        if "tfa_secret" in payload:
            raise invalid_payload('You can\'t change the "tfa_secret" value manually')
        for name in ("provider", "external_identifier"):
            if name in payload and not accountability.admin:
                raise invalid_payload(f'You can\'t change the "{name}" value manually')
        status = payload.get("status")
        if status is not None and status not in _STATUSES:
            raise invalid_payload(f'"status" must be one of [{", ".join(_STATUSES)}]')
        email = payload.get("email")
        if isinstance(email, str) and not is_valid_email(email):
            raise failed_validation("email", "email", "Value has to be a valid email address.")
        if "provider" in payload or "external_identifier" in payload:
            payload["auth_data"] = None
        # A new user's provider is the column's default ("default"): not added to the payload,
        # where the grant check would ask every non-admin creator for the field.
        if "token" in payload:
            token = payload["token"]
            if token is not None and not isinstance(token, str):
                raise invalid_payload('"token" must be a string')
            payload["token"] = self.keys.hash_token(token) if token else None
        if "password" in payload:
            password = payload["password"]
            if password is not None and not isinstance(password, str):
                raise invalid_payload('"password" must be a string')
            if password:
                policy = await self.db.read(
                    lambda conn: project_repo.load(conn).auth_password_policy
                )
                check_password_policy(password, policy)
                payload["password"] = await self.hasher.hash(password)
            else:
                payload["password"] = None
        return payload

    def check(
        self, conn: Connection, scope: Scope, key: Any, values: dict[str, Any], *, creating: bool
    ) -> None:
        caller = scope.accountability
        if caller.api_key is not None and str(key) == caller.user and _CREDENTIALS & values.keys():
            raise forbidden()
        email = values.get("email")
        if email and repo.email_taken(conn, email, except_id=None if creating else key):
            raise record_not_unique("directus_users", "email", f"[{email.lower()}]")

    def before_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        *,
        action: str,
        changes: Collection[str] = (),
    ) -> Any:
        if action == "update" and "email" in changes:
            # The addresses before the change: the notice goes to the old one.
            found = conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(keys)))
            conn.info[_OLD_EMAILS] = {str(row.id): row.email for row in found}
        if action == "delete" or (action == "update" and {"status", "role"} & set(changes)):
            return guard_admins(conn)
        return None

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
        if action == "update":
            old_emails = conn.info.pop(_OLD_EMAILS, {})
            for key in keys:
                self._end_sessions(conn, scope, key, values)
                self._notify(conn, str(key), values, old_emails.get(str(key)))
        if action in ("update", "delete") and (
            {"status", "role"} & values.keys() or action == "delete"
        ):
            ensure_admin_remains(conn, before)

    def _notify(
        self, conn: Connection, key: str, values: Mapping[str, Any], old_email: str | None
    ) -> None:
        if self.notices is None:
            return
        if values.get("password"):
            self.notices.password_changed(conn, key)
        new_email = values.get("email")
        if "email" in values and old_email and old_email.lower() != str(new_email or "").lower():
            self.notices.email_changed(conn, key, old_email)

    def _end_sessions(
        self, conn: Connection, scope: Scope, key: Any, values: Mapping[str, Any]
    ) -> None:
        if "status" in values and values["status"] != Status.ACTIVE:
            self.end_sessions(conn, key)
        elif "password" in values or "email" in values:
            caller = scope.accountability
            keep = None
            if caller.user == key and caller.sid:
                keep = caller.sid
            self.end_sessions(conn, key, keep_chain_of=keep)


def guard_admins(conn: Connection) -> int:
    """Before an admin-affecting change: serialise with every other one, then count. (The
    items service has taken the lock already, before the first row was written; taking it
    again in the same transaction costs nothing.)"""
    serialise_admin_changes(conn)
    return count_active_admins(conn)


def count_active_admins(conn: Connection) -> int:
    """Active users who reach an admin policy without ``ip_access``, by role (any ancestor)
    or directly."""
    admin_policy = select(policies.c.id).where(
        policies.c.admin_access.is_(True),
        or_(policies.c.ip_access.is_(None), policies.c.ip_access == ""),
    )
    admin_roles = (
        select(access.c.role.label("id"))
        .where(access.c.policy.in_(admin_policy), access.c.role.is_not(None))
        .cte("admin_roles", recursive=True)
    )
    admin_roles = admin_roles.union(
        select(roles.c.id).join(admin_roles, roles.c.parent == admin_roles.c.id)
    )
    direct = exists(
        select(access.c.id).where(access.c.user == users.c.id, access.c.policy.in_(admin_policy))
    )
    statement = (
        select(func.count())
        .select_from(users)
        .where(
            users.c.status == Status.ACTIVE.value,
            or_(users.c.role.in_(select(admin_roles.c.id)), direct),
        )
    )
    return int(conn.execute(statement).scalar_one())


def ensure_admin_remains(conn: Connection, before: int | None) -> None:
    """Refuse a change that took the last active administrator away (422, as Directus)."""
    if before and count_active_admins(conn) == 0:
        raise unprocessable("Cannot remove the last admin user from the system.")


def suspend_after_failures(conn: Connection, user: str, address: str, now: datetime) -> bool:
    """Suspend the account after too many failed checks (Directus's lockout), unless it is the
    last active administrator: then False, and the lockout locks it for a while instead
    (``lockout.service.SuspendUser``)."""
    found = repo.get(conn, user)
    if found is None or found.status != Status.ACTIVE:
        return True
    before = guard_admins(conn)
    repo.set_columns(conn, user, {"status": Status.SUSPENDED.value})
    if before and count_active_admins(conn) == 0:
        repo.set_columns(conn, user, {"status": Status.ACTIVE.value})
        log.warning("last active administrator not suspended after failed sign-ins")
        return False
    activity.record(
        conn,
        action="update",
        actor=activity.Actor(user, address, None, None),
        collection="directus_users",
        item=user,
        now=now,
        delta={"status": Status.SUSPENDED.value},
    )
    # Its sessions stay, as in Directus: refreshing one answers USER_SUSPENDED and deletes it.
    log.warning("user suspended after too many failed sign-ins", extra={"user": user})
    return True
