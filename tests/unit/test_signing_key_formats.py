"""``AUTH_JWT_PRIVATE_KEY_FILE`` (README "Tokens other services can verify"): a PEM file,
PKCS#8 or traditional, unencrypted; an encrypted one stops the start with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authgate.config import ConfigError, load_settings, read_environment
from authgate.tokens.keyset import PrivateKey
from tests.conftest import BASE_ENV


def _settings_with(tmp_path: Path, algorithm: str, pem: bytes) -> PrivateKey | None:
    path = tmp_path / "signing.pem"
    path.write_bytes(pem)
    environ = {
        "DATA_DIR": str(tmp_path / "data"),
        **BASE_ENV,
        "AUTH_JWT_ALGORITHM": algorithm,
        "AUTH_JWT_PRIVATE_KEY_FILE": str(path),
    }
    return load_settings(read_environment(environ, cwd=tmp_path), cwd=tmp_path).signing.private_key


def _public(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem(key: PrivateKey, form: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption())


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
        ("RS256", rsa.generate_private_key(65537, 2048)),
    ],
)
@pytest.mark.parametrize(
    "form", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_pkcs8_and_traditional_pem_files_sign(
    tmp_path: Path, algorithm: str, key: PrivateKey, form: serialization.PrivateFormat
) -> None:
    loaded = _settings_with(tmp_path, algorithm, _pem(key, form))

    assert loaded is not None
    assert _public(loaded) == _public(key)


def test_an_encrypted_pem_file_stops_the_start_with_one_line(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )

    with pytest.raises(ConfigError) as refused:
        _settings_with(tmp_path, "ES256", pem)

    assert str(refused.value) == "AUTH_JWT_PRIVATE_KEY: is not an unencrypted PEM private key"
