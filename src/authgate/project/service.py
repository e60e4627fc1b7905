"""``/settings``: the singleton read and written under permissions, values checked."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from authgate.access.model import Accountability
from authgate.access.permissions import grant_of, load_rows
from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.errors import failed_validation, invalid_foreign_key, invalid_payload
from authgate.project import repo
from authgate.project.model import compile_policy
from authgate.query.filter import FilterContext, field_forbidden
from authgate.query.params import Query
from authgate.query.sql import fetch, plan_read
from authgate.schema.system import SETTINGS
from authgate.schema.values import coerce_payload
from authgate.storage.db import Database
from authgate.storage.tables import roles

COLLECTION = "directus_settings"


class ProjectService:
    def __init__(self, *, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def _read(
        self, conn: Connection, accountability: Accountability, query: Query
    ) -> dict[str, Any]:
        readable = None
        if not accountability.admin:
            grant = grant_of(load_rows(conn, accountability, COLLECTION, "read"), COLLECTION)
            readable = [f.name for f in SETTINGS.fields if grant.allows_field(f.name)]
        plan = plan_read(
            SETTINGS,
            Query(fields=query.fields, alias=query.alias, limit=1),
            FilterContext(user=accountability.user, role=accountability.role, now=self.clock.now()),
            dialect=self.db.dialect,
            default_limit=1,
            readable=readable,
        )
        rows = fetch(conn, plan)
        return rows[0] if rows else {}

    async def read(self, accountability: Accountability, query: Query) -> dict[str, Any]:
        return await self.db.read(self._read, accountability, query)

    async def update(self, accountability: Accountability, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')
        values = coerce_payload(SETTINGS, payload, drop_unknown=accountability.admin)
        values.pop("id", None)
        _check(values)
        await self.db.write(self._update, accountability, payload, values, self.clock.now())

    def _update(
        self,
        conn: Connection,
        accountability: Accountability,
        payload: dict[str, Any],
        values: dict[str, Any],
        now: datetime,
    ) -> None:
        if not accountability.admin:
            grant = grant_of(load_rows(conn, accountability, COLLECTION, "update"), COLLECTION)
            for name in payload:
                if not grant.allows_field(name) or SETTINGS.field(name) is None:
                    raise field_forbidden(name, COLLECTION)
        role = values.get("public_registration_role")
        if (
            role is not None
            and conn.execute(select(roles.c.id).where(roles.c.id == role)).first() is None
        ):
            raise invalid_foreign_key(COLLECTION, "public_registration_role")
        key = repo.save(conn, values)
        activity.record(
            conn,
            action="update",
            actor=activity.Actor(
                accountability.user,
                accountability.ip,
                accountability.user_agent,
                accountability.origin,
            ),
            collection=COLLECTION,
            item=str(key),
            now=now,
            delta={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()},
        )


def _check(values: dict[str, Any]) -> None:
    policy = values.get("auth_password_policy")
    if policy:
        try:
            compile_policy(policy)
        except re.error:
            raise failed_validation(
                "auth_password_policy", "regex", "Value has to be a valid regular expression."
            ) from None
    attempts = values.get("auth_login_attempts")
    if attempts is not None and attempts < 1:
        raise invalid_payload('"auth_login_attempts" must be a positive number or null')
    email_filter = values.get("public_registration_email_filter")
    if email_filter is not None and not isinstance(email_filter, dict):
        raise invalid_payload('"public_registration_email_filter" must be a filter object')
