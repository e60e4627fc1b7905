"""Decoy credential ids for ``POST /auth/passkey/options`` with an address that has no passkey
to name (unknown, suspended, SSO, or simply without passkeys).

A decoy must look like a real answer: the same number of ids, of the same lengths, as some
account's passkeys really have, or an account with two passkeys (or an authenticator whose
ids are 16 bytes, not 32) would stand out. So each address is matched, stably, with one owner
of passkeys on this server, found by consistent hashing (the first owner id at or after a
point derived from the address, wrapping round): the decoy copies that owner's shape (count,
id lengths), with bytes derived from the address. The same address gets the same decoy on
every call and instance, and enrolments elsewhere move few addresses to another owner. With no
passkeys on the server at all, one id of 32 bytes. Pure: the lengths come in as arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from webauthn.helpers import bytes_to_base64url

DEFAULT_LENGTHS = (32,)


def point(key: bytes, email: str) -> str:
    """Where the address falls among the owners' ids (a UUID, compared as the ids are)."""
    digest = hmac.digest(key, b"point:" + _normal(email), "sha256")
    return str(uuid.UUID(bytes=digest[:16]))


def ids(key: bytes, email: str, lengths: tuple[int, ...] | list[int]) -> list[str]:
    """One base64url id per length, derived from the address (stable, unguessable)."""
    made = []
    for index, length in enumerate(lengths or DEFAULT_LENGTHS):
        seed = f"id:{index}:".encode() + _normal(email)
        stream = hashlib.shake_256(hmac.digest(key, seed, "sha256")).digest(max(length, 1))
        made.append(bytes_to_base64url(stream))
    return made


def _normal(email: str) -> bytes:
    return email.strip().lower().encode()
