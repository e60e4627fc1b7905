"""SQL for ``authgate_identities`` (linked identities) and ``authgate_sso_sessions`` (what an
OpenID provider said about a session it opened)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from authgate.identities.model import LinkedIdentity
from authgate.storage.tables import identities, sso_sessions, users


@dataclass(frozen=True)
class SsoSession:
    token: str  # the session row's key (keyed hash)
    user: str
    provider: str
    subject: str
    sid: str | None
    id_token: str | None  # sealed


# ------------------------------------------------------------------------- linked identities


def insert_identity(
    conn: Connection, *, id: str, user: str, provider: str, subject: str, now: datetime
) -> None:
    conn.execute(
        insert(identities).values(
            id=id, user=user, provider=provider, subject=subject, linked_at=now
        )
    )


def linked_user(conn: Connection, provider: str, subject: str) -> str | None:
    statement = select(identities.c.user).where(
        identities.c.provider == provider, identities.c.subject == subject
    )
    found = conn.execute(statement).scalar()
    return str(found) if found is not None else None


def primary_owner(conn: Connection, identifier: str) -> str | None:
    """The user whose own ``external_identifier`` is ``identifier`` (how SSO sign-in matches)."""
    statement = select(users.c.id).where(
        func.lower(users.c.external_identifier) == identifier.lower()
    )
    found = conn.execute(statement.limit(1)).scalar()
    return str(found) if found is not None else None


def list_for_user(conn: Connection, user: str) -> list[LinkedIdentity]:
    statement = (
        select(identities.c.id, identities.c.provider, identities.c.subject, identities.c.linked_at)
        .where(identities.c.user == user)
        .order_by(identities.c.linked_at, identities.c.id)
    )
    return [LinkedIdentity(str(row[0]), row[1], row[2], row[3]) for row in conn.execute(statement)]


def delete_identity(conn: Connection, *, user: str, identity: str) -> bool:
    statement = delete(identities).where(identities.c.id == identity, identities.c.user == user)
    return conn.execute(statement).rowcount > 0


def account_facts(conn: Connection, user: str) -> tuple[str, str | None, str | None] | None:
    """``(provider, password, external_identifier)`` of ``user``."""
    row = conn.execute(
        select(users.c.provider, users.c.password, users.c.external_identifier).where(
            users.c.id == user
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


# ------------------------------------------------------------------------------ sso sessions


def bind_session(conn: Connection, session: SsoSession) -> None:
    conn.execute(
        insert(sso_sessions).values(
            token=session.token,
            user=session.user,
            provider=session.provider,
            subject=session.subject,
            sid=session.sid,
            id_token=session.id_token,
        )
    )


def sso_session(conn: Connection, token: str) -> SsoSession | None:
    row = conn.execute(
        select(
            sso_sessions.c.token,
            sso_sessions.c.user,
            sso_sessions.c.provider,
            sso_sessions.c.subject,
            sso_sessions.c.sid,
            sso_sessions.c.id_token,
        ).where(sso_sessions.c.token == token)
    ).first()
    return SsoSession(row[0], str(row[1]), row[2], row[3], row[4], row[5]) if row else None


def sessions_of(
    conn: Connection, *, provider: str, sid: str | None, subject: str | None
) -> list[str]:
    """The session keys a logout token names: by ``sid`` (and ``sub`` when given too), else
    every session of ``sub`` from ``provider``."""
    statement = select(sso_sessions.c.token).where(sso_sessions.c.provider == provider)
    if sid is not None:
        statement = statement.where(sso_sessions.c.sid == sid)
    if subject is not None:
        statement = statement.where(sso_sessions.c.subject == subject)
    if sid is None and subject is None:
        return []
    return [row[0] for row in conn.execute(statement)]
