"""RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps), with a step of clock skew and no replay.

Pure: the caller passes ``now`` and learns which step matched, so that it can refuse the same
step twice (which Directus does not).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote

from authgate import crypto

PERIOD = 30
DIGITS = 6


def generate_secret() -> str:
    """16 base32 characters (80 random bits), the length Directus (otplib) generates."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def _key(secret: str) -> bytes:
    cleaned = secret.strip().replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def is_valid_secret(secret: str) -> bool:
    try:
        return len(_key(secret)) >= 10
    except ValueError:
        return False


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // PERIOD


def code_at(secret: str, step: int) -> str:
    """HOTP (RFC 4226 section 5.3) of the step counter: dynamic truncation, 6 digits.

    Our own dozen lines rather than pyotp, which refuses the 80-bit secrets Directus issues."""
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, code: str, *, now: datetime, skew_steps: int = 1) -> int | None:
    """The time step whose code is ``code`` (the current one, or up to ``skew_steps`` before it);
    ``None`` when none matches. Every candidate is compared, in constant time."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_at(now)
    found = None
    for step in range(current - skew_steps, current + 1):
        if crypto.equal(code_at(secret, step), code):
            found = step
    return found


def otpauth_url(secret: str, *, issuer: str, account: str) -> str:
    """The provisioning URI authenticator apps read (same layout as Directus/otplib)."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return (
        f"otpauth://totp/{label}?secret={secret}&period={PERIOD}&digits={DIGITS}"
        f"&algorithm=SHA1&issuer={quote(issuer, safe='')}"
    )
