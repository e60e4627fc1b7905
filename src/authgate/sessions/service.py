"""Login, refresh and logout (Directus ``AuthenticationService``), with authgate's decisions:

* refresh tokens and session ids are stored as keyed hashes;
* refresh is idempotent within ``SESSION_REFRESH_GRACE_PERIOD`` (the successor is derived
  from the presented token, so a repeat gets the same one) and a reuse after the grace period
  revokes the whole chain;
* login does the same work for unknown, inactive, wrong-provider and locked-out users, and is
  stalled to ``LOGIN_STALL_TIME`` whatever happens;
* failed password and code checks are counted by the lockout (``lockout/``), reserved before
  the check so that concurrent attempts never check more than the limit;
* a sign-in's writes (session, activity, lockout) are one transaction: an answer other than
  success leaves none of them behind;
* TOTP accepts the previous step too and refuses a step already used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy import Connection

from authgate import crypto
from authgate.access import policy
from authgate.access.repo import load_access_facts
from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.errors import AuthError, Code
from authgate.lockout.service import Lockout, Ticket
from authgate.metrics import events
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings
from authgate.sessions import repo
from authgate.storage.db import Database
from authgate.tokens import jwt
from authgate.users import repo as users_repo
from authgate.users.model import Status, User
from authgate.users.otp import OtpChecker

log = logging.getLogger("authgate.sessions")

Mode = Literal["json", "cookie", "session"]
# A write that goes with a new session row, in its transaction (``conn``, the session's key).
SessionBinder = Callable[[Connection, str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as recorded on sessions and activity rows."""

    ip: str | None
    user_agent: str | None
    origin: str | None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_ms: int
    user: str


@dataclass(frozen=True)
class _Rejected:
    """A refresh refused inside its transaction (the rows it deleted must still be committed)."""

    code: Code
    stall: bool = False


@dataclass(frozen=True)
class _Candidate:
    user: User | None
    settings: ProjectSettings
    admin: bool = False
    app: bool = False
    enforce_tfa: bool = False


async def stalled(clock: Clock, stall: timedelta, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` and answer no sooner than ``stall`` after the start, success or failure."""
    started = clock.monotonic()
    try:
        return await work()
    finally:
        left = stall.total_seconds() - (clock.monotonic() - started)
        if left > 0:
            await asyncio.sleep(left)


class SessionService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        keys: crypto.Keys,
        hasher: PasswordHasher,
        lockout: Lockout,
        otp: OtpChecker,
        provider_refresh: Callable[[User], Awaitable[None]] | None = None,
        sso_sessions: bool = False,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.keys = keys
        self.hasher = hasher
        self.lockout = lockout
        self.otp = otp
        # Called before an SSO user's session is refreshed (upstream token refresh, directory
        # re-check); raising refuses the refresh. Set by the SSO providers when configured.
        self.provider_refresh = provider_refresh
        # OpenID providers are configured: what they said about a session (its ID token,
        # sid) follows it through rotation (one more statement per refresh).
        self.sso_sessions = sso_sessions
        self.secret = settings.secret.reveal()

    # ---------------------------------------------------------------- login

    async def login(
        self,
        *,
        email: str,
        password: str,
        otp: str | None,
        mode: Mode,
        client: Client,
        provider: str = "default",
    ) -> IssuedTokens:
        return await stalled(
            self.clock,
            self.settings.login_stall_time,
            lambda: self._login(email, password, otp, mode, client, provider),
        )

    def _load_candidate(
        self, conn: Connection, email: str, ip: str | None, user_id: str | None = None
    ) -> _Candidate:
        settings = project_repo.load(conn)
        user = users_repo.get(conn, user_id) if user_id else users_repo.find_by_email(conn, email)
        if user is None or not user.is_active:
            return _Candidate(user, settings)
        facts = load_access_facts(conn, user=user.id, role=user.role)
        admin, app = policy.global_flags(facts, ip)
        enforce = user.tfa_secret is None and policy.own_role_enforces_tfa(facts, user.role)
        return _Candidate(user, settings, admin, app, enforce)

    async def _login(
        self, email: str, password: str, otp: str | None, mode: Mode, client: Client, provider: str
    ) -> IssuedTokens:
        candidate = await self.db.read(self._load_candidate, email, client.ip)
        user = candidate.user
        if user is None or not user.is_active or user.provider != provider:
            await self.hasher.burn(password)
            raise AuthError(Code.INVALID_CREDENTIALS)
        now = self.clock.now()
        limit = candidate.settings.auth_login_attempts
        ticket = await self.lockout.reserve(user.id, client.ip, now, limit)
        if ticket is None:
            # Locked: the same work and answer as a wrong password, and no check at all.
            await self.hasher.burn(password)
            raise AuthError(Code.INVALID_CREDENTIALS)
        return await self._checked(
            ticket, candidate, password, otp, mode, client, now, check_password=True
        )

    async def _checked(
        self,
        ticket: Ticket,
        candidate: _Candidate,
        password: str,
        otp: str | None,
        mode: Mode,
        client: Client,
        now: datetime,
        *,
        check_password: bool,
        bind: SessionBinder | None = None,
    ) -> IssuedTokens:
        """Run the reserved checks and settle the reservation: a failure is counted; a
        success is stored with the session in one transaction; anything else (an outage, a
        cancelled request) gives the reservation back, so a 503 leaves nothing behind."""
        user = candidate.user
        assert user is not None
        settled = False
        try:
            if check_password and not await self.hasher.verify(user.password, password):
                settled = True
                await self.lockout.failed(ticket, now)
                raise AuthError(Code.INVALID_CREDENTIALS)
            if user.tfa_secret and not (otp and await self.otp.accept(user, otp, now=now)):
                settled = True
                await self.lockout.failed(ticket, now)
                raise AuthError(Code.INVALID_OTP)
            rehash = None
            if check_password and user.password and self.hasher.needs_rehash(user.password):
                rehash = await self.hasher.hash(password)
            tokens = self._issue(
                user, candidate.admin, candidate.app, candidate.enforce_tfa, mode, now
            )
            await self.db.write(
                self._store_login, user, tokens, mode, client, now, rehash, ticket, bind
            )
            settled = True
            return tokens
        finally:
            if not settled:
                with contextlib.suppress(Exception):
                    await self.lockout.release(ticket, now)

    async def login_verified(
        self,
        user_id: str,
        *,
        otp: str | None,
        mode: Mode,
        client: Client,
        provider: str,
        linked: bool = False,
        bind: SessionBinder | None = None,
    ) -> IssuedTokens:
        """The rest of the login pipeline for a user an SSO provider has just authenticated:
        the account must be active and belong to ``provider`` (or, ``linked``, have that
        provider's identity linked: checked by the caller); two-factor still applies (and
        a wrong code counts toward the lockout); then tokens, the session row and the
        ``login`` activity, with ``bind(conn, session_key)`` in the same transaction. Stalled
        like every login."""

        async def work() -> IssuedTokens:
            candidate = await self.db.read(self._load_candidate, "", client.ip, user_id)
            user = candidate.user
            if user is None or not user.is_active or (user.provider != provider and not linked):
                raise AuthError(Code.INVALID_CREDENTIALS)
            now = self.clock.now()
            ticket = Ticket(user.id, "")  # nothing of ours is checked without two-factor
            if user.tfa_secret:
                limit = candidate.settings.auth_login_attempts
                reserved = await self.lockout.reserve(user.id, client.ip, now, limit)
                if reserved is None:
                    raise AuthError(Code.INVALID_OTP)
                ticket = reserved
            return await self._checked(
                ticket, candidate, "", otp, mode, client, now, check_password=False, bind=bind
            )

        return await stalled(self.clock, self.settings.login_stall_time, work)

    def _issue(
        self, user: User, admin: bool, app: bool, enforce_tfa: bool, mode: Mode, now: datetime
    ) -> IssuedTokens:
        return self._tokens(
            user, crypto.random_token(), admin, app, mode, now, enforce_tfa=enforce_tfa
        )

    def _tokens(
        self,
        user: User,
        refresh_token: str,
        admin: bool,
        app: bool,
        mode: Mode,
        now: datetime,
        *,
        enforce_tfa: bool = False,
    ) -> IssuedTokens:
        """The access token (a session JWT in session mode) that goes with ``refresh_token``.
        ``enforce_tfa`` is only ever set at login, as in Directus."""
        ttl = (
            self.settings.session_cookie_ttl
            if mode == "session"
            else self.settings.access_token_ttl
        )
        # Every access token names its session row (its stored key, never the refresh token):
        # ending the session ends its access tokens (authenticate.py). The session JWT carries
        # that key too, so that what a session cookie holds refreshes nothing in another mode.
        key = self.keys.hash_token(refresh_token)
        access_token = jwt.issue_access_token(
            self.secret,
            user=user.id,
            role=user.role,
            app_access=app,
            admin_access=admin,
            now=now,
            ttl=ttl,
            session=key if mode == "session" else None,
            sid=None if mode == "session" else key,
            enforce_tfa=enforce_tfa,
        )
        return IssuedTokens(access_token, refresh_token, int(ttl.total_seconds() * 1000), user.id)

    def _store_login(
        self,
        conn: Connection,
        user: User,
        tokens: IssuedTokens,
        mode: Mode,
        client: Client,
        now: datetime,
        rehash: str | None,
        ticket: Ticket,
        bind: SessionBinder | None = None,
    ) -> None:
        """Everything a sign-in writes, in one transaction. The account is checked again
        here: a concurrent failure may have suspended it since it was read. (The lockout's
        rows before the user's, in the order every transaction takes them.)"""
        self.lockout.succeeded_in(conn, ticket, now)
        values: dict[str, object] = {"last_access": now}
        if rehash is not None:
            values["password"] = rehash
        if not users_repo.touch_if_unchanged(conn, user, values):
            raise AuthError(Code.INVALID_CREDENTIALS)
        repo.insert_session(
            conn,
            token_hash=self.keys.hash_token(tokens.refresh_token),
            user=user.id,
            expires=now + self.settings.refresh_token_ttl,
            ip=client.ip,
            user_agent=client.user_agent,
            origin=client.origin,
        )
        if bind is not None:
            bind(conn, self.keys.hash_token(tokens.refresh_token))
        repo.purge_expired(conn, now=now, retention=self.settings.refresh_token_ttl)
        activity.record(
            conn,
            action="login",
            actor=activity.Actor(user.id, client.ip, client.user_agent, client.origin),
            collection="directus_users",
            item=user.id,
            now=now,
        )

    # -------------------------------------------------------------- refresh

    def session_key(self, presented: str, mode: str) -> str:
        """The stored key of the session a request presents: the keyed hash of a refresh
        token (json, cookie), or the key itself, which a session JWT carries (session). A
        session key sent as a json ``refresh_token`` is hashed again and finds nothing."""
        return presented if mode == "session" else self.keys.hash_token(presented)

    async def refresh(self, token: str, *, mode: Mode, client: Client) -> IssuedTokens:
        if not token:
            raise AuthError(Code.INVALID_CREDENTIALS)
        if self.provider_refresh is not None:
            found = await self.db.read(repo.find_with_user, self.session_key(token, mode))
            if found is not None and found[1].provider != "default" and found[1].is_active:
                await self.provider_refresh(found[1])
        now = self.clock.now()
        outcome = await self.db.write(self._rotate, token, mode, client, now)
        if isinstance(outcome, _Rejected):
            if outcome.stall:
                await asyncio.sleep(self.settings.login_stall_time.total_seconds())
            raise AuthError(outcome.code)
        return outcome

    def _rotate(
        self, conn: Connection, token: str, mode: Mode, client: Client, now: datetime
    ) -> IssuedTokens | _Rejected:
        """One transaction; refusals are returned, not raised, so that deletions commit."""
        token_hash = self.session_key(token, mode)
        row = repo.lock_for_refresh(conn, token_hash)
        if row is None or row.oauth_client is not None or row.user is None:
            events.count("refresh", "refused")
            return _Rejected(Code.INVALID_CREDENTIALS)
        if row.expires < now:
            events.count("refresh", "reuse_detected" if row.next_token is not None else "refused")
            if row.next_token is not None:
                revoked = repo.delete_chain(conn, token_hash)
                log.warning(
                    "refresh token reused after rotation; session chain revoked",
                    extra={"user": row.user, "revoked": revoked},
                )
            else:
                repo.delete_chain(conn, token_hash)
            return _Rejected(Code.INVALID_CREDENTIALS)
        user = users_repo.get(conn, row.user)
        if user is None:
            return _Rejected(Code.INVALID_CREDENTIALS)
        if not user.is_active:
            repo.delete_chain(conn, token_hash)
            suspended = user.status == Status.SUSPENDED
            return _Rejected(
                Code.USER_SUSPENDED if suspended else Code.INVALID_CREDENTIALS, stall=True
            )
        # (In session mode the successor derives from the session key the cookie names: the
        # same key gives the same successor within the grace period, as in the other modes.)
        successor = self.keys.successor_of(token)
        successor_hash = self.keys.hash_token(successor)
        if row.next_token is not None:
            # A repeat within the grace period: the same successor, if it still exists.
            if not crypto.equal(row.next_token, successor_hash) or not repo.exists(
                conn, successor_hash
            ):
                events.count("refresh", "refused")
                return _Rejected(Code.INVALID_CREDENTIALS)
            events.count("refresh", "grace")
        else:
            events.count("refresh", "rotated")
            lifetime = (
                self.settings.session_cookie_ttl
                if mode == "session"
                else self.settings.refresh_token_ttl
            )
            repo.mark_rotated(
                conn,
                token_hash,
                successor_hash=successor_hash,
                grace_end=now + self.settings.session_refresh_grace_period,
            )
            repo.insert_session(
                conn,
                token_hash=successor_hash,
                user=user.id,
                expires=now + lifetime,
                ip=client.ip,
                user_agent=client.user_agent,
                origin=client.origin,
            )
            if self.sso_sessions:
                repo.move_sso_session(conn, token_hash, successor_hash)
        facts = load_access_facts(conn, user=user.id, role=user.role)
        admin, app = policy.global_flags(facts, client.ip)
        # (Expired sessions are purged at login, as a whole, not here for one user: that
        # scan would grow with every rotation the user's tombstones remember.)
        users_repo.touch_last_access(conn, user.id, now)
        return self._tokens(user, successor, admin, app, mode, now)

    def _signed_session_key(self, session_jwt: str, now: datetime) -> str | None:
        try:
            claims = jwt.verify(session_jwt, self.secret, now=now)
        except AuthError:
            return None
        key = claims.get("session")
        return key if isinstance(key, str) and key else None

    def is_signed_session(self, session_jwt: str) -> bool:
        """Whether ``session_jwt`` is a session cookie we signed that has not expired."""
        return self._signed_session_key(session_jwt, self.clock.now()) is not None

    async def revoke_if_reused(self, session_jwt: str) -> None:
        """A session cookie refused before reaching the refresh: when it names a rotated
        session past its grace period, that is a reuse, and the whole chain is revoked, as a
        refresh of the same token would."""
        now = self.clock.now()
        key = self._signed_session_key(session_jwt, now)
        if key is not None:
            await self.db.write(self._revoke_if_reused, key, now)

    def _revoke_if_reused(self, conn: Connection, key: str, now: datetime) -> None:
        row = repo.lock_for_refresh(conn, key)
        if row is not None and row.next_token is not None and row.expires < now:
            revoked = repo.delete_chain(conn, key)
            log.warning(
                "session cookie reused after rotation; session chain revoked",
                extra={"user": row.user, "revoked": revoked},
            )

    # --------------------------------------------------------------- logout

    async def logout(self, token: str, *, mode: Mode, client: Client) -> None:
        """Ends the chain of ``token`` (a refresh token, or in session mode the session key
        the session JWT names) and with it every access token issued for that chain."""
        key = self.session_key(token, mode)
        await self.db.write(self._logout, key, client, self.clock.now())

    def _logout(self, conn: Connection, token_hash: str, client: Client, now: datetime) -> None:
        found = repo.find_with_user(conn, token_hash)
        if found is None:
            return
        _, user = found
        repo.delete_chain(conn, token_hash)
        activity.record(
            conn,
            action="logout",
            actor=activity.Actor(user.id, client.ip, client.user_agent, client.origin),
            collection="directus_users",
            item=user.id,
            now=now,
        )
