"""SQL for ``directus_sessions``. Tokens are stored as keyed hashes; a rotated row stays behind
as a tombstone (``next_token`` set, ``expires`` = end of the grace period) so that a reused
token can be recognised and its whole chain revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    text,
    update,
)

from authgate.storage.tables import sessions, sso_sessions, users
from authgate.users.model import User
from authgate.users.repo import LOGIN_COLUMNS, user_from_row


@dataclass(frozen=True)
class SessionRow:
    token: str
    user: str | None
    expires: datetime
    next_token: str | None
    share: str | None
    oauth_client: str | None
    mfa: bool | None = None  # the SSO provider asserted multi-factor (``authgate_mfa``)
    public_id: str | None = None  # the session's identity across rotations (sessions/own.py)


# Statements built once (building one costs more than running it on SQLite).
_INSERT = insert(sessions)
# Two statements, each an index range scan (the partial index on live sessions' expiry, and
# the expiry index for old tombstones), rather than one OR that would scan every tombstone.
_PURGE_LIVE = delete(sessions).where(
    sessions.c.next_token.is_(None), sessions.c.expires < bindparam("now")
)
_PURGE_TOMBSTONES = delete(sessions).where(sessions.c.expires < bindparam("tombstones_before"))
_ROTATE = (
    update(sessions)
    .where(sessions.c.token == bindparam("rotated"))
    .values(next_token=bindparam("successor"), expires=bindparam("grace_end"))
)


def insert_session(
    conn: Connection,
    *,
    token_hash: str,
    user: str,
    expires: datetime,
    ip: str | None,
    user_agent: str | None,
    origin: str | None,
    mfa: bool | None = None,
    public_id: str | None = None,
) -> None:
    conn.execute(
        _INSERT,
        {
            "token": token_hash,
            "user": user,
            "expires": expires,
            "ip": ip,
            "user_agent": user_agent,
            "origin": origin,
            "authgate_mfa": True if mfa else None,
            "authgate_session": public_id,
        },
    )


def purge_expired(conn: Connection, *, now: datetime, retention: timedelta) -> None:
    """Delete sessions past their expiry, and tombstones older than ``retention`` (past that
    age their token would have expired anyway, so their reuse proves nothing)."""
    conn.execute(_PURGE_LIVE, {"now": now})
    conn.execute(_PURGE_TOMBSTONES, {"tombstones_before": now - retention})


_SESSION_ROW = select(
    sessions.c.token,
    sessions.c.user,
    sessions.c.expires,
    sessions.c.next_token,
    sessions.c.share,
    sessions.c.oauth_client,
    sessions.c.authgate_mfa,
    sessions.c.authgate_session,
).where(sessions.c.token == bindparam("token"))
_SESSION_ROW_LOCKED = _SESSION_ROW.with_for_update()


def lock_for_refresh(conn: Connection, token_hash: str) -> SessionRow | None:
    """The row, locked until the transaction ends (PostgreSQL; SQLite's write transaction is
    already exclusive), so that concurrent refreshes of one token queue up."""
    statement = _SESSION_ROW_LOCKED if conn.dialect.name == "postgresql" else _SESSION_ROW
    row = conn.execute(statement, {"token": token_hash}).first()
    return SessionRow(*row) if row else None


def move_sso_session(conn: Connection, token_hash: str, successor_hash: str) -> None:
    """What an OpenID provider said about the session follows it to its successor row."""
    conn.execute(
        update(sso_sessions).where(sso_sessions.c.token == token_hash).values(token=successor_hash)
    )


def exists(conn: Connection, token_hash: str) -> bool:
    return conn.execute(_SESSION_ROW, {"token": token_hash}).first() is not None


def mark_rotated(
    conn: Connection, token_hash: str, *, successor_hash: str, grace_end: datetime
) -> None:
    conn.execute(
        _ROTATE, {"rotated": token_hash, "successor": successor_hash, "grace_end": grace_end}
    )


_LIVE: Select[Any] = select(literal_column("1")).where(
    sessions.c.token == bindparam("token"),
    sessions.c.user == bindparam("user"),
    sessions.c.share.is_(None),
    sessions.c.expires >= bindparam("now"),
)


def is_live(
    conn: Connection, token_hash: str, *, user: str | None, share: str | None, now: datetime
) -> bool:
    """The check behind a session-mode JWT: its row exists, belongs to it, has not expired."""
    if user is None or share is not None:
        return False  # share sessions are out of scope; a user session names its user
    found = conn.execute(_LIVE, {"token": token_hash, "user": user, "now": now}).first()
    return found is not None


_CHAIN = text(
    """
    WITH RECURSIVE chain(token, next_token) AS (
        SELECT token, next_token FROM directus_sessions WHERE token = :token
        UNION
        SELECT s.token, s.next_token FROM directus_sessions s
        JOIN chain c ON s.next_token = c.token OR s.token = c.next_token
    )
    SELECT token FROM chain
    """
)


def chain_of(conn: Connection, token_hash: str) -> list[str]:
    """Every row of the rotation chain ``token_hash`` belongs to, before and after it."""
    return [row[0] for row in conn.execute(_CHAIN, {"token": token_hash})]


def delete_chain(conn: Connection, token_hash: str) -> int:
    members = chain_of(conn, token_hash)
    if not members:
        return 0
    conn.execute(delete(sessions).where(sessions.c.token.in_(members)))
    return len(members)


def delete_for_user(conn: Connection, user: str, *, keep_chain_of: str | None = None) -> None:
    condition = sessions.c.user == user
    if keep_chain_of is not None:
        keep = chain_of(conn, keep_chain_of)
        if keep:
            condition = condition & sessions.c.token.not_in(keep)
    conn.execute(delete(sessions).where(condition))


def find_with_user(conn: Connection, token_hash: str) -> tuple[SessionRow, User] | None:
    row = conn.execute(
        select(
            sessions.c.token,
            sessions.c.user,
            sessions.c.expires,
            sessions.c.next_token,
            sessions.c.share,
            sessions.c.oauth_client,
            *LOGIN_COLUMNS,
        )
        .join(users, users.c.id == sessions.c.user)
        .where(sessions.c.token == token_hash, sessions.c.oauth_client.is_(None))
    ).first()
    if row is None:
        return None
    return SessionRow(*row[:6]), user_from_row(row[6:])
