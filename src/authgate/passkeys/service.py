"""Passkeys of a user: enrolment, listing, removal, and checking an assertion (for a
passwordless sign-in, as a second factor, or to confirm a removal).

Every password, code and assertion checked for a signed-in user counts toward the lockout like
a sign-in's (``lockout/``); the sign-in's own checks are counted by ``SessionService``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from authgate.access.model import Accountability
from authgate.clock import Clock, iso_utc
from authgate.config.webauthn import WebAuthnSettings
from authgate.crypto import derive_key, equal
from authgate.errors import AuthError, Code, forbidden, invalid_payload
from authgate.lockout.service import Lockout
from authgate.passkeys import ceremony, decoy, repo
from authgate.passkeys.model import (
    HANDLE_BYTES,
    NONCE_BYTES,
    Challenge,
    Passkey,
    Purpose,
    issue_challenge,
    open_challenge,
    too_many_passkeys,
)
from authgate.passwords import PasswordHasher
from authgate.ratelimit.store import CounterStore
from authgate.storage.db import Database
from authgate.users import repo as users_repo
from authgate.users.lock import lock_user
from authgate.users.model import DEFAULT_PROVIDER, User
from authgate.users.notices import SecurityNotices
from authgate.users.otp import OtpChecker

NOT_VERIFIED = "The passkey could not be verified"
_NO_ONE = "00000000-0000-0000-0000-000000000000"  # no user has this id


def listed(passkey: Passkey) -> dict[str, Any]:
    """What a user reads of a passkey (never its key or handle)."""
    return {
        "id": passkey.id,
        "name": passkey.name,
        "created": iso_utc(passkey.created),
        "last_used": iso_utc(passkey.last_used) if passkey.last_used else None,
        "backup_eligible": passkey.backup_eligible,
        "backup_state": passkey.backup_state,
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


class Passkeys:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: WebAuthnSettings,
        secret: str,
        hasher: PasswordHasher,
        lockout: Lockout,
        otp: OtpChecker,
        store: CounterStore,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.db = db
        self.notices = notices  # mails the owner when a passkey is added or removed
        self.clock = clock
        self.settings = settings
        self.key = derive_key(secret, "webauthn-challenge")
        self.decoy_key = derive_key(secret, "webauthn-decoy")
        self.hasher = hasher
        self.lockout = lockout
        self.otp = otp
        self.store = store

    # ------------------------------------------------------------------ helpers

    async def _me(self, accountability: Accountability) -> User:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        user = await self.db.read(users_repo.get, accountability.user)
        if user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        return user

    async def _counted(
        self, ip: str | None, user: User, check: Callable[[], Awaitable[bool]]
    ) -> bool:
        return await self.lockout.counted(user.id, ip, self.clock.now(), check)

    def _challenge(self, purpose: Purpose, binding: str, handle: bytes = b"") -> bytes:
        return issue_challenge(
            self.key,
            purpose,
            binding=binding,
            now=self.clock.now(),
            ttl=self.settings.challenge_ttl,
            nonce=secrets.token_bytes(NONCE_BYTES),
            handle=handle,
        )

    async def _take(
        self, credential: Any, purpose: Purpose, binding: str, now: datetime
    ) -> Challenge | None:
        """The challenge a response answers, if we issued it for ``purpose`` and ``binding``,
        it has not expired, and this is its first use (claimed in the shared store)."""
        raw = ceremony.client_challenge(credential)
        if raw is None:
            return None
        challenge = open_challenge(self.key, raw, purpose, binding=binding, now=now)
        if challenge is None:
            return None
        if not await self.store.claim(challenge.key, ttl=challenge.expires - now, now=now):
            return None
        return challenge

    # ---------------------------------------------------------------- enrolment

    async def registration_options(
        self, accountability: Accountability, password: Any
    ) -> dict[str, Any]:
        """``POST /users/me/passkeys/options``: the password first (as ``tfa/generate``)."""
        user = await self._me(accountability)
        if not isinstance(password, str) or not password:
            raise invalid_payload('"password" is required')
        if not await self._counted(
            accountability.ip, user, lambda: self.hasher.verify(user.password, password)
        ):
            raise AuthError(Code.INVALID_CREDENTIALS)
        existing = await self.db.read(repo.of_user, user.id)
        if len(existing) >= self.settings.max_passkeys:
            raise invalid_payload(too_many_passkeys(self.settings.max_passkeys))
        handle = (
            base64url_to_bytes(existing[0].user_handle)
            if existing
            else secrets.token_bytes(HANDLE_BYTES)
        )
        name = user.email or user.external_identifier or user.id
        display = " ".join(p for p in (user.first_name, user.last_name) if p) or name
        return ceremony.registration_options(
            self.settings,
            challenge=self._challenge("enrol", user.id, handle),
            handle=handle,
            user_name=name,
            display_name=display,
            exclude=[(p.credential_id, p.transports) for p in existing],
        )

    async def register(
        self, accountability: Accountability, credential: Any, name: Any
    ) -> dict[str, Any]:
        """``POST /users/me/passkeys``: the browser's answer to the options, and a name."""
        user = await self._me(accountability)
        if not isinstance(name, str) or not name.strip():
            raise invalid_payload('"name" is required')
        if len(name.strip()) > 255:
            raise invalid_payload('"name" length must be less than or equal to 255 characters')
        if not isinstance(credential, dict):
            raise invalid_payload('"credential" is required')
        now = self.clock.now()
        challenge = await self._take(credential, "enrol", user.id, now)
        registered = (
            ceremony.verify_registration(self.settings, credential, challenge.raw)
            if challenge is not None
            else None
        )
        if challenge is None or registered is None:
            raise invalid_payload(NOT_VERIFIED)
        passkey = Passkey(
            id=str(uuid.uuid4()),
            user=user.id,
            credential_id=registered.credential_id,
            public_key=registered.public_key,
            user_handle=bytes_to_base64url(challenge.handle),
            name=name.strip(),
            sign_count=registered.sign_count,
            backup_eligible=registered.backup_eligible,
            backup_state=registered.backup_state,
            transports=registered.transports,
            created=now,
            last_used=None,
        )

        def store(conn: Connection) -> bool:
            # Counted under a lock on the user's row: concurrent registrations queue.
            if not lock_user(conn, user.id):
                raise AuthError(Code.INVALID_CREDENTIALS)
            if repo.count_of_user(conn, user.id) >= self.settings.max_passkeys:
                raise invalid_payload(too_many_passkeys(self.settings.max_passkeys))
            stored = repo.insert(conn, {**vars(passkey), "aaguid": registered.aaguid})
            if stored and self.notices is not None:
                self.notices.passkey_added(conn, user.id, passkey.name)
            return stored

        try:
            stored = await self.db.write(store)
        except IntegrityError:
            stored = False
        if not stored:
            raise invalid_payload("This passkey is already registered")
        return listed(passkey)

    async def read_all(self, accountability: Accountability) -> list[dict[str, Any]]:
        user = await self._me(accountability)
        return [listed(p) for p in await self.db.read(repo.of_user, user.id)]

    async def remove(
        self,
        accountability: Accountability,
        passkey_id: str,
        *,
        password: Any,
        otp: Any,
        passkey: Any,
    ) -> None:
        """``DELETE /users/me/passkeys/:id``, confirmed by the password, a one-time code, or
        an assertion of any of the user's passkeys."""
        user = await self._me(accountability)
        owned = await self.db.read(repo.of_user, user.id)
        if not _is_uuid(passkey_id) or passkey_id.lower() not in {p.id for p in owned}:
            raise forbidden()
        ip = accountability.ip
        if isinstance(password, str) and password:
            if not await self._counted(
                ip, user, lambda: self.hasher.verify(user.password, password)
            ):
                raise AuthError(Code.INVALID_CREDENTIALS)
        elif isinstance(otp, str) and otp:
            now = self.clock.now()
            if not await self._counted(ip, user, lambda: self.otp.accept(user, otp, now=now)):
                raise AuthError(Code.INVALID_OTP)
        elif isinstance(passkey, dict):
            now = self.clock.now()
            if not await self._counted(
                ip, user, lambda: self.accept(user, passkey, now=now, user_verification=False)
            ):
                raise AuthError(Code.INVALID_OTP)
        else:
            raise invalid_payload('"password", "otp" or "passkey" is required')
        name = next(p.name for p in owned if p.id == passkey_id.lower())

        def remove(conn: Connection) -> bool:
            removed = repo.remove(conn, user.id, passkey_id.lower())
            if removed and self.notices is not None:
                self.notices.passkey_removed(conn, user.id, name)
            return removed

        if not await self.db.write(remove):
            raise forbidden()  # removed meanwhile by another request

    # ------------------------------------------------------------------ sign-in

    async def authentication_options(self, email: Any) -> dict[str, Any]:
        """``POST /auth/passkey/options``: with an ``email``, the passkeys of that account are
        named; an unknown address (or one without passkeys) gets a decoy derived from it, so
        that the answer has the same shape and says nothing about the account."""
        if email is not None and not isinstance(email, str):
            raise invalid_payload('"email" must be a string')
        allow: list[tuple[str, list[str] | None]] = []
        if email:
            point = decoy.point(self.decoy_key, email)

            def load(conn: Connection) -> tuple[list[Passkey], list[int]]:
                # The same statements whether the account exists or not (one read each).
                user = users_repo.find_by_email(conn, email)
                known = user is not None and user.is_active and user.provider == DEFAULT_PROVIDER
                owned = repo.of_user(conn, user.id if known and user is not None else _NO_ONE)
                return owned, repo.shape_near(conn, point)

            owned, lengths = await self.db.read(load)
            allow = [(p.credential_id, None) for p in owned]
            if not allow:
                allow = [(i, None) for i in decoy.ids(self.decoy_key, email, lengths)]
        return ceremony.authentication_options(
            self.settings, challenge=self._challenge("login", ""), allow=allow
        )

    async def owner_of(self, credential: Any) -> str | None:
        """The user whose passkey an assertion names (None: no such passkey)."""
        credential_id = ceremony.credential_id(credential)
        if credential_id is None:
            return None
        passkey = await self.db.read(repo.by_credential, credential_id)
        return passkey.user if passkey is not None else None

    async def accept(
        self, user: User, credential: Any, *, now: datetime, user_verification: bool
    ) -> bool:
        """True when ``credential`` is a valid assertion of one of ``user``'s passkeys over a
        sign-in challenge not used before; its new counter and backup state are stored."""
        credential_id = ceremony.credential_id(credential)
        if credential_id is None:
            return False
        passkey = await self.db.read(repo.by_credential, credential_id)
        if passkey is None or passkey.user != user.id:
            return False
        handle = ceremony.user_handle(credential)
        if handle is not None and not equal(handle, passkey.user_handle):
            return False
        challenge = await self._take(credential, "login", "", now)
        if challenge is None:
            return False
        asserted = ceremony.verify_assertion(
            self.settings,
            credential,
            challenge.raw,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            require_user_verification=user_verification,
        )
        if asserted is None:
            return False
        return await self.db.write(
            repo.record_use,
            passkey.id,
            was=passkey.sign_count,
            sign_count=asserted.sign_count,
            backup_state=asserted.backup_state,
            now=now,
        )

    async def second_factor(self, user: User, credential: Any, now: datetime) -> bool:
        """A passkey in place of the one-time code at ``POST /auth/login``."""
        return await self.accept(user, credential, now=now, user_verification=False)
