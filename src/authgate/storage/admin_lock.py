"""The lock that serialises changes which may remove an administrator (PostgreSQL).

The last-admin guard counts administrators before and after a change, inside the change's
transaction; two such transactions must not both count before either commits. On PostgreSQL
they take one transaction-level advisory lock, and they take it first, before writing any
row: a transaction that locked a user row and only then asked for the advisory lock could
wait for one that holds the advisory lock and waits for that row (a deadlock, which
PostgreSQL breaks by failing one of them). SQLite needs nothing: ``BEGIN IMMEDIATE`` already
runs its writers one at a time.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# Any fixed number, the same in every process.
ADMIN_GUARD_LOCK = 0x61757468_67617465  # "authgate"


def serialise_admin_changes(conn: Connection) -> None:
    """Wait for, then hold until the transaction ends, the admin-changes lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADMIN_GUARD_LOCK})
