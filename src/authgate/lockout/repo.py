"""Counter rows of the lockout, read under a row lock and written back in one transaction.

Atomicity: a unit of work first makes sure the rows exist (``INSERT ... ON CONFLICT DO
NOTHING``), then reads them ``FOR UPDATE`` in one fixed order (the account row first), so two
attempts on the same account queue on PostgreSQL (across instances) and never deadlock; on
SQLite every write transaction already runs alone (``BEGIN IMMEDIATE``, across processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from authgate.lockout.model import ACCOUNT, QUIET, STALE_PENDING, Counter
from authgate.storage.tables import login_failures as table


class RowsVanished(Exception):
    """A row ``lock_rows`` made sure of was deleted before it was locked: run it again."""


def lock_rows(conn: Connection, user: str, scopes: Sequence[str]) -> dict[str, Counter]:
    insert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    ordered = sorted(set(scopes))  # "*" (the account) sorts before every address
    conn.execute(
        insert(table)
        .values([{"user": user, "scope": scope} for scope in ordered])
        .on_conflict_do_nothing(index_elements=[table.c.user, table.c.scope])
    )
    rows = conn.execute(
        select(table)
        .where(table.c.user == user, table.c.scope.in_(ordered))
        .order_by(table.c.scope)
        .with_for_update()
    ).all()
    if len(rows) != len(ordered):
        # On PostgreSQL a concurrent transaction deleted one (a sign-in clears its address)
        # between our INSERT, which found it there, and our SELECT. Retrying here, holding
        # the rows found, could deadlock: the caller runs the whole transaction again.
        raise RowsVanished
    return {
        row.scope: Counter(
            failures=row.failures,
            pending=row.pending,
            pending_at=row.pending_at,
            locks=row.locks,
            locked_until=row.locked_until,
            last_failure=row.last_failure,
        )
        for row in rows
    }


def store(conn: Connection, user: str, scope: str, counter: Counter) -> None:
    if counter.is_empty:
        conn.execute(delete(table).where(table.c.user == user, table.c.scope == scope))
        return
    conn.execute(
        update(table)
        .where(table.c.user == user, table.c.scope == scope)
        .values(
            failures=counter.failures,
            pending=counter.pending,
            pending_at=counter.pending_at,
            locks=counter.locks,
            locked_until=counter.locked_until,
            last_failure=counter.last_failure,
        )
    )


def forget(conn: Connection, user: str, scope: str | None = None) -> int:
    """Delete the user's rows (one scope, or all of them: a password reset, an unlock)."""
    condition = table.c.user == user
    if scope is not None:
        condition = and_(condition, table.c.scope == scope)
    return conn.execute(delete(table).where(condition)).rowcount or 0


def signed_in(conn: Connection, user: str, address: str, now: datetime) -> None:
    """A successful sign-in from ``address``: its row goes, and with it every address row
    of the user that says nothing any more (no lock, no recent failure, no live reservation:
    addresses an attacker used long ago). One statement, no row lock needed."""
    quiet = and_(
        table.c.scope != ACCOUNT,
        or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
        or_(table.c.last_failure.is_(None), table.c.last_failure <= now - QUIET),
        or_(table.c.pending_at.is_(None), table.c.pending_at <= now - STALE_PENDING),
    )
    conn.execute(delete(table).where(table.c.user == user, or_(table.c.scope == address, quiet)))


def give_back(conn: Connection, user: str, scope: str) -> None:
    """One reservation of the row returned, in one statement (``pending`` never below 0)."""
    conn.execute(
        update(table)
        .where(table.c.user == user, table.c.scope == scope)
        .values(pending=case((table.c.pending > 0, table.c.pending - 1), else_=0))
    )
