"""Setting up signing keys: ``AUTH_JWT_PRIVATE_KEY_FILE``, configuration that stops the start
with one line, keys sealed under another SECRET, concurrent first starts of several processes,
and ``authgate keys rotate`` / ``authgate keys list``."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authgate.config import ConfigError, Secret, load_settings, read_environment
from authgate.signing import SigningKeysError, commands
from authgate.signing.ring import REFRESH_INTERVAL, retention, rotate_keys
from authgate.tokens.keyset import PrivateKey, generate_private_key, public_jwk, thumbprint
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BASE_ENV
from tests.support.backends import BACKENDS
from tests.support.signing import (
    ASYMMETRIC,
    backend_env,
    header_of,
    me,
    published,
    signing_harness,
    started,
    verify_elsewhere,
)
from tests.test_cli import run


def _pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _key_file(folder: Path, key: PrivateKey) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "signing.pem"
    path.write_bytes(_pem(key))
    return path


FILE_CASES = [("sqlite", algorithm) for algorithm in ASYMMETRIC] + [("postgres", "EdDSA")]


@pytest.mark.parametrize(("backend", "algorithm"), FILE_CASES)
def test_a_key_file_signs_and_is_the_only_published_key(
    tmp_path: Path, backend: str, algorithm: str
) -> None:
    key: PrivateKey = generate_private_key(algorithm)
    env = {
        "AUTH_JWT_ALGORITHM": algorithm,
        "AUTH_JWT_PRIVATE_KEY_FILE": str(_key_file(tmp_path, key)),
    }

    with signing_harness(backend, tmp_path, env) as harness:
        token = harness.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
        jwks = published(harness.client)
        verified = verify_elsewhere(token, jwks, algorithm, harness.clock)
        stored = harness.sql("SELECT count(*) FROM authgate_signing_keys")
        with pytest.raises(SigningKeysError, match="AUTH_JWT_PRIVATE_KEY"):
            rotate_keys(harness.db, harness.settings, harness.clock.now())

    kid = thumbprint(public_jwk(key.public_key()))
    assert [key["kid"] for key in jwks["keys"]] == [kid]
    assert verified.header["kid"] == kid
    assert stored == [(0,)]


def test_the_file_is_read_through_the_environment_too(tmp_path: Path) -> None:
    key = generate_private_key("ES256")
    environ = {
        **BASE_ENV,
        "AUTH_JWT_ALGORITHM": "es256",
        "AUTH_JWT_PRIVATE_KEY_FILE": str(_key_file(tmp_path, key)),
    }

    settings = load_settings(read_environment(environ, cwd=tmp_path), cwd=tmp_path)

    assert settings.signing.algorithm == "ES256"
    assert settings.signing.private_key is not None
    assert public_jwk(settings.signing.private_key.public_key()) == public_jwk(key.public_key())
    assert "PRIVATE" not in repr(settings)


def _bad_keys(folder: Path) -> dict[str, Path]:
    files = {
        "rsa": _key_file(folder / "rsa", rsa.generate_private_key(65537, 2048)),
        "p384": _key_file(folder / "p384", ec.generate_private_key(ec.SECP384R1())),
        # too weak, and refused: what the test is about
        "rsa1024": _key_file(folder / "rsa1024", rsa.generate_private_key(65537, 1024)),  # noqa: S505
        "ed25519": _key_file(folder / "ed25519", generate_private_key("EdDSA")),
    }
    (folder / "text.pem").write_text("not a key\n")
    files["text"] = folder / "text.pem"
    return files


BAD = [
    (
        {"AUTH_JWT_ALGORITHM": "HS257"},
        'AUTH_JWT_ALGORITHM: "HS257" is not one of HS256, EdDSA, ES256, RS256',
    ),
    (
        {"AUTH_JWT_ALGORITHM": "none"},
        'AUTH_JWT_ALGORITHM: "none" is not one of HS256, EdDSA, ES256, RS256',
    ),
    (
        {"AUTH_JWT_ALGORITHM": "EdDSA", "AUTH_JWT_PRIVATE_KEY_FILE": "{tmp}/missing.pem"},
        "AUTH_JWT_PRIVATE_KEY_FILE: cannot read {tmp}/missing.pem: No such file or directory",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "EdDSA", "AUTH_JWT_PRIVATE_KEY_FILE": "{text}"},
        "AUTH_JWT_PRIVATE_KEY: is not an unencrypted PEM private key",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "EdDSA", "AUTH_JWT_PRIVATE_KEY_FILE": "{rsa}"},
        "AUTH_JWT_PRIVATE_KEY: holds an RSA key of 2048 bits, which AUTH_JWT_ALGORITHM=EdDSA"
        " cannot sign with",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "ES256", "AUTH_JWT_PRIVATE_KEY_FILE": "{p384}"},
        "AUTH_JWT_PRIVATE_KEY: holds an EC key on secp384r1, which AUTH_JWT_ALGORITHM=ES256"
        " cannot sign with",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "RS256", "AUTH_JWT_PRIVATE_KEY_FILE": "{rsa1024}"},
        "AUTH_JWT_PRIVATE_KEY: holds an RSA key of 1024 bits, which AUTH_JWT_ALGORITHM=RS256"
        " cannot sign with",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "RS256", "AUTH_JWT_PRIVATE_KEY_FILE": "{ed25519}"},
        "AUTH_JWT_PRIVATE_KEY: holds an Ed25519 key, which AUTH_JWT_ALGORITHM=RS256 cannot sign with",
    ),
    (
        {"AUTH_JWT_PRIVATE_KEY_FILE": "{ed25519}"},
        "AUTH_JWT_PRIVATE_KEY: is set, but AUTH_JWT_ALGORITHM is HS256 (signed with SECRET)",
    ),
    (
        {"AUTH_JWT_ALGORITHM": "EdDSA", "AUTH_JWT_KEY_PUBLISH_DELAY": "-5"},
        "AUTH_JWT_KEY_PUBLISH_DELAY: must not be negative",
    ),
]


@pytest.mark.parametrize(("env", "message"), BAD)
def test_bad_configuration_stops_the_start_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    paths = {name: str(path) for name, path in _bad_keys(tmp_path).items()}
    filled = {name: value.format(tmp=tmp_path, **paths) for name, value in env.items()}

    result = run(tmp_path, "serve", "--port", "0", **filled)

    assert (result.returncode, result.stderr) == (1, f"authgate: {message.format(tmp=tmp_path)}\n")


def test_keys_sealed_under_another_secret_stop_the_start_with_one_line(tmp_path: Path) -> None:
    created = run(tmp_path, "bootstrap", AUTH_JWT_ALGORITHM="EdDSA", SECRET="a" * 40)
    listed = run(tmp_path, "keys", "list", AUTH_JWT_ALGORITHM="EdDSA", SECRET="a" * 40)
    kid = listed.stdout.splitlines()[1].split()[0]

    result = run(tmp_path, "serve", "--port", "0", AUTH_JWT_ALGORITHM="EdDSA", SECRET="b" * 40)

    assert created.returncode == 0
    assert (result.returncode, result.stderr) == (
        1,
        f"authgate: SECRET: signing key {kid} in the database cannot be opened with this SECRET"
        " (it was sealed under another one)\n",
    )


STARTER = """
import os, sys, time
from pathlib import Path
from authgate.app import create_app
from authgate.config import load_settings, read_environment
settings = load_settings(read_environment(os.environ, cwd=Path.cwd()), cwd=Path.cwd())
Path(os.environ["READY"]).touch()
while not Path(os.environ["GO"]).exists():
    time.sleep(0.002)
app = create_app(settings)
print(app.services.sessions.signing.keys.keys[0].kid)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_starting_at_once_agree_on_one_first_key(tmp_path: Path, backend: str) -> None:
    """Four processes start on a database without keys, released at the same moment: one
    key is created (the unique sequence turns the others' inserts away) and all use it."""
    with backend_env(backend, tmp_path) as database:
        env = {**database, "AUTH_JWT_ALGORITHM": "RS256"}
        assert run(tmp_path, "db", "migrate", **env).returncode == 0
        starters = []
        for number in range(4):
            ready = tmp_path / f"ready-{number}"
            starters.append(_start(tmp_path, env, ready))
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready-{n}").exists() for n in range(4)):
            assert time.monotonic() < deadline, "the starters did not get ready"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        outputs = [process.communicate(timeout=60) for process in starters]
        rows = _count_keys(tmp_path, env)

    kids = {stdout.strip() for stdout, _ in outputs}
    assert [process.returncode for process in starters] == [0, 0, 0, 0], outputs
    assert len(kids) == 1
    assert rows == 1


def _start(folder: Path, env: dict[str, str], ready: Path) -> subprocess.Popen[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "DATA_DIR": str(folder / "data"),
        "LOG_LEVEL": "error",
        "SECRET": BASE_ENV["SECRET"],
        "EMAIL_TRANSPORT": "file",
        "READY": str(ready),
        "GO": str(folder / "go"),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", STARTER],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count_keys(folder: Path, env: dict[str, str]) -> int:
    from sqlalchemy import text

    from authgate.storage.db import create_db_engine

    settings = load_settings({"DATA_DIR": str(folder / "data"), **BASE_ENV, **env}, cwd=folder)
    engine = create_db_engine(settings.database)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM authgate_signing_keys")).scalar_one()
            )
    finally:
        engine.dispose()


def test_keys_rotate_and_list_on_the_command_line(tmp_path: Path) -> None:
    env = {"AUTH_JWT_ALGORITHM": "EdDSA"}
    run(tmp_path, "bootstrap", **env)

    before = run(tmp_path, "keys", "list", **env)
    rotated = run(tmp_path, "keys", "rotate", **env)
    after = run(tmp_path, "keys", "list", **env)
    hs256 = run(tmp_path, "keys", "rotate")
    hs256_list = run(tmp_path, "keys", "list")
    helps = [run(tmp_path, "keys", command, "--help") for command in ("rotate", "list")]

    first = before.stdout.splitlines()[1].split()
    new_kid = rotated.stdout.split()[3].rstrip(":")
    rows = [line.split() for line in after.stdout.splitlines()[1:]]
    assert before.returncode == 0
    assert first[1:3] == ["EdDSA", "signing"]
    assert rotated.returncode == 0
    assert rotated.stdout.startswith(f"new EdDSA key {new_kid}: published now, signs from ")
    assert [(row[0], row[2]) for row in rows] == [(first[0], "signing"), (new_kid, "pending")]
    assert rows[0][-1] != "-"  # the old key's retirement is scheduled
    assert (hs256.returncode, hs256.stderr) == (
        1,
        "authgate: AUTH_JWT_ALGORITHM is HS256: tokens are signed with SECRET, there is no key"
        " to rotate\n",
    )
    assert hs256_list.stdout == "HS256: tokens are signed with SECRET (HS256); no stored keys\n"
    assert [result.stdout.startswith("usage: authgate keys") for result in helps] == [True, True]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_algorithm_signs_at_once_and_the_old_key_retires_later(
    tmp_path: Path, backend: str
) -> None:
    with signing_harness(backend, tmp_path, {"AUTH_JWT_ALGORITHM": "EdDSA"}) as first:
        old = first.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
        signing = replace(first.settings.signing, algorithm="ES256")
        with started(replace(first.settings, signing=signing), first.clock, backend) as second:
            new = second.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
            both = published(second.client)
            old_answer = me(second.client, old)
            old_claims = verify_elsewhere(old, both, "EdDSA", first.clock).claims
            new_header = verify_elsewhere(new, both, "ES256", first.clock).header
            first.clock.advance(retention(first.settings).total_seconds())
            later = published(second.client)

    assert [(key["alg"], key["kid"]) for key in both["keys"]] == [
        ("EdDSA", header_of(old)["kid"]),
        ("ES256", header_of(new)["kid"]),
    ]
    assert old_claims["iss"] == "directus"
    assert new_header["alg"] == "ES256"
    assert old_answer.status_code == 200
    assert [key["alg"] for key in later["keys"]] == ["ES256"]


@pytest.mark.parametrize(("env", "message"), BAD)
def test_the_same_configuration_errors_come_from_the_settings(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    paths = {name: str(path) for name, path in _bad_keys(tmp_path).items()}
    filled = {name: value.format(tmp=tmp_path, **paths) for name, value in env.items()}

    environ = {"DATA_DIR": str(tmp_path / "data"), **BASE_ENV, **filled}

    with pytest.raises(ConfigError) as refused:
        load_settings(read_environment(environ, cwd=tmp_path), cwd=tmp_path)

    assert str(refused.value) == message.format(tmp=tmp_path)


def test_the_keys_commands_describe_what_each_key_does(tmp_path: Path) -> None:
    with signing_harness("sqlite", tmp_path, {"AUTH_JWT_ALGORITHM": "ES256"}) as harness:
        now = harness.clock.now()
        rotated = commands.rotate(harness.settings, now)
        during = commands.listing(harness.settings, now)
        retired = commands.listing(harness.settings, now + timedelta(days=2))

    new_kid = rotated[0].split()[3].rstrip(":")
    states = [line.split()[1:3] for line in during[1:]]
    assert states == [["ES256", "signing"], ["ES256", "pending"]]
    assert during[2].split()[0] == new_kid
    assert [line.split()[2] for line in retired[1:]] == ["retired", "signing"]


def test_a_stored_key_this_secret_cannot_open_leaves_the_known_keys_in_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A row sealed under another SECRET (an instance misconfigured beside this one): the
    reload that finds it is logged and dropped, and tokens go on verifying."""
    with signing_harness("sqlite", tmp_path, {"AUTH_JWT_ALGORITHM": "EdDSA"}) as harness:
        token = harness.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
        other = replace(harness.settings, secret=Secret("another-secret-of-enough-length-0123456"))
        foreign = rotate_keys(harness.db, other, harness.clock.now())
        harness.clock.advance(REFRESH_INTERVAL.total_seconds() + 1)
        with caplog.at_level(logging.WARNING, logger="authgate.signing"):
            answer = me(harness.client, token)
        kids = [key["kid"] for key in published(harness.client)["keys"]]

    assert answer.status_code == 200
    assert foreign.kid not in kids
    assert "signing keys not reloaded" in caplog.text
    assert foreign.private_key not in caplog.text


def test_settings_built_without_the_environment_reader_read_the_file_themselves(
    tmp_path: Path,
) -> None:
    """Embedding authgate (``load_settings`` on a plain mapping) names the file variable."""
    env = {**BASE_ENV, "DATA_DIR": str(tmp_path), "AUTH_JWT_ALGORITHM": "EdDSA"}

    with pytest.raises(ConfigError) as missing:
        load_settings({**env, "AUTH_JWT_PRIVATE_KEY_FILE": str(tmp_path / "none.pem")})
    with pytest.raises(ConfigError) as folder:
        load_settings({**env, "AUTH_JWT_PRIVATE_KEY_FILE": str(tmp_path)})

    assert str(missing.value) == (
        f"AUTH_JWT_PRIVATE_KEY_FILE: cannot read {tmp_path}/none.pem: No such file or directory"
    )
    assert str(folder.value) == f"AUTH_JWT_PRIVATE_KEY_FILE: cannot read {tmp_path}: Is a directory"
