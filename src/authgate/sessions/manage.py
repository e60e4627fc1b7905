"""Listing and ending one's own sessions (``/users/me/sessions``) and, for administrators,
anyone's (``/users/:id/sessions``).

Whose sessions a request may manage (``access.targets.target_user``) is shared with the API
keys: the caller's own, or any user's for an administrator; a request made with an API key
manages neither (a key limited to some policies must not make itself a broader one, nor end the
sessions of the person it was given by). An unknown or malformed user id is ``FORBIDDEN``,
as Directus answers an item that may not be read, so nothing tells whether it exists.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from authgate.access.model import Accountability
from authgate.access.targets import target_user
from authgate.clock import Clock
from authgate.errors import forbidden
from authgate.sessions import own
from authgate.storage.db import Database
from authgate.storage.tables import users
from authgate.uuids import is_uuid


def user_exists(conn: Connection, user: str) -> bool:
    return conn.execute(select(users.c.id).where(users.c.id == user)).first() is not None


class OwnSessions:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def listed(self, accountability: Accountability, key: str | None) -> list[own.OwnSession]:
        user = target_user(accountability, key)
        return await self.db.read(self._list, user, accountability, key is not None)

    def _list(
        self, conn: Connection, user: str, accountability: Accountability, named: bool
    ) -> list[own.OwnSession]:
        if named and not user_exists(conn, user):
            raise forbidden()
        current = own.current_of(conn, accountability.sid, accountability.user or "")
        return own.list_for(conn, user, current=current, now=self.clock.now())

    async def end(self, accountability: Accountability, key: str | None, session: str) -> None:
        """End one session; a session id that is not the user's is ``FORBIDDEN``."""
        user = target_user(accountability, key)
        if not is_uuid(session):
            raise forbidden()
        if not await self.db.write(own.end, user, session.lower()):
            raise forbidden()

    async def end_others(self, accountability: Accountability, key: str | None) -> None:
        """``/users/me/sessions``: every session but the one of the request's token.
        ``/users/:id/sessions``: every session of that user (the administrator's own current
        one too when it is their own id)."""
        user = target_user(accountability, key)
        await self.db.write(self._end_others, user, accountability, key is not None)

    def _end_others(
        self, conn: Connection, user: str, accountability: Accountability, named: bool
    ) -> None:
        if named and not user_exists(conn, user):
            raise forbidden()
        keep = None if named else own.current_of(conn, accountability.sid, user)
        own.end_all(conn, user, keep=keep)
