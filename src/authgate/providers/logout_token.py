"""Logout token validation (OpenID Connect Back-Channel Logout 1.0 §2.6).

* the signature, as for an ID token: a key of the provider's JWKS (by ``kid``), or the client
  secret for ``HS*``; ``none`` and algorithms the provider does not advertise are refused;
* ``iss`` is the discovered issuer, ``aud`` holds our client id, ``iat`` is present and recent
  (``MAX_AGE``, with the ID token's leeway for clock skew), ``exp`` (when present) is ahead;
* ``events`` is an object with the back-channel logout member, itself an object;
* ``sid`` or ``sub`` (or both) is present, ``nonce`` is absent (so an ID token is never taken
  for a logout token), ``jti`` is present.

Using the ``jti`` once is the caller's part (a shared store). Every failure is one
``LogoutTokenRefused`` whose reason is logged, never answered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authgate.providers.id_token import LEEWAY_SECONDS, KeySet, decode_signed

log = logging.getLogger("authgate.providers")

EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_AGE = 120  # seconds: a logout token is sent the moment the session ends


class LogoutTokenRefused(Exception):
    pass


@dataclass(frozen=True)
class LogoutClaims:
    sid: str | None
    sub: str | None
    jti: str


def _refuse(provider: str, why: str) -> LogoutTokenRefused:
    log.warning("%s: logout token refused: %s", provider, why)
    return LogoutTokenRefused(why)


async def verify_logout_token(
    token: object,
    *,
    provider: str,
    keys: KeySet,
    issuer: str,
    client_id: str,
    client_secret: str,
    algorithms: Sequence[str],
    now: datetime,
) -> LogoutClaims:
    """The checked claims of ``token``.

    Raises:
        LogoutTokenRefused: any check failed.
        AuthError: ``SERVICE_UNAVAILABLE`` when the JWKS cannot be fetched.
    """
    if not isinstance(token, str) or not token or len(token) > 16384:
        raise _refuse(provider, "no logout_token")
    claims = await decode_signed(
        token,
        keys=keys,
        algorithms=algorithms,
        client_id=client_id,
        client_secret=client_secret,
        issuer=issuer,
        required=("iss", "aud", "iat", "jti", "events"),
        refuse=lambda why: _refuse(provider, why),
    )
    return check_logout_claims(claims, provider=provider, client_id=client_id, now=now)


def _text(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def check_logout_claims(
    claims: dict[str, Any], *, provider: str, client_id: str, now: datetime
) -> LogoutClaims:
    """The checks after the signature (pure)."""
    moment = now.timestamp()
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise _refuse(provider, "iat is not a number")
    if issued > moment + LEEWAY_SECONDS or issued < moment - MAX_AGE - LEEWAY_SECONDS:
        raise _refuse(provider, "iat is not recent")
    expires = claims.get("exp")
    if expires is not None and (
        not isinstance(expires, int | float) or moment >= expires + LEEWAY_SECONDS
    ):
        raise _refuse(provider, "expired")
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise _refuse(provider, "azp is not this client")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        raise _refuse(provider, "no back-channel logout event")
    if "nonce" in claims:
        raise _refuse(provider, "a nonce is present")
    sid, sub, jti = _text(claims, "sid"), _text(claims, "sub"), _text(claims, "jti")
    if sid is None and sub is None:
        raise _refuse(provider, "neither sid nor sub")
    if jti is None or len(jti) > 255:
        raise _refuse(provider, "no jti")
    return LogoutClaims(sid=sid, sub=sub, jti=jti)
