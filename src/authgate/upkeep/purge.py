"""Deleting what has expired, in short batches, on one instance at a time.

Every store that keeps rows with an end: ``authgate_counters`` (login attempts, request
limits, used TOTP steps, OAuth states, SAML assertion ids, mail limits: whatever
``ratelimit/db_store.py`` holds when there is no Redis), ``directus_sessions`` (expired
sessions, and rotated tombstones past the age where their reuse proves anything), and
``directus_activity`` with its revisions when ``RETENTION_ENABLED`` sets an
``ACTIVITY_RETENTION``, and signing keys past their retirement (``signing/``). Redis expires
its own keys.

Each batch is one short transaction (a long delete would hold SQLite's write lock, or
PostgreSQL row locks, against requests). On PostgreSQL each batch first takes a transaction
advisory lock without waiting: when another instance holds it, that instance is purging and
this one leaves the work to it. On SQLite the write lock already lets one process write at a
time, and a batch that finds nothing left deletes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, text, update

from authgate.signing.repo import delete_retired
from authgate.storage.tables import activity, counters, revisions, session_info, sessions

# The advisory lock's key: "authgate" read as a 63-bit number (any constant would do; this
# one does not collide with a small number another application might pick).
PURGE_LOCK_KEY = int.from_bytes(b"authgate", "big") & ((1 << 63) - 1)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


@dataclass(frozen=True)
class Purged:
    """Rows deleted by one batch; ``skipped`` when another instance holds the lock."""

    counters: int = 0
    sessions: int = 0
    activity: int = 0
    skipped: bool = False

    @property
    def total(self) -> int:
        return self.counters + self.sessions + self.activity


def purge_batch(
    conn: Connection,
    *,
    dialect: str,
    now: datetime,
    batch: int,
    tombstone_retention: timedelta,
    activity_retention: timedelta | None,
) -> Purged:
    """One batch of each store, inside the caller's transaction."""
    if dialect == "postgresql" and not conn.execute(_TRY_LOCK, {"key": PURGE_LOCK_KEY}).scalar():
        return Purged(skipped=True)
    expired = (
        select(counters.c.key)
        .where(counters.c.expires_at.is_not(None), counters.c.expires_at <= now)
        .limit(batch)
    )
    purged_counters = conn.execute(delete(counters).where(counters.c.key.in_(expired))).rowcount
    purged_sessions = _purge_sessions(conn, now=now, retention=tombstone_retention, batch=batch)
    purged_activity = 0
    if activity_retention is not None:
        purged_activity = _purge_activity(conn, before=now - activity_retention, batch=batch)
    delete_retired(conn, now)  # a handful of rows at most: not counted
    return Purged(purged_counters or 0, purged_sessions, purged_activity)


def _purge_sessions(conn: Connection, *, now: datetime, retention: timedelta, batch: int) -> int:
    """Live sessions past their expiry, and tombstones (rotated rows) older than ``retention``:
    past that age the token they stand for would have expired anyway, so its reuse proves
    nothing (the rule of ``sessions/repo.py``'s purge at login)."""
    live = sessions.c.next_token.is_(None) & (sessions.c.expires < now)
    tombstone = sessions.c.next_token.is_not(None) & (sessions.c.expires < now - retention)
    total = 0
    for condition in (live, tombstone):  # two index range scans rather than one OR
        doomed = select(sessions.c.token).where(condition).limit(batch)
        total += conn.execute(delete(sessions).where(sessions.c.token.in_(doomed))).rowcount or 0
    # A session's public identity once no row of its chain is left (logged out, purged).
    orphans = (
        select(session_info.c.id)
        .where(
            ~select(sessions.c.token)
            .where(sessions.c.authgate_session == session_info.c.id)
            .exists()
        )
        .limit(batch)
    )
    conn.execute(delete(session_info).where(session_info.c.id.in_(orphans)))
    return total


def _purge_activity(conn: Connection, *, before: datetime, batch: int) -> int:
    ids = [
        row[0]
        for row in conn.execute(
            select(activity.c.id)
            .where(activity.c.timestamp < before)
            .order_by(activity.c.id)
            .limit(batch)
        )
    ]
    if not ids:
        return 0
    # A later revision may name one of these as its parent: the link goes, the later one stays.
    doomed = select(revisions.c.id).where(revisions.c.activity.in_(ids))
    conn.execute(update(revisions).where(revisions.c.parent.in_(doomed)).values(parent=None))
    conn.execute(delete(revisions).where(revisions.c.activity.in_(ids)))
    return conn.execute(delete(activity).where(activity.c.id.in_(ids))).rowcount or 0
