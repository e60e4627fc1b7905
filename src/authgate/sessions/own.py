"""A person's own sessions: their public identity, listing and ending them.

A session is a rotation chain of ``directus_sessions`` rows (a refresh adds a row and leaves
the old one as a tombstone); every row of a chain names one ``authgate_sessions`` row, whose
``id`` is the session's public id. It is never a token or a hash of one, and a refresh keeps
it. ``last_used`` moves at login and at each refresh, never on an ordinary request: reading a
session costs no write, and an access token lives for ``ACCESS_TOKEN_TTL`` at most before
its client refreshes, so the time is exact to within one access-token lifetime.

Ending a session deletes every row of its chain, in one transaction: every access token that
names one of them is refused from the commit on, on every instance (``access/authenticate.py``
reads the session row with each request's accountability).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from authgate.storage.tables import session_info, sessions


@dataclass(frozen=True)
class OwnSession:
    id: str
    created: datetime | None
    last_used: datetime | None
    expires: datetime
    mode: str | None
    ip: str | None
    user_agent: str | None
    current: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created": _iso(self.created),
            "last_used": _iso(self.last_used),
            "expires": _iso(self.expires),
            "mode": self.mode,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "current": self.current,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def start(
    conn: Connection,
    *,
    user: str,
    mode: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> str:
    """A new session's public identity (its first row is inserted by the caller, in the same
    transaction)."""
    public_id = str(uuid.uuid4())
    conn.execute(
        insert(session_info).values(
            id=public_id,
            user=user,
            created=now,
            last_used=now,
            mode=mode,
            ip=ip,
            user_agent=user_agent,
        )
    )
    return public_id


def used(conn: Connection, public_id: str, *, mode: str, now: datetime) -> None:
    """A refresh: the session was used now, in ``mode``."""
    conn.execute(
        update(session_info).where(session_info.c.id == public_id).values(last_used=now, mode=mode)
    )


def carried(
    conn: Connection,
    public_id: str | None,
    *,
    user: str,
    mode: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> str:
    """A refresh's successor row keeps its session's public identity (marked used now); a row
    from before public ids existed starts one."""
    if public_id is None:
        return start(conn, user=user, mode=mode, ip=ip, user_agent=user_agent, now=now)
    used(conn, public_id, mode=mode, now=now)
    return public_id


def current_of(conn: Connection, key: str | None, user: str) -> str | None:
    """The public id of the session whose row is keyed ``key`` (what a token names)."""
    if key is None:
        return None
    found = conn.execute(
        select(sessions.c.authgate_session).where(sessions.c.token == key, sessions.c.user == user)
    ).first()
    return None if found is None else found[0]


def list_for(
    conn: Connection, user: str, *, current: str | None, now: datetime
) -> list[OwnSession]:
    """The sessions of ``user`` that stand: each chain's newest row, not expired."""
    rows = conn.execute(
        select(
            session_info.c.id,
            session_info.c.created,
            session_info.c.last_used,
            sessions.c.expires,
            session_info.c.mode,
            session_info.c.ip,
            session_info.c.user_agent,
        )
        .join(session_info, session_info.c.id == sessions.c.authgate_session)
        .where(
            sessions.c.user == user,
            sessions.c.next_token.is_(None),
            sessions.c.expires >= now,
            sessions.c.share.is_(None),
            sessions.c.oauth_client.is_(None),
        )
        .order_by(session_info.c.last_used.desc(), session_info.c.id)
    ).all()
    return [OwnSession(*row, current=row[0] == current) for row in rows]


def end(conn: Connection, user: str, public_id: str) -> bool:
    """End the session ``public_id`` of ``user``; False when ``user`` has no such session."""
    conn.execute(
        delete(sessions).where(sessions.c.user == user, sessions.c.authgate_session == public_id)
    )
    gone = conn.execute(
        delete(session_info).where(session_info.c.user == user, session_info.c.id == public_id)
    )
    return bool(gone.rowcount)


def end_all(conn: Connection, user: str, *, keep: str | None) -> None:
    """End every session of ``user`` but ``keep`` (sign out everywhere else)."""
    rows = sessions.c.user == user
    infos = session_info.c.user == user
    if keep is not None:
        rows = and_(
            rows,
            or_(sessions.c.authgate_session.is_(None), sessions.c.authgate_session != keep),
        )
        infos = and_(infos, session_info.c.id != keep)
    conn.execute(delete(sessions).where(rows))
    conn.execute(delete(session_info).where(infos))
