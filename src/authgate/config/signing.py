"""Settings for signing access tokens: ``AUTH_JWT_ALGORITHM``, ``AUTH_JWT_PRIVATE_KEY(_FILE)``
and ``AUTH_JWT_KEY_PUBLISH_DELAY`` (authgate's own; Directus signs with ``SECRET`` only).

A private key given in the environment is read and checked here, at start: a key that cannot
be read, is not a PEM private key, or does not fit the algorithm stops the server with one
line naming the variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from authgate.config.env import ConfigError, Reader
from authgate.tokens.keyset import ALGORITHMS, HMAC, PrivateKey, describe_key, key_fits


@dataclass(frozen=True)
class SigningSettings:
    algorithm: str = HMAC
    # From AUTH_JWT_PRIVATE_KEY (or its _FILE); None: generated and kept in the database.
    private_key: PrivateKey | None = field(default=None, repr=False, compare=False)
    # How long a rotated-in key is published before it signs (verifiers that cache the JWKS
    # learn it first).
    publish_delay: timedelta = timedelta(minutes=5)


def signing_settings(env: Reader) -> SigningSettings:
    given = env.string("AUTH_JWT_ALGORITHM", HMAC).strip()
    algorithm = next((name for name in ALGORITHMS if name.lower() == given.lower()), None)
    if algorithm is None:
        raise ConfigError("AUTH_JWT_ALGORITHM", f'"{given}" is not one of {", ".join(ALGORITHMS)}')
    delay = env.duration("AUTH_JWT_KEY_PUBLISH_DELAY", "5m", bare_unit="s")
    if delay < timedelta(0):
        raise ConfigError("AUTH_JWT_KEY_PUBLISH_DELAY", "must not be negative")
    return SigningSettings(algorithm, _private_key(env, algorithm), delay)


def _private_key(env: Reader, algorithm: str) -> PrivateKey | None:
    # ``read_environment`` turns AUTH_JWT_PRIVATE_KEY_FILE into AUTH_JWT_PRIVATE_KEY; settings
    # built from a plain mapping (tests, embedding) still name the file.
    name, pem = "AUTH_JWT_PRIVATE_KEY", env.raw("AUTH_JWT_PRIVATE_KEY")
    if not pem and env.is_set("AUTH_JWT_PRIVATE_KEY_FILE"):
        name = "AUTH_JWT_PRIVATE_KEY_FILE"
        path = Path(env.string(name, ""))
        try:
            pem = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise ConfigError(name, f"cannot read {path}: {problem}") from None
    if not pem:
        return None
    if algorithm == HMAC:
        raise ConfigError(name, "is set, but AUTH_JWT_ALGORITHM is HS256 (signed with SECRET)")
    try:
        key = load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError(name, "is not an unencrypted PEM private key") from None
    if key_fits(key, algorithm):
        return key
    raise ConfigError(
        name, f"holds {describe_key(key)}, which AUTH_JWT_ALGORITHM={algorithm} cannot sign with"
    )
