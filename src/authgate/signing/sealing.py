"""Private signing keys at rest: AES-256-GCM under a key derived from ``SECRET`` with HKDF
(RFC 5869, SHA-256, its own ``info`` label), the key's ``kid`` bound as associated data so a
sealed key cannot be moved to another row. Without ``SECRET`` the column is noise."""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"authgate/jwt-signing-key/v1"
_PREFIX = "gcm1."


class SealError(Exception):
    """A sealed key that this ``SECRET`` cannot open (another secret, or a damaged value)."""


def _aead(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return AESGCM(key)


def seal(secret: str, kid: str, plaintext: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(secret).encrypt(nonce, plaintext, kid.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret: str, kid: str, stored: str) -> bytes:
    """Raises ``SealError`` unless ``stored`` was sealed for ``kid`` under ``secret``."""
    if not stored.startswith(_PREFIX):
        raise SealError
    try:
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :].encode())
        return _aead(secret).decrypt(raw[:12], raw[12:], kid.encode())
    except (InvalidTag, ValueError, binascii.Error):
        raise SealError from None
