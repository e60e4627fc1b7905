"""ID token validation (OpenID Connect Core §3.1.3.7) against the provider's JWKS.

* the signature, with a key of the provider's JWKS (by ``kid``) for asymmetric algorithms, or
  the client secret for ``HS*``; ``none`` and algorithms the provider does not advertise are
  refused;
* ``iss`` is the discovered issuer, ``aud`` holds our client id (and ``azp`` is ours when
  there are several audiences), ``exp`` is in the future and ``iat`` present (``now`` is
  passed in, with a small leeway for clock skew), ``nonce`` is the one we sent.

Every failure is ``INVALID_CREDENTIALS`` (a relying-party check, spec §6.7.3), logged with its
reason. ``KeySet`` caches the JWKS and fetches it again (at most every ``REFETCH_AFTER``) when a
token names a key it does not know, so a provider's key rotation needs no restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import jwt as pyjwt

from authgate import crypto
from authgate.clock import Clock
from authgate.errors import AuthError, Code
from authgate.providers.upstream import Upstream

log = logging.getLogger("authgate.providers")

LEEWAY_SECONDS = 60
REFETCH_AFTER = 10.0  # seconds between two JWKS fetches triggered by unknown keys


def _refuse(provider: str, why: str) -> AuthError:
    log.warning("%s: ID token refused: %s", provider, why)
    return AuthError(Code.INVALID_CREDENTIALS)


class KeySet:
    """The provider's signing keys (JWKS), fetched on first use and on an unknown ``kid``."""

    def __init__(self, upstream: Upstream, url: str | None, clock: Clock) -> None:
        self.upstream = upstream
        self.url = url
        self.clock = clock
        self.keys: list[dict[str, Any]] = []
        self.fetched_at: float | None = None

    async def _fetch(self) -> None:
        if self.url is None:
            return
        document = await self.upstream.get_json(self.url)
        keys = document.get("keys")
        self.keys = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
        self.fetched_at = self.clock.monotonic()

    def _find(self, kid: str | None, algorithm: str) -> pyjwt.PyJWK | None:
        candidates = [
            k
            for k in self.keys
            if k.get("use") in (None, "sig")
            and (kid is None or k.get("kid") == kid)
            and k.get("alg") in (None, algorithm)
        ]
        for candidate in candidates:
            try:
                return pyjwt.PyJWK(candidate, algorithm=algorithm)
            except pyjwt.PyJWTError:
                continue
        return None

    async def key(self, kid: str | None, algorithm: str) -> pyjwt.PyJWK | None:
        if self.fetched_at is None:
            await self._fetch()
        found = self._find(kid, algorithm)
        stale = self.fetched_at is None or self.clock.monotonic() - self.fetched_at > REFETCH_AFTER
        if found is None and stale:
            await self._fetch()
            found = self._find(kid, algorithm)
        return found


async def decode_signed(
    token: str,
    *,
    keys: KeySet,
    algorithms: Sequence[str],
    client_id: str,
    client_secret: str,
    issuer: str,
    required: Sequence[str],
    refuse: Callable[[str], Exception],
) -> dict[str, Any]:
    """A provider-signed JWT's claims, its signature checked: an algorithm the provider
    advertises (HMAC with the client secret, else the key of its JWKS the ``kid`` names),
    the audience and issuer, the ``required`` claims present. Times are the caller's to check
    (each token kind has its own rules). ``refuse(why)`` makes the error raised."""
    try:
        header = pyjwt.get_unverified_header(token)
    except pyjwt.PyJWTError:
        raise refuse("malformed") from None
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in algorithms:
        raise refuse(f"algorithm {algorithm!r} is not one the provider advertises")
    key: Any
    if algorithm.startswith("HS"):
        if not client_secret:
            raise refuse("an HMAC-signed token needs a client secret")
        key = client_secret.encode()
    else:
        kid = header.get("kid")
        key = await keys.key(kid if isinstance(kid, str) else None, algorithm)
        if key is None:
            raise refuse("no key of the provider's JWKS matches")
    try:
        claims: dict[str, Any] = pyjwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": list(required),
            },
        )
    except pyjwt.PyJWTError as exc:
        raise refuse(exc.__class__.__name__) from None
    return claims


async def verify_id_token(
    token: object,
    *,
    provider: str,
    keys: KeySet,
    issuer: str,
    client_id: str,
    client_secret: str,
    nonce: str,
    algorithms: Sequence[str],
    now: datetime,
) -> dict[str, Any]:
    """The claims of a valid ID token.

    Raises:
        AuthError: ``INVALID_CREDENTIALS`` when any check fails; ``SERVICE_UNAVAILABLE`` when
            the JWKS cannot be fetched.
    """
    if not isinstance(token, str) or not token:
        raise _refuse(provider, "the token response has no id_token")
    claims = await decode_signed(
        token,
        keys=keys,
        algorithms=algorithms,
        client_id=client_id,
        client_secret=client_secret,
        issuer=issuer,
        required=("iss", "sub", "aud", "exp", "iat"),
        refuse=lambda why: _refuse(provider, why),
    )
    check_claims(claims, provider=provider, client_id=client_id, nonce=nonce, now=now)
    return claims


def check_claims(
    claims: dict[str, Any], *, provider: str, client_id: str, nonce: str, now: datetime
) -> None:
    """The time, ``azp`` and ``nonce`` checks (pure; the signature was checked before)."""
    moment = now.timestamp()
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise _refuse(provider, "exp is not a number")
    if moment >= expires + LEEWAY_SECONDS:
        raise _refuse(provider, "expired")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or issued > moment + LEEWAY_SECONDS:
        raise _refuse(provider, "issued in the future")
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise _refuse(provider, "azp is not this client")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not crypto.equal(sent, nonce):
        raise _refuse(provider, "nonce mismatch")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse(provider, "no sub")
