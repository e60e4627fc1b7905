"""Reading and writing the settings singleton."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update

from authgate.project.model import ProjectSettings
from authgate.storage.tables import settings

_AUTH_COLUMNS = (
    settings.c.project_name,
    settings.c.project_url,
    settings.c.project_color,
    settings.c.project_logo,
    settings.c.auth_login_attempts,
    settings.c.auth_password_policy,
    settings.c.public_registration,
    settings.c.public_registration_verify_email,
    settings.c.public_registration_role,
    settings.c.public_registration_email_filter,
)


def load(conn: Connection) -> ProjectSettings:
    row = conn.execute(select(*_AUTH_COLUMNS).order_by(settings.c.id).limit(1)).first()
    if row is None:
        return ProjectSettings()
    values = dict(zip((c.name for c in _AUTH_COLUMNS), row, strict=True))
    values["public_registration"] = bool(values["public_registration"])
    values["public_registration_verify_email"] = bool(values["public_registration_verify_email"])
    return ProjectSettings(**values)


def singleton_id(conn: Connection) -> int | None:
    row = conn.execute(select(settings.c.id).order_by(settings.c.id).limit(1)).first()
    return int(row[0]) if row else None


def save(conn: Connection, values: Mapping[str, Any]) -> int:
    """Update the singleton, creating it first when it does not exist; returns its id."""
    current = singleton_id(conn)
    if current is None:
        return int(
            conn.execute(insert(settings).values(**values).returning(settings.c.id)).scalar_one()
        )
    if values:
        conn.execute(update(settings).where(settings.c.id == current).values(**values))
    return current
