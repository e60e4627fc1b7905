"""The pure key set (``tokens/keyset.py``): which key signs when, what is published, the RFC 7638
thumbprint; and the sealing of stored keys (``signing/sealing.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from authgate.errors import AuthError, Code
from authgate.http.routes.jwks import cache_seconds
from authgate.signing.sealing import SealError, seal, unseal
from authgate.tokens.keyset import KeySet, SigningKey, generate_private_key, thumbprint

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _key(sequence: int, signs_from: datetime, retires_at: datetime | None = None) -> SigningKey:
    private = generate_private_key("EdDSA")
    base = SigningKey.of(private, "EdDSA", signs_from)
    return SigningKey(
        base.kid, "EdDSA", base.public, private, signs_from, retires_at, sequence=sequence
    )


def test_the_rfc_7638_example_thumbprint() -> None:
    """RFC 7638 §3.1: the example RSA key's thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
            "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
            "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
            "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }

    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_rotated_in_key_is_published_before_it_signs() -> None:
    old = _key(1, datetime(1970, 1, 1, tzinfo=UTC), retires_at=NOW + 5 * MINUTE + timedelta(days=1))
    new = _key(2, NOW + 5 * MINUTE)
    keys = KeySet("EdDSA", "secret", (old, new))

    assert [key.kid for key in keys.published(NOW)] == [old.kid, new.kid]
    assert keys.signer(NOW) == old
    assert keys.signer(NOW + 5 * MINUTE) == new
    assert keys.signer(NOW + timedelta(days=2)) == new
    assert [key.kid for key in keys.published(NOW + 5 * MINUTE + timedelta(days=1))] == [new.kid]


def test_with_no_key_started_yet_the_oldest_signs() -> None:
    """A host whose clock is behind the one that made the keys still signs."""
    first, second = _key(1, NOW + MINUTE), _key(2, NOW + 2 * MINUTE)

    assert KeySet("EdDSA", "s", (second, first)).signer(NOW) == first


def test_a_retired_key_verifies_nothing() -> None:
    key = _key(1, NOW - MINUTE, retires_at=NOW + MINUTE)
    keys = KeySet("EdDSA", "s", (key,))
    token = keys.sign({"id": "u"}, now=NOW, ttl=timedelta(days=1))

    assert keys.verified(token, now=NOW)[1] == NOW + MINUTE
    with pytest.raises(AuthError) as refused:
        keys.verify(token, now=NOW + MINUTE)
    assert refused.value.code == Code.INVALID_TOKEN


def test_an_asymmetric_set_without_keys_signs_nothing() -> None:
    with pytest.raises(AuthError) as refused:
        KeySet("EdDSA", "s").sign({"id": "u"}, now=NOW, ttl=MINUTE)

    assert refused.value.code == Code.INTERNAL_SERVER_ERROR


def test_hs256_publishes_nothing_and_signs_with_the_secret() -> None:
    keys = KeySet("HS256", "a-secret-of-enough-length-0123456789")

    token = keys.sign({"id": "u"}, now=NOW, ttl=MINUTE)

    assert keys.jwks(NOW) == {"keys": []}
    assert keys.verify(token, now=NOW)["id"] == "u"


def test_sealing_round_trips_and_binds_secret_and_kid() -> None:
    sealed = seal("secret-one", "kid-1", b"material")

    assert unseal("secret-one", "kid-1", sealed) == b"material"
    assert sealed != seal("secret-one", "kid-1", b"material")  # a fresh nonce each time
    for secret, kid, value in (
        ("secret-two", "kid-1", sealed),
        ("secret-one", "kid-2", sealed),
        ("secret-one", "kid-1", "plain"),
        ("secret-one", "kid-1", "gcm1.!!!"),
        ("secret-one", "kid-1", sealed[:-4]),
    ):
        with pytest.raises(SealError):
            unseal(secret, kid, value)


@pytest.mark.parametrize(
    ("delay", "seconds"),
    [
        (timedelta(minutes=5), 60),
        (timedelta(seconds=90), 60),
        (timedelta(seconds=89), 59),
        (timedelta(seconds=50), 20),
        (timedelta(seconds=31), 1),
        (timedelta(seconds=30), 0),
        (timedelta(0), 0),
    ],
)
def test_the_key_set_is_cached_no_longer_than_the_publish_delay_allows(
    delay: timedelta, seconds: int
) -> None:
    assert cache_seconds(delay) == seconds
