"""Two-factor enrolment: generate a secret (nothing stored), enable it with a code, disable it.

Secrets are sealed (AES-GCM, bound to the user) before they are stored. Every password and
code checked here counts toward the lockout like a sign-in's (``lockout/``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from authgate import totp
from authgate.access.model import Accountability
from authgate.clock import Clock
from authgate.errors import AuthError, Code, forbidden, invalid_payload
from authgate.items.service import ItemsService
from authgate.lockout.service import Lockout
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.storage.db import Database
from authgate.users import repo
from authgate.users.codes_repo import remove_in
from authgate.users.model import DEFAULT_PROVIDER, User
from authgate.users.notices import SecurityNotices
from authgate.users.otp import OtpChecker

if TYPE_CHECKING:
    from authgate.users.recovery_codes import RecoveryCodes


class TwoFactor:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        hasher: PasswordHasher,
        otp: OtpChecker,
        items: ItemsService,
        lockout: Lockout,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.notices = notices
        # Recovery codes also turn two-factor off (set by the composition root).
        self.codes: RecoveryCodes | None = None
        self.items = items
        self.lockout = lockout
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.otp = otp

    async def me(self, accountability: Accountability) -> User:
        return await self._me(accountability)

    async def counted(
        self, accountability: Accountability, user: User, check: Callable[[], Awaitable[bool]]
    ) -> bool:
        """A check counted by the lockout (``_counted``), for the recovery codes."""
        return await self._counted(accountability, user, check)

    async def _me(self, accountability: Accountability) -> User:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        user = await self.db.read(repo.get, accountability.user)
        if user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        return user

    async def _counted(
        self, accountability: Accountability, user: User, check: Callable[[], Awaitable[bool]]
    ) -> bool:
        """A password or code check under the lockout, as a sign-in's (``Lockout.counted``)."""
        return await self.lockout.counted(user.id, accountability.ip, self.clock.now(), check)

    async def generate(
        self,
        accountability: Accountability,
        password: str | None,
        *,
        always_check_password: bool = False,
    ) -> dict[str, str]:
        user = await self._me(accountability)
        if user.provider == DEFAULT_PROVIDER or always_check_password:
            if not password:
                raise invalid_payload('"password" is required')
            if not await self._counted(
                accountability, user, lambda: self.hasher.verify(user.password, password)
            ):
                raise AuthError(Code.INVALID_CREDENTIALS)
        if user.tfa_secret:
            raise invalid_payload("TFA Secret is already set for this user")
        if user.provider == DEFAULT_PROVIDER and not user.email:
            raise invalid_payload("User must have a valid email to enable TFA")
        project = await self.db.read(project_repo.load)
        secret = totp.generate_secret()
        await self.otp.issue(user.id, secret, now=self.clock.now())
        account = user.email or user.external_identifier or f"user_{user.id}"
        return {
            "secret": secret,
            "otpauth_url": totp.otpauth_url(
                secret, issuer=project.project_name or "Directus", account=account
            ),
        }

    async def enable(self, accountability: Accountability, secret: Any, code: Any) -> None:
        user = await self._me(accountability)
        if not secret:
            raise invalid_payload('"secret" is required')
        if not code:
            raise invalid_payload('"otp" is required')
        if not isinstance(secret, str) or not isinstance(code, str):
            raise invalid_payload('"otp" is invalid')
        if user.tfa_secret:
            raise invalid_payload("TFA Secret is already set for this user")
        if not totp.is_valid_secret(secret):
            raise invalid_payload('"otp" is invalid')
        now = self.clock.now()

        async def check() -> bool:
            # Only a secret ``generate`` gave this user (who proved the password there).
            issued = await self.otp.was_issued(user.id, secret, now=now)
            return issued and await self.otp.accept_for_secret(
                user.id, secret.upper(), code, now=now
            )

        if not await self._counted(accountability, user, check):
            raise invalid_payload('"otp" is invalid')
        await self.db.write(
            self._store, accountability, user.id, self.otp.seal(user.id, secret.upper())
        )

    def _store(
        self, conn: Connection, accountability: Accountability, user_id: str, sealed: str
    ) -> None:
        if not accountability.admin:
            grant = self.items.grant_in(conn, accountability, "directus_users", "update")
            assert grant is not None
            if not grant.allows_field("tfa_secret"):
                raise forbidden()
        repo.set_columns(conn, user_id, {"tfa_secret": sealed})
        if self.notices is not None:
            self.notices.tfa_enabled(conn, user_id)

    async def disable(self, accountability: Accountability, code: Any) -> None:
        user = await self._me(accountability)
        if not code:
            raise invalid_payload('"otp" is required')
        if not user.tfa_secret:
            raise invalid_payload(f'User "{user.id}" doesn\'t have TFA enabled')
        if not isinstance(code, str):
            raise invalid_payload('"otp" is invalid')
        now = self.clock.now()
        used: list[str] = []

        async def check() -> bool:
            if await self.otp.accept(user, code, now=now):
                return True
            digest = None if self.codes is None else await self.codes.match(user.id, code)
            used.extend([digest] if digest else [])
            return digest is not None

        if not await self._counted(accountability, user, check):
            raise invalid_payload('"otp" is invalid')
        await self.db.write(self._turn_off, user.id, used[0] if used else None, False)

    def _turn_off(self, conn: Connection, user_id: str, code: str | None, by_admin: bool) -> None:
        """Two-factor off, its recovery codes gone; ``code``: the recovery code that was
        typed, used here (a concurrent use of it wins: the wrong-code answer)."""
        # One notice for one change: "two-factor off" (a "code used, n left" would be wrong,
        # every code goes with it).
        if code is not None and (
            self.codes is None or not self.codes.use_in(conn, user_id, code, notify=False)
        ):
            raise invalid_payload('"otp" is invalid')
        had = repo.get(conn, user_id)
        repo.set_columns(conn, user_id, {"tfa_secret": None})
        remove_in(conn, user_id)
        if self.notices is not None and had is not None and had.tfa_secret:
            self.notices.tfa_disabled(conn, user_id, by_admin=by_admin)

    async def disable_for(self, accountability: Accountability, user_id: str) -> None:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        if not accountability.admin:
            raise forbidden()
        await self.db.write(self._turn_off, user_id, None, True)
