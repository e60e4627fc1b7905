"""ID token checks with real keys: signature against a JWKS, issuer, audience, nonce, times."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authgate.clock import SystemClock
from authgate.errors import AuthError, Code
from authgate.providers.id_token import KeySet, verify_id_token

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ISSUER = "https://op.example.com"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def public_jwk(key: PrivateKey, kid: str, alg: str) -> dict[str, Any]:
    algorithm = pyjwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": alg}


class StaticKeys(KeySet):
    """A key set with fixed keys (fetching is ``Upstream``'s, tested against the real peer)."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.fetched_at = time.monotonic()
        self.url = None
        self.clock = SystemClock()

    async def _fetch(self) -> None:
        return None


KEYS = StaticKeys([public_jwk(RSA_KEY, "r1", "RS256"), public_jwk(EC_KEY, "e1", "ES256")])


def token(
    key: PrivateKey | str = RSA_KEY, alg: str = "RS256", kid: str = "r1", **claims: Any
) -> str:
    body = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": "client-1",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "nonce": "the-nonce",
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return pyjwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def verify(raw: object, *, algorithms: tuple[str, ...] = ("RS256", "ES256")) -> dict[str, Any]:
    return asyncio.run(
        verify_id_token(
            raw,
            provider="op",
            keys=KEYS,
            issuer=ISSUER,
            client_id="client-1",
            client_secret="shared-secret-of-the-client-0123456789",
            nonce="the-nonce",
            algorithms=algorithms,
            now=NOW,
        )
    )


def test_a_valid_token_gives_its_claims() -> None:
    assert verify(token())["sub"] == "user-1"
    assert verify(token(EC_KEY, "ES256", "e1"))["sub"] == "user-1"
    assert verify(token(aud=["client-1", "other"], azp="client-1"))["sub"] == "user-1"


def test_an_hmac_token_uses_the_client_secret() -> None:
    secret = "shared-secret-of-the-client-0123456789"
    raw = token(secret, "HS256")

    assert verify(raw, algorithms=("HS256",))["sub"] == "user-1"
    with pytest.raises(AuthError):
        verify(raw)  # HS256 not advertised


@pytest.mark.parametrize(
    "raw",
    [
        token(OTHER_RSA_KEY),  # signed by someone else
        token(kid="unknown"),
        token(iss="https://evil.example"),
        token(aud="another-client"),
        token(aud=["client-1", "other"]),  # several audiences, no azp
        token(nonce="another-nonce"),
        token(nonce=None),
        token(exp=int(NOW.timestamp()) - 120),
        token(iat=int(NOW.timestamp()) + 3600),
        token(sub=""),
        pyjwt.encode({"iss": ISSUER, "sub": "x", "aud": "client-1"}, "", algorithm="none"),
        "not.a.jwt",
        None,
        "",
    ],
)
def test_invalid_tokens_are_invalid_credentials(raw: object) -> None:
    with pytest.raises(AuthError) as raised:
        verify(raw)

    assert raised.value.code == Code.INVALID_CREDENTIALS


def test_a_little_clock_skew_is_tolerated() -> None:
    assert verify(token(exp=int(NOW.timestamp()) - 30))["sub"] == "user-1"
