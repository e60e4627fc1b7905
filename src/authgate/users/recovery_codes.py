"""Two-factor recovery codes: ten single-use codes that stand in for a TOTP code once each.

* ``POST /users/me/tfa/recovery-codes`` needs the password (for the default provider, as
  ``tfa/generate``) and a current TOTP code; both checks are one check of the lockout, as a
  sign-in's. It answers the ten codes once and replaces every earlier code.
* Codes carry about 50 random bits (10 characters of a 31-letter alphabet without look-alikes,
  shown as ``xxxxx-xxxxx``; case, spaces and dashes do not matter when typed). So a keyed hash
  (HMAC-SHA-256 under a key derived from ``SECRET``, bound to the user) stores them safely
  where argon2 would add nothing but cost; a typed code is compared against each of the
  user's stored hashes in constant time.
* A code is used by deleting its row inside the transaction that signs in (or turns
  two-factor off): of two requests racing with one code only one deletes it; the other gets
  the wrong-code answer. Using one mails the owner (``users/notices.py``).
* ``GET /users/me`` shows nothing of them; ``GET /users/me/tfa/recovery-codes`` answers how many
  are left (``{"data": {"remaining": n}}``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from authgate.access.model import Accountability
from authgate.clock import Clock
from authgate.crypto import derive_key
from authgate.errors import AuthError, Code, invalid_payload
from authgate.storage.db import Database
from authgate.storage.tables import recovery_codes as table
from authgate.users import repo
from authgate.users.codes_repo import remaining_in, remove_in
from authgate.users.model import DEFAULT_PROVIDER
from authgate.users.notices import SecurityNotices
from authgate.users.tfa import TwoFactor

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
LENGTH = 10


def new_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    raw = "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(typed: str) -> str | None:
    """The code as stored, or None for what cannot be a recovery code (a TOTP code)."""
    code = "".join(typed.split()).replace("-", "").lower()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


class RecoveryCodes:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        secret: str,
        tfa: TwoFactor,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.key = derive_key(secret, "recovery-code")
        self.tfa = tfa
        self.notices = notices

    def _digest(self, user: str, code: str) -> str:
        return hmac.new(self.key, f"{user}:{code}".encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ using a code

    async def match(self, user: str, typed: str) -> str | None:
        """The stored digest ``typed`` matches (the code is not used yet), or None."""
        code = normalise(typed)
        if code is None:
            return None
        wanted = self._digest(user, code)

        def read(conn: Connection) -> list[str]:
            return list(conn.execute(select(table.c.digest).where(table.c.user == user)).scalars())

        found = None
        for digest in await self.db.read(read):
            # every stored digest is compared, in constant time each
            if hmac.compare_digest(digest.encode(), wanted.encode()):
                found = digest
        return found

    def use_in(self, conn: Connection, user: str, digest: str, *, notify: bool = True) -> bool:
        """Use the code inside the caller's transaction: False when another request used it
        first. The owner is mailed once the transaction commits (``notify``; False when the
        caller's own notice tells of it: turning two-factor off deletes every code)."""
        gone = conn.execute(delete(table).where(table.c.user == user, table.c.digest == digest))
        if (gone.rowcount or 0) != 1:
            return False
        if notify and self.notices is not None:
            self.notices.recovery_code_used(conn, user, remaining_in(conn, user))
        return True

    # ---------------------------------------------------------- the endpoints

    async def remaining(self, accountability: Accountability) -> int:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        user = accountability.user
        return await self.db.read(lambda conn: remaining_in(conn, user))

    async def regenerate(
        self, accountability: Accountability, password: object, otp: object
    ) -> list[str]:
        user = await self.tfa.me(accountability)
        needs_password = user.provider == DEFAULT_PROVIDER
        if needs_password and (not password or not isinstance(password, str)):
            raise invalid_payload('"password" is required')
        if not otp:
            raise invalid_payload('"otp" is required')
        if not isinstance(otp, str):
            raise invalid_payload('"otp" is invalid')
        if not user.tfa_secret:
            raise invalid_payload(f'User "{user.id}" doesn\'t have TFA enabled')
        now = self.clock.now()
        wrong: list[Code] = []

        async def check() -> bool:
            if needs_password and not await self.tfa.hasher.verify(user.password, str(password)):
                wrong.append(Code.INVALID_CREDENTIALS)
                return False
            if not await self.tfa.otp.accept(user, otp, now=now):
                wrong.append(Code.INVALID_OTP)
                return False
            return True

        if not await self.tfa.counted(accountability, user, check):
            if wrong and wrong[0] == Code.INVALID_OTP:
                raise invalid_payload('"otp" is invalid')
            raise AuthError(Code.INVALID_CREDENTIALS)
        codes = [new_code() for _ in range(COUNT)]
        await self.db.write(self._replace, user.id, codes, now)
        return codes

    def _replace(self, conn: Connection, user: str, codes: list[str], now: datetime) -> None:
        current = repo.get(conn, user)
        if current is None or not current.tfa_secret:  # turned off meanwhile
            raise invalid_payload(f'User "{user}" doesn\'t have TFA enabled')
        remove_in(conn, user)
        conn.execute(
            insert(table),
            [
                {"user": user, "digest": self._digest(user, normalise(c) or ""), "created": now}
                for c in codes
            ],
        )
        if self.notices is not None:
            self.notices.recovery_codes_made(conn, user)
