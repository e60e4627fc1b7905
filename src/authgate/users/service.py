"""Users through the API: reading under permissions, and writing with Directus's user rules.

Rules on top of the generic item rules: email syntax and case-insensitive uniqueness, the
password policy then argon2, static tokens stored as keyed hashes, ``tfa_secret`` only through
the two-factor endpoints, ``provider``/``external_identifier`` for administrators only,
sessions ended on suspension and on password or email change (keeping the caller's own), and
never removing the last administrator. Every write is one transaction with its activity.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, func, or_, select, true

from authgate.access.model import Accountability
from authgate.access.permissions import Grant, grant_of, load_rows
from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.emails import is_valid_email
from authgate.errors import (
    AuthError,
    Code,
    failed_validation,
    forbidden,
    invalid_foreign_key,
    invalid_payload,
    record_not_unique,
    unprocessable,
)
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import check_password_policy
from authgate.query.filter import FilterContext, compile_filter, field_forbidden
from authgate.query.params import Query
from authgate.query.sql import count, fetch, plan_read, rule_condition, where_clause
from authgate.query.variables import is_uuid
from authgate.schema.model import CONCEALED
from authgate.schema.system import USERS
from authgate.schema.values import coerce_payload
from authgate.sessions import repo as sessions_repo
from authgate.storage.db import Database
from authgate.storage.tables import access, policies, roles, users
from authgate.users import repo
from authgate.users.model import DEFAULT_PROVIDER, Status

COLLECTION = "directus_users"
_SECRET_FIELDS = frozenset({"password", "token", "tfa_secret"})
_STATUSES = sorted(status.value for status in Status)


@dataclass(frozen=True)
class ReadResult:
    data: Any
    meta: dict[str, int] | None = None


def filter_context(accountability: Accountability, now: datetime) -> FilterContext:
    return FilterContext(
        user=accountability.user,
        role=accountability.role,
        roles=accountability.roles,
        policies=accountability.policies,
        now=now,
    )


def conceal(values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy fit for a revision row: secrets replaced by ``**********``."""
    return {
        key: (CONCEALED if key in _SECRET_FIELDS and value is not None else value)
        for key, value in values.items()
        if not isinstance(value, datetime)
    } | {key: value.isoformat() for key, value in values.items() if isinstance(value, datetime)}


class UserService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        keys: Keys,
        hasher: PasswordHasher,
        settings: Settings,
    ) -> None:
        self.db = db
        self.clock = clock
        self.keys = keys
        self.hasher = hasher
        self.settings = settings

    # ------------------------------------------------------------------ reads

    def _read_grant(self, conn: Connection, accountability: Accountability) -> Grant | None:
        if accountability.admin:
            return None
        return grant_of(load_rows(conn, accountability, COLLECTION, "read"), COLLECTION)

    def _read(
        self,
        conn: Connection,
        accountability: Accountability,
        query: Query,
        key: str | None,
        now: datetime,
    ) -> ReadResult:
        grant = self._read_grant(conn, accountability)
        context = filter_context(accountability, now)
        readable: list[str] | None = None
        rule = None
        if grant is not None:
            readable = [f.name for f in USERS.fields if grant.allows_field(f.name)]
            rule = grant.filter()
        plan = plan_read(
            USERS,
            query,
            context,
            dialect=self.db.dialect,
            default_limit=self.settings.query_limit_default,
            readable=readable,
            rule=rule,
            by_key=key is not None,
        )
        rows = fetch(conn, plan, key=key)
        if key is not None:
            if not rows:
                raise forbidden()
            return ReadResult(rows[0])
        meta = None
        if query.meta:
            meta = {}
            condition = rule_condition(USERS, rule, context)
            if "total_count" in query.meta:
                meta["total_count"] = count(
                    conn, USERS, condition if condition is not None else true()
                )
            if "filter_count" in query.meta:
                meta["filter_count"] = count(
                    conn, USERS, where_clause(USERS, query, context, readable, condition)
                )
        return ReadResult(rows, meta)

    async def read_many(self, accountability: Accountability, query: Query) -> ReadResult:
        return await self.db.read(self._read, accountability, query, None, self.clock.now())

    async def read_one(self, accountability: Accountability, key: str, query: Query) -> ReadResult:
        if not is_uuid(key):
            raise forbidden()
        return await self.db.read(self._read, accountability, query, key.lower(), self.clock.now())

    async def read_me(self, accountability: Accountability, query: Query) -> dict[str, Any]:
        if accountability.user is None:
            if accountability.share is not None:
                return {"share": accountability.share}
            raise AuthError(Code.INVALID_CREDENTIALS)
        try:
            result = await self.read_one(accountability, accountability.user, query)
        except AuthError as error:
            if error.code != Code.FORBIDDEN:
                raise
            return {"id": accountability.user}
        return dict(result.data)

    async def read_back(
        self, accountability: Accountability, keys: Sequence[str], query: Query, *, single: bool
    ) -> Any:
        """What a create or update returns: the items as the caller may read them, ``None``
        (204) when it may not."""
        try:
            if single:
                return (await self.read_one(accountability, keys[0], query)).data
            filtered = Query(
                fields=query.fields,
                filter={"id": {"_in": list(keys)}},
                limit=-1,
                alias=query.alias,
            )
            rows = (await self.read_many(accountability, filtered)).data
        except AuthError as error:
            if error.code == Code.FORBIDDEN:
                return None
            raise
        order = {key: index for index, key in enumerate(keys)}
        return sorted(rows, key=lambda row: order.get(row.get("id"), 0))

    # ----------------------------------------------------------------- writes

    def _write_grant(
        self, conn: Connection, accountability: Accountability, action: str
    ) -> Grant | None:
        if accountability.admin:
            return None
        return grant_of(load_rows(conn, accountability, COLLECTION, action), COLLECTION)

    def _check_fields(self, payload: Mapping[str, Any], grant: Grant | None) -> None:
        if grant is None:
            return
        for name in payload:
            if not grant.allows_field(name) or USERS.field(name) is None:
                raise field_forbidden(name, COLLECTION)

    async def _prepare(
        self, accountability: Accountability, payload: Any, *, creating: bool
    ) -> dict[str, Any]:
        """Validate a payload and turn it into column values (password hashed, token sealed)."""
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')
        if "tfa_secret" in payload:
            raise invalid_payload('You can\'t change the "tfa_secret" value manually')
        for name in ("provider", "external_identifier"):
            if name in payload and not accountability.admin:
                raise invalid_payload(f'You can\'t change the "{name}" value manually')
        for alias in ("policies",):
            if alias in payload:
                raise invalid_payload(f'"{alias}" can\'t be changed through /users yet')
        values = coerce_payload(USERS, payload, drop_unknown=accountability.admin)
        if "status" in values and values["status"] not in _STATUSES:
            raise invalid_payload(f'"status" must be one of [{", ".join(_STATUSES)}]')
        if values.get("email") is not None and not is_valid_email(values["email"]):
            raise failed_validation("email", "email", "Value has to be a valid email address.")
        if "provider" in values or "external_identifier" in values:
            values["auth_data"] = None
        if creating:
            values.setdefault("provider", DEFAULT_PROVIDER)
        if "token" in values:
            token = values["token"]
            values["token"] = self.keys.hash_token(token) if token else None
        if "password" in values:
            password = values["password"]
            if password:
                policy = await self.db.read(
                    lambda conn: project_repo.load(conn).auth_password_policy
                )
                check_password_policy(password, policy)
                values["password"] = await self.hasher.hash(password)
            else:
                values["password"] = None
        return values

    def _check_unique_email(
        self, conn: Connection, values: Mapping[str, Any], key: str | None
    ) -> None:
        email = values.get("email")
        if email and repo.email_taken(conn, email, except_id=key):
            raise record_not_unique(COLLECTION, "email", f"[{email.lower()}]")

    def _check_role(self, conn: Connection, values: Mapping[str, Any]) -> None:
        role = values.get("role")
        if (
            role is not None
            and conn.execute(select(roles.c.id).where(roles.c.id == role)).first() is None
        ):
            raise invalid_foreign_key(COLLECTION, "role")

    async def create(self, accountability: Accountability, payload: Any) -> list[str]:
        items = payload if isinstance(payload, list) else [payload]
        if not items:
            return []
        prepared = [await self._prepare(accountability, item, creating=True) for item in items]
        return await self.db.write(self._create, accountability, items, prepared, self.clock.now())

    def _create(
        self,
        conn: Connection,
        accountability: Accountability,
        raw: list[dict[str, Any]],
        prepared: list[dict[str, Any]],
        now: datetime,
    ) -> list[str]:
        grant = self._write_grant(conn, accountability, "create")
        keys: list[str] = []
        for original, values in zip(raw, prepared, strict=True):
            self._check_fields(original, grant)
            if grant is not None:
                values = {**self._coerced_presets(grant), **values}
            values.setdefault("id", _new_id())
            self._check_unique_email(conn, values, None)
            self._check_role(conn, values)
            repo.insert_user(conn, values)
            activity.record(
                conn,
                action="create",
                actor=_actor(accountability),
                collection=COLLECTION,
                item=values["id"],
                now=now,
                data=conceal(values),
                delta=conceal(values),
            )
            keys.append(values["id"])
        return keys

    def _coerced_presets(self, grant: Grant) -> dict[str, Any]:
        return coerce_payload(USERS, grant.presets) if grant.presets else {}

    async def update(
        self, accountability: Accountability, keys: Sequence[str], payload: Any
    ) -> list[str]:
        clean = [key.lower() for key in keys if isinstance(key, str) and is_uuid(key)]
        if len(clean) != len(keys):
            raise forbidden()
        values = await self._prepare(accountability, payload, creating=False)
        return await self.db.write(
            self._update, accountability, clean, payload, values, self.clock.now()
        )

    def _update(
        self,
        conn: Connection,
        accountability: Accountability,
        keys: list[str],
        raw: Mapping[str, Any],
        values: dict[str, Any],
        now: datetime,
    ) -> list[str]:
        grant = self._write_grant(conn, accountability, "update")
        if grant is not None:
            self._check_fields(raw, grant)
            self._check_access(conn, accountability, grant, keys, "update", now)
            values = {**self._coerced_presets(grant), **values}
        if "email" in values and values["email"] and len(keys) > 1:
            raise record_not_unique(COLLECTION, "email", f"[{values['email'].lower()}]")
        guarded = bool({"status", "role"} & values.keys())
        admins_before = count_active_admins(conn) if guarded else 0
        existing = repo.existing_ids(conn, keys)
        for key in keys:
            if key not in existing:
                continue
            self._check_unique_email(conn, values, key)
            self._check_role(conn, values)
            if values:
                repo.set_columns(conn, key, values)
            self._end_sessions(conn, accountability, key, values)
            activity.record(
                conn,
                action="update",
                actor=_actor(accountability),
                collection=COLLECTION,
                item=key,
                now=now,
                data=conceal(values),
                delta=conceal(values),
            )
        if guarded:
            ensure_admin_remains(conn, admins_before)
        return keys

    def _end_sessions(
        self, conn: Connection, accountability: Accountability, key: str, values: Mapping[str, Any]
    ) -> None:
        if "status" in values and values["status"] != Status.ACTIVE:
            sessions_repo.delete_for_user(conn, key)
        elif "password" in values or "email" in values:
            keep = None
            if accountability.user == key and accountability.session:
                keep = self.keys.hash_token(accountability.session)
            sessions_repo.delete_for_user(conn, key, keep_chain_of=keep)

    def _check_access(
        self,
        conn: Connection,
        accountability: Accountability,
        grant: Grant,
        keys: Sequence[str],
        action: str,
        now: datetime,
    ) -> None:
        rule = grant.filter()
        if rule is None:
            return
        condition = compile_filter(rule, USERS, users, filter_context(accountability, now))
        allowed = conn.execute(
            select(func.count()).select_from(users).where(users.c.id.in_(keys), condition)
        ).scalar_one()
        if allowed != len(set(keys)):
            raise forbidden(
                f'You don\'t have permission to perform "{action}" for collection '
                f'"{COLLECTION}" or it does not exist.'
            )

    async def delete(self, accountability: Accountability, keys: Sequence[str]) -> None:
        clean = [key.lower() for key in keys if isinstance(key, str) and is_uuid(key)]
        if len(clean) != len(keys):
            raise forbidden()
        await self.db.write(self._delete, accountability, clean, self.clock.now())

    def _delete(
        self, conn: Connection, accountability: Accountability, keys: list[str], now: datetime
    ) -> None:
        grant = self._write_grant(conn, accountability, "delete")
        if grant is not None:
            self._check_access(conn, accountability, grant, keys, "delete", now)
        existing = sorted(repo.existing_ids(conn, keys))
        if not existing:
            return
        admins_before = count_active_admins(conn)
        repo.delete_users(conn, existing)
        for key in existing:
            activity.record(
                conn,
                action="delete",
                actor=_actor(accountability),
                collection=COLLECTION,
                item=key,
                now=now,
            )
        ensure_admin_remains(conn, admins_before)

    async def keys_for_query(self, accountability: Accountability, query: Query) -> list[str]:
        restricted = Query(fields=("id",), filter=query.filter, search=query.search, limit=-1)
        rows = (await self.read_many(accountability, restricted)).data
        return [row["id"] for row in rows]

    async def track_page(self, accountability: Accountability, last_page: str) -> None:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        await self.db.write(
            lambda conn: repo.set_columns(conn, accountability.user, {"last_page": last_page[:255]})  # type: ignore[arg-type]
        )


def _new_id() -> str:
    return str(uuid.uuid4())


def _actor(accountability: Accountability) -> activity.Actor:
    return activity.Actor(
        accountability.user, accountability.ip, accountability.user_agent, accountability.origin
    )


def count_active_admins(conn: Connection) -> int:
    """Active users who reach an admin policy, by role (any ancestor) or directly."""
    admin_policy = select(policies.c.id).where(policies.c.admin_access.is_(True))
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


def ensure_admin_remains(conn: Connection, before: int) -> None:
    """Refuse a change that took the last active administrator away (422, as Directus)."""
    if before > 0 and count_active_admins(conn) == 0:
        raise unprocessable("Cannot remove the last admin user from the system.")
