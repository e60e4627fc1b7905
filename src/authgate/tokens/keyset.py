"""The keys access tokens are signed with, and the set a process signs and verifies with.

``HS256`` (the default, as Directus) signs with ``SECRET`` and publishes nothing. ``EdDSA``
(Ed25519), ``ES256`` (P-256) and ``RS256`` sign with a private key whose public half is
published as a JWK (RFC 7517) with its ``kid``, the RFC 7638 thumbprint of that JWK. The set
knows when each key signs (``signs_from``) and when it retires (``retires_at``, once a newer
key has taken over and every token it signed has expired): which key signs at ``now``, which
are published and accepted, is decided here from those two times, nothing else.

Pure: ``cryptography`` key objects and PyJWT; no database, no clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from authgate.errors import AuthError, Code
from authgate.tokens import jwt

HMAC = "HS256"
ALGORITHMS = (HMAC, "EdDSA", "ES256", "RS256")
_RSA_BITS = 2048

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

# RFC 7638 §3.2: the members of a thumbprint, by key type.
_REQUIRED = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    raise ValueError(f"{algorithm} has no private key")


def key_fits(key: object, algorithm: str) -> TypeGuard[PrivateKey]:
    """Whether ``algorithm`` signs with ``key`` (RS256: RSA of 2048 bits or more)."""
    if algorithm == "EdDSA":
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if algorithm == "ES256":
        return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    if algorithm == "RS256":
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size >= _RSA_BITS
    return False


def describe_key(key: object) -> str:
    """What a private key is, for a configuration error (never its material)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "an Ed25519 key"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    if isinstance(key, rsa.RSAPrivateKey):
        return f"an RSA key of {key.key_size} bits"
    return f"a {type(key).__name__.removeprefix('_')}"


def private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_pem(pem: bytes, algorithm: str) -> PrivateKey:
    """Raises ``ValueError`` when ``pem`` is not a private key ``algorithm`` signs with."""
    key = serialization.load_pem_private_key(pem, password=None)
    if key_fits(key, algorithm):
        return key
    raise ValueError(f"the key does not fit {algorithm}")


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public key's required JWK members (RFC 7638 §3.2), as PyJWT writes them."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        written: Mapping[str, Any] = OKPAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        written = ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        written = RSAAlgorithm.to_jwk(key, as_dict=True)
    return {name: str(written[name]) for name in _REQUIRED[str(written["kty"])]}


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members in lexical order, without whitespace."""
    members = {name: jwk[name] for name in _REQUIRED[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    public: PublicKey = field(repr=False)
    private: PrivateKey | None = field(repr=False)
    signs_from: datetime
    retires_at: datetime | None = None
    sequence: int = 0

    @classmethod
    def of(cls, private: PrivateKey, algorithm: str, signs_from: datetime) -> SigningKey:
        """A key kept outside the database (``AUTH_JWT_PRIVATE_KEY``): it signs from the start."""
        public = private.public_key()
        return cls(thumbprint(public_jwk(public)), algorithm, public, private, signs_from)

    def is_published(self, now: datetime) -> bool:
        return self.retires_at is None or now < self.retires_at

    def jwk(self) -> dict[str, str]:
        return {**public_jwk(self.public), "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def unverified_kid(token: str) -> str | None:
    """The ``kid`` a token's header names, without trusting it; ``None`` when it has none."""
    try:
        kid = pyjwt.get_unverified_header(token).get("kid")
    except pyjwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class KeySet:
    """The keys one process knows, as last read; ``keys`` in the order they were created."""

    algorithm: str
    secret: str = field(repr=False)
    keys: tuple[SigningKey, ...] = ()

    @property
    def is_hmac(self) -> bool:
        return self.algorithm == HMAC

    def published(self, now: datetime) -> list[SigningKey]:
        return [key for key in self.keys if key.is_published(now)]

    def find(self, kid: str, now: datetime) -> SigningKey | None:
        return next((key for key in self.published(now) if key.kid == kid), None)

    def knows(self, kid: str) -> bool:
        return any(key.kid == kid for key in self.keys)

    def signer(self, now: datetime) -> SigningKey | None:
        """The newest published key whose time to sign has come. Should none have come yet
        (this host's clock behind the one that created the first key), the oldest one."""
        usable = self.published(now)
        started = [key for key in usable if key.signs_from <= now]
        if started:
            return max(started, key=lambda key: (key.signs_from, key.sequence))
        return min(usable, key=lambda key: (key.signs_from, key.sequence), default=None)

    def sign(self, payload: Mapping[str, Any], *, now: datetime, ttl: timedelta) -> str:
        """Raises ``AuthError`` (``INTERNAL``) when an asymmetric set holds no usable key."""
        if self.is_hmac:
            return jwt.sign(payload, self.secret, now=now, ttl=ttl)
        key = self.signer(now)
        if key is None or key.private is None:
            raise AuthError(Code.INTERNAL_SERVER_ERROR)
        return jwt.sign_with(
            payload, key.private, key.algorithm, now=now, ttl=ttl, headers={"kid": key.kid}
        )

    def verify(self, token: str, *, now: datetime) -> dict[str, Any]:
        """The claims of an access token signed by a published key of this set, by its ``kid``
        and with that key's own algorithm only (no ``none``, no HMAC with a public key).

        Raises:
            AuthError: ``INVALID_TOKEN`` or ``TOKEN_EXPIRED`` (``jwt.verify_with``).
        """
        return self.verified(token, now=now)[0]

    def verified(self, token: str, *, now: datetime) -> tuple[dict[str, Any], datetime | None]:
        """``verify``, and when the key that signed the token retires (``None``: not yet
        scheduled), so that whoever keeps the answer knows how long it holds."""
        if self.is_hmac:
            return jwt.verify(token, self.secret, now=now), None
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise AuthError(Code.INVALID_TOKEN) from None
        kid = header.get("kid")
        key = self.find(kid, now) if isinstance(kid, str) else None
        if key is None or header.get("alg") != key.algorithm:
            raise AuthError(Code.INVALID_TOKEN)
        return jwt.verify_with(token, key.public, [key.algorithm], now=now), key.retires_at

    def jwks(self, now: datetime) -> dict[str, list[dict[str, str]]]:
        """The published keys as a JWK Set (RFC 7517 §5); empty for HS256."""
        if self.is_hmac:
            return {"keys": []}
        return {"keys": [key.jwk() for key in self.published(now)]}
