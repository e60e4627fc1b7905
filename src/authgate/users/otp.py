"""Checking one-time codes against a user's sealed TOTP secret, each step at most once."""

from __future__ import annotations

from datetime import datetime, timedelta

from authgate import totp
from authgate.crypto import Keys
from authgate.ratelimit.store import CounterStore
from authgate.users.model import User

# A used step is remembered a little longer than it can be valid (current + previous step).
_REMEMBER = timedelta(seconds=totp.PERIOD * 3)
# How long a secret from ``tfa/generate`` may be enabled (scanning it, typing a code).
ISSUED_FOR = timedelta(hours=1)


class OtpChecker:
    def __init__(self, keys: Keys, store: CounterStore) -> None:
        self.keys = keys
        self.store = store

    def _issued_key(self, user_id: str, secret: str) -> str:
        return "tfa-issued:" + self.keys.hash_token(f"tfa-issued:{user_id}:{secret.upper()}")

    async def issue(self, user_id: str, secret: str, *, now: datetime) -> None:
        """Remember (in the shared store, keyed: never the secret itself) that ``secret`` was
        given to ``user_id`` by ``tfa/generate``, which checked the password; only such a
        secret can be enabled, so a stolen token alone cannot enrol its holder's own TOTP."""
        await self.store.hit(self._issued_key(user_id, secret), window=ISSUED_FOR, now=now)

    async def was_issued(self, user_id: str, secret: str, *, now: datetime) -> bool:
        return await self.store.count(self._issued_key(user_id, secret), now=now) > 0

    def seal(self, user_id: str, secret: str) -> str:
        return self.keys.encrypt(secret, context=f"tfa:{user_id}")

    def secret_of(self, user: User) -> str | None:
        """The plain secret; a plain base32 value (a database imported from Directus) works."""
        stored = user.tfa_secret
        if not stored:
            return None
        opened = self.keys.decrypt(stored, context=f"tfa:{user.id}")
        if opened is not None:
            return opened
        return stored if totp.is_valid_secret(stored) else None

    async def accept(self, user: User, code: str, *, now: datetime) -> bool:
        secret = self.secret_of(user)
        return secret is not None and await self.accept_for_secret(user.id, secret, code, now=now)

    async def accept_for_secret(
        self, user_id: str, secret: str, code: str, *, now: datetime
    ) -> bool:
        """True for a valid code whose step was not used before (and marks it used)."""
        step = totp.matching_step(secret, code, now=now)
        if step is None:
            return False
        return await self.store.claim(f"totp:{user_id}:{step}", ttl=_REMEMBER, now=now)
