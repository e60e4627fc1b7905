"""SQL for passkeys (``authgate_passkeys``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from authgate.passkeys.model import Passkey
from authgate.storage.tables import passkeys

_COLUMNS = (
    passkeys.c.id,
    passkeys.c.user,
    passkeys.c.credential_id,
    passkeys.c.public_key,
    passkeys.c.user_handle,
    passkeys.c.name,
    passkeys.c.sign_count,
    passkeys.c.backup_eligible,
    passkeys.c.backup_state,
    passkeys.c.transports,
    passkeys.c.created,
    passkeys.c.last_used,
)


def _passkey(row: Any) -> Passkey:
    return Passkey(*row)


def of_user(conn: Connection, user: str) -> list[Passkey]:
    rows = conn.execute(
        select(*_COLUMNS).where(passkeys.c.user == user).order_by(passkeys.c.created, passkeys.c.id)
    )
    return [_passkey(row) for row in rows]


def by_credential(conn: Connection, credential_id: str) -> Passkey | None:
    row = conn.execute(select(*_COLUMNS).where(passkeys.c.credential_id == credential_id)).first()
    return _passkey(row) if row else None


def handle_of(conn: Connection, user: str) -> str | None:
    """The user handle of the user's passkeys (the same for all of them), if any."""
    return conn.execute(
        select(func.min(passkeys.c.user_handle)).where(passkeys.c.user == user)
    ).scalar()


def insert(conn: Connection, values: dict[str, Any]) -> bool:
    """False when the credential is already registered (to anyone). (Two concurrent
    registrations of one credential: the unique constraint refuses the second, an
    ``IntegrityError`` the service turns into the same refusal.)"""
    if by_credential(conn, values["credential_id"]) is not None:
        return False
    conn.execute(passkeys.insert().values(**values))
    return True


def record_use(
    conn: Connection,
    passkey_id: str,
    *,
    was: int,
    sign_count: int,
    backup_state: bool,
    now: datetime,
) -> bool:
    """Store a use; False when a concurrent use moved the counter first (the later one of two
    assertions with the same counter is refused, as a replay would be)."""
    result = conn.execute(
        update(passkeys)
        .where(passkeys.c.id == passkey_id, passkeys.c.sign_count == was)
        .values(sign_count=sign_count, backup_state=backup_state, last_used=now)
    )
    return result.rowcount == 1


def remove(conn: Connection, user: str, passkey_id: str) -> bool:
    result = conn.execute(
        delete(passkeys).where(passkeys.c.id == passkey_id, passkeys.c.user == user)
    )
    return result.rowcount == 1


def shape_near(conn: Connection, point: str) -> list[int]:
    """The id lengths (bytes) of the passkeys of the first owner at or after ``point`` (a
    UUID), wrapping round; empty when no one has a passkey (``passkeys/decoy.py``)."""
    owner = conn.execute(
        select(passkeys.c.user).where(passkeys.c.user >= point).order_by(passkeys.c.user).limit(1)
    ).scalar()
    if owner is None:
        first = select(passkeys.c.user).order_by(passkeys.c.user).limit(1)  # no min(uuid) on PG
        owner = conn.execute(first).scalar()
    if owner is None:
        return []
    rows = conn.execute(
        select(passkeys.c.credential_id)
        .where(passkeys.c.user == owner)
        .order_by(passkeys.c.created, passkeys.c.id)
    ).scalars()
    return [len(text) * 3 // 4 for text in rows]  # unpadded base64url


def count_of_user(conn: Connection, user: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(passkeys).where(passkeys.c.user == user)
        ).scalar_one()
    )
