"""Issuing and verifying Directus-compatible JWTs (issuer ``directus``; HS256 with ``SECRET``, or
the asymmetric keys of ``keyset.py`` for access tokens).

Verification takes ``now``: the ``nbf`` and expiry checks are ours, not the library's wall
clock. They follow Directus's ``jsonwebtoken`` in order and in kind: the signature first (an
expired token with a bad signature is ``INVALID_TOKEN``), then ``nbf`` (a token that is not yet
valid, or whose ``nbf`` is not a number, is ``INVALID_TOKEN`` even if it has also expired), then
``exp`` (``TOKEN_EXPIRED``). ``iat`` is not checked, as in Directus.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import jwt as pyjwt

from authgate.errors import AuthError, Code

ISSUER = "directus"
_ALGORITHMS = ["HS256", "HS384", "HS512"]


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` of a token that looks like a JWT, without trusting it; else ``None``."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(payload, dict):
        return None
    issuer = payload.get("iss")
    return issuer if isinstance(issuer, str) else None


def is_directus_jwt(token: str) -> bool:
    return unverified_issuer(token) == ISSUER


def sign(payload: Mapping[str, Any], secret: str, *, now: datetime, ttl: timedelta) -> str:
    return sign_with(payload, secret, "HS256", now=now, ttl=ttl)


def sign_with(
    payload: Mapping[str, Any],
    key: Any,
    algorithm: str,
    *,
    now: datetime,
    ttl: timedelta,
    headers: dict[str, Any] | None = None,
) -> str:
    """``payload`` with ``iat``, ``exp`` and ``iss``, signed with ``key`` (a secret or a private
    key, see ``keyset.py``)."""
    issued = int(now.timestamp())
    claims = {**payload, "iat": issued, "exp": issued + int(ttl.total_seconds()), "iss": ISSUER}
    return pyjwt.encode(claims, key, algorithm=algorithm, headers=headers)


def verify(token: str, secret: str, *, now: datetime) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` by issuer ``directus``, valid at ``now``.

    Raises:
        AuthError: ``INVALID_TOKEN`` (bad signature, malformed, wrong issuer, no ``exp``, ``nbf``
            after ``now``) or ``TOKEN_EXPIRED``.
    """
    return verify_with(token, secret, _ALGORITHMS, now=now)


def verify_with(token: str, key: Any, algorithms: list[str], *, now: datetime) -> dict[str, Any]:
    """``verify`` with ``key`` (a secret or a public key) for exactly ``algorithms``."""
    try:
        claims = pyjwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=ISSUER,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except pyjwt.PyJWTError:
        raise AuthError(Code.INVALID_TOKEN) from None
    # jsonwebtoken compares with whole seconds: a token is valid from its ``nbf`` second on.
    seconds = int(now.timestamp())
    if "nbf" in claims:
        not_before = claims["nbf"]
        if not _is_number(not_before) or not_before > seconds:
            raise AuthError(Code.INVALID_TOKEN)
    expires = claims.get("exp")
    if not _is_number(expires):
        raise AuthError(Code.INVALID_TOKEN)
    if seconds >= expires:
        raise AuthError(Code.TOKEN_EXPIRED)
    return claims


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says; ``app_access``/``admin_access`` are not trusted, only present.

    ``session`` (session mode, Directus's claim) and ``sid`` (json and cookie mode, authgate's)
    name the session row the token was issued for: its stored key, not a credential."""

    user: str | None
    role: str | None
    session: str | None
    share: str | None
    sid: str | None = None


def read_access_claims(claims: Mapping[str, Any]) -> AccessClaims:
    """Raises ``INVALID_TOKEN`` unless ``role``, ``app_access`` and ``admin_access`` are present
    (so reset, invite and verification tokens never pass as access tokens)."""
    if not all(key in claims for key in ("role", "app_access", "admin_access")):
        raise AuthError(Code.INVALID_TOKEN)
    user, role = claims.get("id"), claims.get("role")
    session, share, sid = claims.get("session"), claims.get("share"), claims.get("sid")
    for value in (user, role, session, share, sid):
        if value is not None and not isinstance(value, str):
            raise AuthError(Code.INVALID_TOKEN)
    return AccessClaims(user=user, role=role, session=session, share=share, sid=sid)


def access_payload(
    *,
    user: str,
    role: str | None,
    app_access: bool,
    admin_access: bool,
    session: str | None = None,
    sid: str | None = None,
    enforce_tfa: bool = False,
) -> dict[str, Any]:
    """What an access token says, before ``iat``/``exp``/``iss``; ``session`` for a
    session-mode token, ``sid`` for the others: the session row's key."""
    payload: dict[str, Any] = {
        "id": user,
        "role": role,
        "app_access": app_access,
        "admin_access": admin_access,
    }
    if enforce_tfa:
        payload["enforce_tfa"] = True
    if session is not None:
        payload["session"] = session
    elif sid is not None:
        payload["sid"] = sid
    return payload


# One-shot tokens sent by mail carry a ``scope`` naming their purpose.
SCOPE_PASSWORD_RESET = "password-reset"
SCOPE_INVITE = "invite"
SCOPE_REGISTRATION = "pending-registration"


def verify_scoped(token: str, secret: str, *, now: datetime, scope: str) -> dict[str, Any]:
    """Claims of a one-shot token of ``scope`` that names an ``email``.

    Raises:
        AuthError: ``INVALID_TOKEN``/``TOKEN_EXPIRED`` from ``verify``; ``FORBIDDEN`` when the
            token is for another purpose.
    """
    claims = verify(token, secret, now=now)
    if claims.get("scope") != scope or not isinstance(claims.get("email"), str):
        raise AuthError(Code.FORBIDDEN)
    return claims
