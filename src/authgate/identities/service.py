"""Linked identities and SSO session facts, over the database.

* ``link``: the identity a provider just vouched for becomes another way into the account
  that started the flow, only when the browser still holds that account's session (the state
  is bound to it), and only when no other account owns that subject, linked or as its own
  ``external_identifier``. Email plays no part.
* ``unlink``: only while another way to sign in remains (``model.may_unlink``).
* ``binder``: what a sign-in through an OpenID provider stores with its session, in the
  session's own transaction: the provider's ``sub`` and ``sid`` (back-channel logout) and the
  ID token, sealed under ``SECRET`` and bound to the user (the hint of RP-initiated logout).
* ``end_sessions``: a verified logout token's sessions, ended as a logout ends them (their
  chains deleted: their access tokens stop with the next request, on every instance).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from authgate.clock import Clock
from authgate.crypto import Keys
from authgate.errors import AuthError, Code, forbidden, invalid_payload
from authgate.identities import repo
from authgate.identities.model import LinkedIdentity, may_unlink, sign_in_ways
from authgate.sessions import repo as sessions_repo
from authgate.storage.db import Database
from authgate.users.notices import SecurityNotices

log = logging.getLogger("authgate.identities")

LAST_WAY = "The last way to sign in can't be removed"
SID_MAX = 255  # authgate_sso_sessions.sid


def _id_token_context(provider: str, user: str) -> str:
    return f"sso-id-token/{provider}/{user}"


class Identities:
    def __init__(
        self,
        *,
        db: Database,
        keys: Keys,
        clock: Clock,
        notices: SecurityNotices | None = None,
        local_sign_in: bool = True,
    ) -> None:
        self.db = db
        self.local_sign_in = local_sign_in  # False with AUTH_DISABLE_DEFAULT: no password way in
        self.keys = keys
        self.clock = clock
        self.notices = notices  # mails the owner when an identity is linked or unlinked

    # -------------------------------------------------------------------- sso sessions

    def binder(
        self, *, user: str, provider: str, subject: str, sid: str | None, id_token: str | None
    ) -> Callable[[Connection, str], None]:
        """The write that goes with the session row (``conn``, the session's key)."""
        sealed = (
            self.keys.encrypt(id_token, context=_id_token_context(provider, user))
            if id_token
            else None
        )

        if sid is not None and len(sid) > SID_MAX:
            # Longer than the column: dropped, not a failed sign-in (a logout token still
            # ends the session by its ``sub``).
            log.warning("%s: the ID token's sid is too long to keep; it is dropped", provider)
            sid = None

        def bind(conn: Connection, token: str) -> None:
            repo.bind_session(
                conn,
                repo.SsoSession(token, user, provider, subject[:255], (sid or None), sealed),
            )

        return bind

    async def id_token_hint(self, session_key: str, provider: str) -> str | None:
        """The ID token of the sign-in that opened this session, if ``provider`` opened it."""
        found = await self.db.read(repo.sso_session, session_key)
        if found is None or found.provider != provider or not found.id_token:
            return None
        return self.keys.decrypt(found.id_token, context=_id_token_context(provider, found.user))

    async def end_sessions(self, *, provider: str, sid: str | None, subject: str | None) -> int:
        return await self.db.write(self._end_sessions, provider, sid, subject)

    def _end_sessions(
        self, conn: Connection, provider: str, sid: str | None, subject: str | None
    ) -> int:
        ended = 0
        for token in repo.sessions_of(conn, provider=provider, sid=sid, subject=subject):
            ended += 1 if sessions_repo.delete_chain(conn, token) else 0
        return ended

    # --------------------------------------------------------------- linked identities

    async def linked_user(self, provider: str, subject: str) -> str | None:
        return await self.db.read(repo.linked_user, provider, subject)

    async def link(
        self,
        *,
        user: str,
        bound_session: str,
        current_sessions: Sequence[str],
        provider: str,
        subject: str,
        identifier: str | None,
    ) -> None:
        """Raises ``INVALID_CREDENTIALS`` (the browser no longer holds the session that started
        the link) or ``RECORD_NOT_UNIQUE`` (another account owns that identity)."""
        if not subject or len(subject) > 255:
            raise AuthError(Code.INVALID_CREDENTIALS)
        try:
            await self.db.write(
                self._link, user, bound_session, current_sessions, provider, subject, identifier
            )
        except IntegrityError:
            raise AuthError(Code.RECORD_NOT_UNIQUE) from None

    def _link(
        self,
        conn: Connection,
        user: str,
        bound_session: str,
        current_sessions: Sequence[str],
        provider: str,
        subject: str,
        identifier: str | None,
    ) -> None:
        now = self.clock.now()
        chain = set(sessions_repo.chain_of(conn, bound_session))
        live = False
        for key in current_sessions:
            found = sessions_repo.find_with_user(conn, key) if key in chain else None
            if found is not None and found[1].id == user and found[0].expires >= now:
                live = True
        if not live:
            log.info("%s: link refused: the session that started it is not this one", provider)
            raise AuthError(Code.INVALID_CREDENTIALS)
        owner = repo.linked_user(conn, provider, subject)
        if owner == user:
            return  # linked already: nothing to do
        facts = repo.account_facts(conn, user)
        primary = repo.primary_owner(conn, identifier or subject)
        own_primary = primary == user and facts is not None and facts[0] == provider
        if owner is not None or (primary is not None and primary != user) or own_primary:
            log.info("%s: link refused: the identity belongs to an account already", provider)
            raise AuthError(Code.RECORD_NOT_UNIQUE)
        repo.insert_identity(
            conn, id=str(uuid.uuid4()), user=user, provider=provider, subject=subject, now=now
        )
        if self.notices is not None:
            self.notices.identity_linked(conn, user, provider)

    async def list(self, user: str) -> list[LinkedIdentity]:
        return await self.db.read(repo.list_for_user, user)

    async def unlink(self, user: str, identity: str) -> None:
        """Raises ``FORBIDDEN`` (no such identity of this user) or ``INVALID_PAYLOAD`` (it is
        the last way to sign in)."""
        try:
            identity = str(uuid.UUID(identity))
        except ValueError:
            raise forbidden() from None
        await self.db.write(self._unlink, user, identity)

    def _unlink(self, conn: Connection, user: str, identity: str) -> None:
        linked = repo.list_for_user(conn, user)
        if not any(found.id == identity for found in linked):
            raise forbidden()
        facts = repo.account_facts(conn, user)
        if facts is None:
            raise forbidden()
        provider, password, external = facts
        ways = sign_in_ways(
            provider=provider,
            password=password,
            external_identifier=external,
            linked=len(linked),
            local_sign_in=self.local_sign_in,
        )
        if not may_unlink(ways):
            raise invalid_payload(LAST_WAY)
        repo.delete_identity(conn, user=user, identity=identity)
        if self.notices is not None:
            gone = next(found for found in linked if found.id == identity)
            self.notices.identity_unlinked(conn, user, gone.provider)
