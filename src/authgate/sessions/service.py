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
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import Connection

from authgate import crypto
from authgate.access import policy
from authgate.access.repo import load_access_facts
from authgate.activity import repo as activity
from authgate.clock import Clock, stalled
from authgate.config.settings import Settings
from authgate.errors import AuthError, Code
from authgate.lockout.service import Lockout, Ticket
from authgate.metrics import events
from authgate.passwords import PasswordHasher
from authgate.requester import Client
from authgate.sessions import own, repo, rotation
from authgate.sessions.candidate import Candidate, load_candidate
from authgate.sessions.rotation import Rejected
from authgate.signing.ring import KeyRing
from authgate.storage.db import Database
from authgate.tokens import jwt
from authgate.users import repo as users_repo
from authgate.users.model import User
from authgate.users.otp import OtpChecker

if TYPE_CHECKING:
    from authgate.users.recovery_codes import RecoveryCodes

log = logging.getLogger("authgate.sessions")

Mode = Literal["json", "cookie", "session"]
# A write that goes with a new session row, in its transaction (``conn``, the session's key).
SessionBinder = Callable[[Connection, str], None]
T = TypeVar("T")
# A passkey assertion checked for a user (``passkeys/``): a second factor, or the only one.
PasskeyCheck = Callable[[User, Any, datetime], Awaitable[bool]]


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_ms: int
    user: str


def _facts(row: repo.SessionRow) -> rotation.SessionFacts:
    return rotation.SessionFacts(
        user=row.user, expires=row.expires, next_token=row.next_token, oauth_client=row.oauth_client
    )


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
        signing: KeyRing,
        provider_refresh: Callable[[User], Awaitable[None]] | None = None,
        passkey_factor: PasskeyCheck | None = None,
        sso_sessions: bool = False,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.keys = keys
        self.hasher = hasher
        self.lockout = lockout
        self.otp = otp
        self.signing = signing
        # Called before an SSO user's session is refreshed (upstream token refresh, directory
        # re-check); raising refuses the refresh. Set by the SSO providers when configured.
        self.provider_refresh = provider_refresh
        self.rotation = rotation.RotationPolicy(
            grace_period=settings.session_refresh_grace_period,
            refresh_ttl=settings.refresh_token_ttl,
            session_ttl=settings.session_cookie_ttl,
        )
        # A passkey assertion in place of the one-time code (``passkey`` beside ``otp``).
        self.passkey_factor = passkey_factor
        # A recovery code stands in for a TOTP code (set by the composition root).
        self.codes: RecoveryCodes | None = None
        # OpenID providers are configured: what they said about a session (its ID token,
        # sid) follows it through rotation (one more statement per refresh).
        self.sso_sessions = sso_sessions

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
        passkey: Any = None,
    ) -> IssuedTokens:
        return await stalled(
            self.clock,
            self.settings.login_stall_time,
            lambda: self._login(email, password, otp, mode, client, provider, passkey),
        )

    async def _login(
        self,
        email: str,
        password: str,
        otp: str | None,
        mode: Mode,
        client: Client,
        provider: str,
        passkey: Any = None,
    ) -> IssuedTokens:
        candidate = await self.db.read(load_candidate, email, client.ip)
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
            ticket,
            candidate,
            password,
            otp,
            mode,
            client,
            now,
            check_password=True,
            passkey=passkey,
        )

    async def _checked(
        self,
        ticket: Ticket,
        candidate: Candidate,
        password: str,
        otp: str | None,
        mode: Mode,
        client: Client,
        now: datetime,
        *,
        check_password: bool,
        passkey: Any = None,
        factor: Callable[[User, datetime], Awaitable[bool]] | None = None,
        mfa: bool = False,
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
            if factor is not None and not await factor(user, now):
                settled = True
                await self.lockout.failed(ticket, now)
                raise AuthError(Code.INVALID_CREDENTIALS)
            code = None  # a recovery code typed as ``otp``, used with the session's write
            needs_factor = user.tfa_secret or (candidate.passkey_required and not mfa)
            if (
                factor is None
                and needs_factor
                and not await self._second_factor(user, otp, passkey, now)
            ):
                if otp and self.codes is not None:
                    code = await self.codes.match(user.id, otp)
                if code is None:
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
                self._store_login, user, tokens, mode, client, now, rehash, ticket, code, mfa, bind
            )
            settled = True
            return tokens
        finally:
            if not settled:
                with contextlib.suppress(Exception):
                    await self.lockout.release(ticket, now)

    async def _second_factor(
        self, user: User, otp: str | None, passkey: Any, now: datetime
    ) -> bool:
        if otp:
            return await self.otp.accept(user, otp, now=now)
        if passkey is not None and self.passkey_factor is not None:
            return await self.passkey_factor(user, passkey, now)
        return False

    async def login_passwordless(
        self,
        owner: Callable[[], Awaitable[str | None]],
        factor: Callable[[User, datetime], Awaitable[bool]],
        *,
        mode: Mode,
        client: Client,
    ) -> IssuedTokens:
        """A sign-in with a passkey alone (``POST /auth/passkey/login``): ``owner`` names the
        user the assertion claims to be, ``factor`` checks it. The rest is a login's: only
        active users of the built-in provider, the same lockout (a refused assertion counts),
        tokens, session row, ``login`` activity, and the stall. A passkey that verified its
        user is two factors in one (held, and unlocked), so no one-time code is asked."""

        async def work() -> IssuedTokens:
            user_id = await owner()
            if user_id is None:
                raise AuthError(Code.INVALID_CREDENTIALS)
            candidate = await self.db.read(load_candidate, "", client.ip, user_id)
            user = candidate.user
            if user is None or not user.is_active or user.provider != "default":
                raise AuthError(Code.INVALID_CREDENTIALS)
            now = self.clock.now()
            limit = candidate.settings.auth_login_attempts
            ticket = await self.lockout.reserve(user.id, client.ip, now, limit)
            if ticket is None:
                raise AuthError(Code.INVALID_CREDENTIALS)
            return await self._checked(
                ticket, candidate, "", None, mode, client, now, check_password=False, factor=factor
            )

        return await stalled(self.clock, self.settings.login_stall_time, work)

    async def login_verified(
        self,
        user_id: str,
        *,
        otp: str | None,
        mode: Mode,
        client: Client,
        provider: str,
        mfa: bool = False,
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
            candidate = await self.db.read(load_candidate, "", client.ip, user_id)
            user = candidate.user
            if user is None or not user.is_active or (user.provider != provider and not linked):
                raise AuthError(Code.INVALID_CREDENTIALS)
            now = self.clock.now()
            ticket = Ticket(user.id, "")  # nothing of ours is checked without two-factor
            if user.tfa_secret or (candidate.passkey_required and not mfa):
                limit = candidate.settings.auth_login_attempts
                reserved = await self.lockout.reserve(user.id, client.ip, now, limit)
                if reserved is None:
                    raise AuthError(Code.INVALID_OTP)
                ticket = reserved
            return await self._checked(
                ticket,
                candidate,
                "",
                otp,
                mode,
                client,
                now,
                check_password=False,
                mfa=mfa,
                bind=bind,
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
        payload = jwt.access_payload(
            user=user.id,
            role=user.role,
            app_access=app,
            admin_access=admin,
            session=key if mode == "session" else None,
            sid=None if mode == "session" else key,
            enforce_tfa=enforce_tfa,
        )
        access_token = self.signing.keys.sign(payload, now=now, ttl=ttl)
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
        code: str | None = None,
        mfa: bool = False,
        bind: SessionBinder | None = None,
    ) -> None:
        """Everything a sign-in writes, in one transaction. The account is checked again
        here: a concurrent failure may have suspended it since it was read. (The lockout's
        rows before the user's, in the order every transaction takes them.) A recovery
        ``code`` is used here: a concurrent sign-in that used it first wins."""
        if code is not None and (self.codes is None or not self.codes.use_in(conn, user.id, code)):
            raise AuthError(Code.INVALID_OTP)
        self.lockout.succeeded_in(conn, ticket, now)
        values: dict[str, object] = {"last_access": now}
        if rehash is not None:
            values["password"] = rehash
        if not users_repo.touch_if_unchanged(conn, user, values):
            raise AuthError(Code.INVALID_CREDENTIALS)
        public_id = own.start(
            conn, user=user.id, mode=mode, ip=client.ip, user_agent=client.user_agent, now=now
        )
        repo.insert_session(
            conn,
            token_hash=self.keys.hash_token(tokens.refresh_token),
            user=user.id,
            expires=now + self.settings.refresh_token_ttl,
            ip=client.ip,
            user_agent=client.user_agent,
            origin=client.origin,
            mfa=mfa,
            public_id=public_id,
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
        if isinstance(outcome, Rejected):
            if outcome.stall:
                await asyncio.sleep(self.settings.login_stall_time.total_seconds())
            raise AuthError(outcome.code)
        return outcome

    def _rotate(
        self, conn: Connection, token: str, mode: Mode, client: Client, now: datetime
    ) -> IssuedTokens | Rejected:
        """One transaction; refusals are returned, not raised, so that deletions commit.
        What to do is decided by ``rotation`` (pure); this reads and writes the rows."""
        token_hash = self.session_key(token, mode)
        found = repo.lock_for_refresh(conn, token_hash)
        row = None if found is None else _facts(found)
        verdict = rotation.judge(row, now)
        if verdict is not rotation.Verdict.LIVE:
            reused = verdict is rotation.Verdict.REUSED
            events.count("refresh", "reuse_detected" if reused else "refused")
            if verdict is not rotation.Verdict.UNKNOWN:
                revoked = repo.delete_chain(conn, token_hash)
                if reused:
                    log.warning(
                        "refresh token reused after rotation; session chain revoked",
                        extra={"user": row.user if row else None, "revoked": revoked},
                    )
            return Rejected(Code.INVALID_CREDENTIALS)
        assert found is not None and row is not None and row.user is not None  # live: named
        user = users_repo.get(conn, row.user)
        refused = rotation.refusal_for_user(user)
        if refused is not None:
            if refused.revoke_chain:
                repo.delete_chain(conn, token_hash)
            return refused
        assert user is not None
        # (In session mode the successor derives from the session key the cookie names: the
        # same key gives the same successor within the grace period, as in the other modes.)
        successor = self.keys.successor_of(token)
        step = rotation.next_step(
            row,
            self.keys.hash_token(successor),
            policy=self.rotation,
            session_mode=mode == "session",
            now=now,
        )
        if isinstance(step, rotation.Repeat) and not repo.exists(conn, step.successor_hash):
            step = Rejected(Code.INVALID_CREDENTIALS)  # revoked or rotated away since
        if isinstance(step, Rejected):
            events.count("refresh", "refused")
            return step
        if isinstance(step, rotation.Repeat):
            events.count("refresh", "grace")
        else:
            events.count("refresh", "rotated")
            repo.mark_rotated(
                conn, token_hash, successor_hash=step.successor_hash, grace_end=step.grace_end
            )
            public_id = own.carried(
                conn, found.public_id, user=user.id, mode=mode, ip=client.ip,
                user_agent=client.user_agent, now=now,
            )  # fmt: skip
            repo.insert_session(
                conn,
                token_hash=step.successor_hash,
                user=user.id,
                expires=step.successor_expires,
                ip=client.ip,
                user_agent=client.user_agent,
                origin=client.origin,
                mfa=found.mfa,  # an SSO provider's MFA assertion follows the session
                public_id=public_id,
            )
            if self.sso_sessions:
                repo.move_sso_session(conn, token_hash, step.successor_hash)
        facts = load_access_facts(conn, user=user.id, role=user.role)
        admin, app = policy.global_flags(facts, client.ip)
        # (Expired sessions are purged at login, as a whole, not here for one user: that
        # scan would grow with every rotation the user's tombstones remember.)
        users_repo.touch_last_access(conn, user.id, now)
        return self._tokens(user, successor, admin, app, mode, now)

    def verify_access(self, token: str, now: datetime) -> dict[str, Any]:
        """The claims of an access token or session JWT this server signed (HS256 with
        ``SECRET``, or a published key of ``AUTH_JWT_ALGORITHM``).

        Raises:
            AuthError: ``INVALID_TOKEN`` or ``TOKEN_EXPIRED``.
        """
        return self.signing.keys.verify(token, now=now)

    def _signed_session_key(self, session_jwt: str, now: datetime) -> str | None:
        try:
            claims = self.verify_access(session_jwt, now)
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
        if row is not None and rotation.is_reused(_facts(row), now):
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
