"""SQL for users: lookups by email, id and token hash; inserts and updates with uniqueness."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from authgate.activity import repo as activity
from authgate.errors import AuthError, invalid_foreign_key, record_not_unique
from authgate.storage.tables import sessions, users
from authgate.users.model import Status, User

# What a login, a refresh or a token check needs to know of a user.
LOGIN_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.password,
    users.c.status,
    users.c.role,
    users.c.tfa_secret,
    users.c.provider,
    users.c.external_identifier,
    users.c.first_name,
    users.c.last_name,
)


def user_from_row(row: Any) -> User:
    return User(*row)


# Hot statements are built once: building a statement costs more than running it.
_BY_EMAIL = select(*LOGIN_COLUMNS).where(func.lower(users.c.email) == bindparam("email"))
_BY_ID = select(*LOGIN_COLUMNS).where(users.c.id == bindparam("id"))
_BY_TOKEN = select(users.c.id, users.c.role).where(
    users.c.token == bindparam("token"), users.c.status == "active"
)


def find_by_email(conn: Connection, email: str) -> User | None:
    """Case-insensitive, as Directus matches emails (served by a ``lower(email)`` index)."""
    row = conn.execute(_BY_EMAIL, {"email": email.lower()}).first()
    return user_from_row(row) if row else None


def get(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(_BY_ID, {"id": user_id}).first()
    return user_from_row(row) if row else None


def find_active_by_token_hash(conn: Connection, token_hash: str) -> tuple[str, str | None] | None:
    row = conn.execute(_BY_TOKEN, {"token": token_hash}).first()
    return (row[0], row[1]) if row else None


_TOUCH = (
    update(users).where(users.c.id == bindparam("user_id")).values(last_access=bindparam("now"))
)


def touch_last_access(conn: Connection, user_id: str, now: datetime) -> None:
    conn.execute(_TOUCH, {"user_id": user_id, "now": now})


def set_columns(conn: Connection, user_id: str, values: Mapping[str, Any]) -> None:
    try:
        conn.execute(update(users).where(users.c.id == user_id).values(**values))
    except IntegrityError as exc:
        raise translate_integrity_error(exc, values) from None


def touch_if_unchanged(conn: Connection, user: User, values: Mapping[str, Any]) -> bool:
    """Update a signing-in user's row only if it is still active with the password hash that
    was checked (one statement, which also locks the row); False if it changed since."""
    same_password = (
        users.c.password.is_(None) if user.password is None else users.c.password == user.password
    )
    result = conn.execute(
        update(users)
        .where(users.c.id == user.id, users.c.status == Status.ACTIVE.value, same_password)
        .values(**values)
    )
    return bool(result.rowcount)


def set_status(
    conn: Connection, user_id: str, status: Status, actor: activity.Actor, now: datetime
) -> None:
    """A status change made by the server itself (lockout, verification), with its activity
    row: the user is both the actor and the item."""
    set_columns(conn, user_id, {"status": status.value})
    activity.record(
        conn,
        action="update",
        actor=actor,
        collection="directus_users",
        item=user_id,
        now=now,
        delta={"status": status.value},
    )


def insert_user(conn: Connection, values: Mapping[str, Any]) -> None:
    try:
        conn.execute(insert(users).values(**values))
    except IntegrityError as exc:
        raise translate_integrity_error(exc, values) from None


def email_taken(conn: Connection, email: str, *, except_id: str | None = None) -> bool:
    condition = func.lower(users.c.email) == email.lower()
    if except_id is not None:
        condition = condition & (users.c.id != except_id)
    return conn.execute(select(users.c.id).where(condition).limit(1)).first() is not None


def delete_users(conn: Connection, ids: Sequence[str]) -> None:
    conn.execute(delete(sessions).where(sessions.c.user.in_(ids)))
    conn.execute(delete(users).where(users.c.id.in_(ids)))


def existing_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    return {row[0] for row in conn.execute(select(users.c.id).where(users.c.id.in_(ids)))}


_UNIQUE_COLUMNS = ("email", "token", "external_identifier")


def translate_integrity_error(exc: IntegrityError, values: Mapping[str, Any]) -> AuthError:
    """A unique violation as Directus's ``RECORD_NOT_UNIQUE``; secrets are never echoed."""
    text = str(exc.orig)
    for column in _UNIQUE_COLUMNS:
        if re.search(rf"\b{column}\b", text):
            if column == "email":
                shown: Any = f"[{str(values.get('email', '')).lower()}]"
            elif column == "token":
                shown = "**********"
            else:
                shown = values.get(column)
            return record_not_unique("directus_users", column, shown)
    if "foreign key" in text.lower():
        return invalid_foreign_key("directus_users", "role")
    raise exc
