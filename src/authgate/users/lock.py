"""Serialising one user's writes: the user's row locked for the rest of the transaction.

Caps on what a user may own (API keys, passkeys) count and insert in one transaction with
this lock taken first, so concurrent creations queue and none goes past the cap. On
PostgreSQL it is ``SELECT ... FOR UPDATE``; SQLite ignores ``FOR UPDATE`` but every write
transaction there is ``BEGIN IMMEDIATE`` (one writer at a time), which serialises as well.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from authgate.storage.tables import users

_LOCK = select(users.c.id).where(users.c.id == bindparam("user")).with_for_update()


def lock_user(conn: Connection, user: str) -> bool:
    """Lock the user's row until the transaction ends; False when there is no such user."""
    return conn.execute(_LOCK, {"user": user}).first() is not None
