"""Random tokens, keyed hashes, constant-time comparison and encryption at rest.

Every key is derived from ``SECRET`` with its own label, so no two purposes share a key: the
hash that stores a refresh token cannot be confused with the one that derives its successor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def random_token() -> str:
    """64 characters of ``[A-Za-z0-9_-]`` (384 random bits), the shape of a Directus token."""
    return secrets.token_urlsafe(48)


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare two secrets in constant time."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


@lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    """A keyed HMAC-SHA-256 state to copy: keying it again for every token costs more."""
    return hmac.new(key, digestmod=hashlib.sha256)


def derive_key(secret: str, label: str) -> bytes:
    return hmac.new(secret.encode(), f"authgate/{label}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Keys:
    """The keys of one ``SECRET``, each for one purpose."""

    token_hash: bytes
    successor: bytes
    encryption: bytes
    fingerprint: bytes

    @classmethod
    def from_secret(cls, secret: str) -> Keys:
        return cls(
            token_hash=derive_key(secret, "token-hash"),
            successor=derive_key(secret, "refresh-successor"),
            encryption=derive_key(secret, "encryption"),
            fingerprint=derive_key(secret, "password-fingerprint"),
        )

    def hash_token(self, token: str) -> str:
        """The at-rest form of a refresh token, session id or static token (64 hex chars)."""
        mac = _keyed(self.token_hash).copy()
        mac.update(token.encode())
        return mac.hexdigest()

    def successor_of(self, token: str) -> str:
        """The refresh token that replaces ``token``: derived, so a repeated refresh agrees."""
        digest = hmac.new(self.successor, token.encode(), hashlib.sha512).digest()
        return base64.urlsafe_b64encode(digest).decode()[:64]

    def fingerprint_of(self, value: str) -> str:
        """A short keyed fingerprint (of a password hash, for single-use reset links)."""
        digest = hmac.new(self.fingerprint, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def password_fingerprint(self, password_hash: str | None) -> str:
        """The fingerprint a mailed link carries of the password hash stored when it was sent
        (reset, registration): the link works only while that hash is still the stored one."""
        return self.fingerprint_of(password_hash or "null")

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """AES-256-GCM; ``context`` (for example a user id) binds the value to its row."""
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.encryption).encrypt(nonce, plaintext.encode(), context.encode())
        return "enc1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str, *, context: str) -> str | None:
        """The plaintext, or ``None`` when the value was not sealed by this key for ``context``."""
        if not stored.startswith("enc1."):
            return None
        try:
            raw = base64.urlsafe_b64decode(stored[5:].encode())
            plain = AESGCM(self.encryption).decrypt(raw[:12], raw[12:], context.encode())
        except (InvalidTag, ValueError):
            return None
        return plain.decode()
