"""Counting and removing a user's recovery codes (``users/recovery_codes.py``)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select

from authgate.storage.tables import recovery_codes as table


def remaining_in(conn: Connection, user: str) -> int:
    statement = select(func.count()).select_from(table).where(table.c.user == user)
    return int(conn.execute(statement).scalar_one())


def remove_in(conn: Connection, user: str) -> None:
    """Every code of the user (two-factor turned off, or a new set made)."""
    conn.execute(delete(table).where(table.c.user == user))
