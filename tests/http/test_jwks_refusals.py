"""What authgate refuses when it signs with a private key (EdDSA, ES256, RS256): a token of a
key it never published, one whose header was tampered with, algorithm confusion (HMAC with the
public key as its secret, ``none``, another asymmetric algorithm under the published ``kid``),
and an HMAC token signed with ``SECRET``. And the stored private key is sealed under SECRET.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from authgate.signing.sealing import SealError, unseal
from authgate.tokens.keyset import (
    generate_private_key,
    load_private_pem,
    public_jwk,
    thumbprint,
)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Harness
from tests.support.backends import BACKENDS
from tests.support.signing import (
    ASYMMETRIC,
    code_of,
    header_of,
    me,
    published,
    segment,
    signing_harness,
)

WORLDS = [(backend, algorithm) for backend in BACKENDS for algorithm in ASYMMETRIC]
IDS = [f"{backend}-{algorithm}" for backend, algorithm in WORLDS]


@pytest.fixture(scope="module", params=WORLDS, ids=IDS)
def signer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    backend, algorithm = request.param
    folder = tmp_path_factory.mktemp(f"refusals-{backend}-{algorithm}")
    with signing_harness(backend, folder, {"AUTH_JWT_ALGORITHM": algorithm}) as harness:
        yield harness


@pytest.fixture
def issued(signer: Harness) -> str:
    """A token authgate issued (it verifies: every refusal below is of a changed copy)."""
    token: str = signer.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
    assert me(signer.client, token).status_code == 200
    return token


def _algorithm(harness: Harness) -> str:
    return harness.settings.signing.algorithm


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return claims


def _hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT refuses to use a public key as an HMAC secret, an attacker does not."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def _refused(harness: Harness, token: str) -> str:
    response = harness.client.get(
        "/users/me", params={"access_token": token, "fields": "id"}, headers={"Cookie": ""}
    )
    assert response.status_code in (401, 403), response.text
    return code_of(response)


def test_a_token_of_a_key_never_published_is_refused(signer: Harness, issued: str) -> None:
    stranger = generate_private_key(_algorithm(signer))
    kid = thumbprint(public_jwk(stranger.public_key()))
    token = pyjwt.encode(
        _claims(issued), stranger, algorithm=_algorithm(signer), headers={"kid": kid}
    )

    assert _refused(signer, token) == "INVALID_TOKEN"


def test_a_token_of_another_key_under_the_published_kid_is_refused(
    signer: Harness, issued: str
) -> None:
    stranger = generate_private_key(_algorithm(signer))
    kid = header_of(issued)["kid"]
    token = pyjwt.encode(
        _claims(issued), stranger, algorithm=_algorithm(signer), headers={"kid": kid}
    )

    assert _refused(signer, token) == "INVALID_TOKEN"


@pytest.mark.parametrize("kid", ["tampered", "", None, 7])
def test_an_issued_token_with_its_kid_changed_is_refused(
    signer: Harness, issued: str, kid: object
) -> None:
    header = header_of(issued)
    if kid is None:
        del header["kid"]
    else:
        header["kid"] = kid
    token = ".".join([segment(header), *issued.split(".")[1:]])

    assert _refused(signer, token) == "INVALID_TOKEN"


def _public_secrets(harness: Harness) -> list[bytes]:
    """What an attacker might feed an HMAC as the server's public key."""
    [jwk] = published(harness.client)["keys"]
    public = load_private_pem(_stored_pem(harness, jwk["kid"]), _algorithm(harness)).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    found = [pem, pem.strip(), der, json.dumps(jwk).encode(), jwk["kid"].encode()]
    if isinstance(public, ed25519.Ed25519PublicKey):
        found.append(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
    return found


def test_hmac_with_the_public_key_as_its_secret_is_refused(signer: Harness, issued: str) -> None:
    kid = header_of(issued)["kid"]
    codes = {
        _refused(
            signer, _hmac_token({"alg": alg, "typ": "JWT", "kid": kid}, _claims(issued), secret)
        )
        for secret in _public_secrets(signer)
        for alg in ("HS256", _algorithm(signer))
    }

    assert codes == {"INVALID_TOKEN"}


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_an_unsigned_token_is_refused(signer: Harness, issued: str, alg: str) -> None:
    header = {"alg": alg, "typ": "JWT", "kid": header_of(issued)["kid"]}

    for signature in ("", issued.split(".")[2]):
        token = f"{segment(header)}.{segment(_claims(issued))}.{signature}"
        assert _refused(signer, token) == "INVALID_TOKEN"


def test_another_asymmetric_algorithm_under_the_published_kid_is_refused(
    signer: Harness, issued: str
) -> None:
    """RS/ES/EdDSA mismatch: a token that says another algorithm than the key's, signed with a
    key of that algorithm, or (RSA) with the real key itself under another RSA algorithm."""
    kid, claims = header_of(issued)["kid"], _claims(issued)
    forged = [
        pyjwt.encode(claims, generate_private_key(other), algorithm=other, headers={"kid": kid})
        for other in ASYMMETRIC
        if other != _algorithm(signer)
    ]
    if _algorithm(signer) == "RS256":
        real = load_private_pem(_stored_pem(signer, kid), "RS256")
        forged += [
            pyjwt.encode(claims, real, algorithm=other, headers={"kid": kid})
            for other in ("RS384", "RS512", "PS256")
        ]

    assert {_refused(signer, token) for token in forged} == {"INVALID_TOKEN"}
    assert len(forged) >= 2


def test_an_hmac_token_signed_with_secret_is_refused(signer: Harness, issued: str) -> None:
    """What authgate signed before AUTH_JWT_ALGORITHM changed no longer passes: SECRET is not
    a verification key any more."""
    token = pyjwt.encode(_claims(issued), signer.settings.secret.reveal(), algorithm="HS256")

    assert _refused(signer, token) == "INVALID_TOKEN"


def _stored(harness: Harness) -> list[tuple[str, str]]:
    rows = harness.sql("SELECT kid, private_key FROM authgate_signing_keys ORDER BY sequence")
    return [(row[0], row[1]) for row in rows]


def _stored_pem(harness: Harness, kid: str) -> bytes:
    sealed = dict(_stored(harness))[kid]
    return unseal(harness.settings.secret.reveal(), kid, sealed)


def test_the_stored_private_key_is_sealed_under_secret(signer: Harness) -> None:
    [(kid, sealed)] = _stored(signer)
    pem = unseal(signer.settings.secret.reveal(), kid, sealed)
    key = load_private_pem(pem, _algorithm(signer))
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    body = b"".join(pem.splitlines()[1:-1]).decode()  # the PEM's base64 lines
    opened = base64.urlsafe_b64decode(sealed.split(".", 1)[1])

    assert "PRIVATE" not in sealed
    assert "BEGIN" not in sealed
    assert body[:40] not in sealed
    assert der not in opened
    assert der[-32:] not in opened  # the tail holds the secret scalar of every key type
    assert (
        thumbprint(public_jwk(key.public_key()))
        == kid
        == published(signer.client)["keys"][0]["kid"]
    )
    with pytest.raises(SealError):
        unseal("another-secret-that-is-long-enough-0123456789", kid, sealed)
    with pytest.raises(SealError):
        unseal(signer.settings.secret.reveal(), "another-kid", sealed)  # not movable to a row


@pytest.mark.parametrize("where", ["jwk", "jku", "x5u", "x5c"])
def test_a_key_the_token_brings_along_is_never_used(
    signer: Harness, issued: str, where: str
) -> None:
    """``jwk``/``jku``/``x5u``/``x5c`` in the header name a key the attacker holds: ignored,
    only the published key of the header's ``kid`` verifies."""
    stranger = generate_private_key(_algorithm(signer))
    jwk = {**public_jwk(stranger.public_key()), "alg": _algorithm(signer), "use": "sig"}
    carried: dict[str, Any] = {
        "jwk": jwk,
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIBattacker"],
    }
    for kid in (header_of(issued)["kid"], thumbprint(public_jwk(stranger.public_key()))):
        token = pyjwt.encode(
            _claims(issued),
            stranger,
            algorithm=_algorithm(signer),
            headers={"kid": kid, where: carried[where]},
        )
        assert _refused(signer, token) == "INVALID_TOKEN"


@pytest.mark.parametrize("kid", ["../../../etc/passwd", "k" * 6000, "a\x00b", "*"])
def test_a_made_up_kid_is_only_an_unknown_kid(signer: Harness, issued: str, kid: str) -> None:
    header = {**header_of(issued), "kid": kid}
    token = ".".join([segment(header), *issued.split(".")[1:]])

    assert _refused(signer, token) == "INVALID_TOKEN"
    assert me(signer.client, issued).status_code == 200
