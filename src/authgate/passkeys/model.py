"""Passkeys and their challenges, as data (pure).

A challenge is not kept anywhere until it is used: it carries its purpose, its expiry, a
random nonce and (for an enrolment) the user handle to store, under an HMAC bound to who may
answer it (the user, for an enrolment). Any instance can check one that another issued (they
share ``SECRET``); that it is used once is claimed in the shared store (Redis, or the
database), the same store that remembers used TOTP steps.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Purpose = Literal["enrol", "login"]
_PURPOSES: dict[str, int] = {"enrol": 1, "login": 2}
_VERSION = 1
_HEAD = 3 + 8  # version, purpose, handle length; expiry (seconds since the epoch)
NONCE_BYTES = 16
HANDLE_BYTES = 32
_MAC_BYTES = 32


@dataclass(frozen=True)
class Passkey:
    id: str
    user: str
    credential_id: str  # base64url
    public_key: str  # base64url of the COSE key
    user_handle: str  # base64url, random
    name: str
    sign_count: int
    backup_eligible: bool
    backup_state: bool
    transports: list[str] | None
    created: datetime
    last_used: datetime | None


@dataclass(frozen=True)
class Challenge:
    raw: bytes
    purpose: Purpose
    expires: datetime
    handle: bytes  # the user handle an enrolment stores (empty for a sign-in)

    @property
    def key(self) -> str:
        """The name under which its single use is claimed in the shared store."""
        return "webauthn:" + hashlib.sha256(self.raw).hexdigest()


def _mac(key: bytes, body: bytes, binding: str) -> bytes:
    return hmac.new(key, body + b"\x00" + binding.encode(), hashlib.sha256).digest()


def issue_challenge(
    key: bytes,
    purpose: Purpose,
    *,
    binding: str,
    now: datetime,
    ttl: timedelta,
    nonce: bytes,
    handle: bytes = b"",
) -> bytes:
    """A new challenge for ``purpose``, answerable until ``now + ttl`` by ``binding``."""
    expires = int((now + ttl).timestamp())
    body = bytes([_VERSION, _PURPOSES[purpose], len(handle)]) + expires.to_bytes(8, "big")
    body += nonce + handle
    return body + _mac(key, body, binding)


def open_challenge(
    key: bytes, raw: bytes, purpose: Purpose, *, binding: str, now: datetime
) -> Challenge | None:
    """The challenge ``raw`` if we issued it for ``purpose`` and ``binding`` and it has not
    expired; None otherwise (whatever is wrong with it)."""
    if len(raw) < _HEAD + NONCE_BYTES + _MAC_BYTES:
        return None
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, body, binding)):
        return None
    if body[0] != _VERSION or body[1] != _PURPOSES[purpose]:
        return None
    handle_length = body[2]
    if len(body) != _HEAD + NONCE_BYTES + handle_length:
        return None
    expires = datetime.fromtimestamp(int.from_bytes(body[3:_HEAD], "big"), UTC)
    if expires <= now:
        return None
    handle = body[_HEAD + NONCE_BYTES :]
    return Challenge(raw, purpose, expires, handle)


def too_many_passkeys(cap: int) -> str:
    """The refusal's reason when a user has ``cap`` passkeys already."""
    return f"A user can have at most {cap} passkeys: remove one first"
