"""RFC 6238 TOTP (SHA-1, 6 digits, 30-second steps), with a step of clock skew and no replay.

Pure: the caller passes ``now`` and learns which step matched, so that it can refuse the same
step twice (which Directus does not).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import quote

import pyotp

from authgate import crypto

PERIOD = 30
DIGITS = 6


def generate_secret() -> str:
    """16 base32 characters (80 random bits), the length Directus (otplib) generates."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def is_valid_secret(secret: str) -> bool:
    try:
        return len(base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))) >= 10
    except ValueError:
        return False


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // PERIOD


def code_at(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).generate_otp(step))


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
