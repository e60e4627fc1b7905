"""Applications that sign access tokens with ``AUTH_JWT_ALGORITHM``, and an independent verifier.

The verifier is ``joserfc`` (not PyJWT, which authgate signs with): what it accepts, a service
behind authgate accepts.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx2 as httpx
from joserfc import jwt as jose_jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

if TYPE_CHECKING:
    from joserfc.jwk import KeySetSerialization
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.config import Settings
from authgate.mail.outbox import MemoryOutbox
from tests.conftest import Harness, settings_for_tests
from tests.support.backends import postgres_database, redis_namespace, sqlite_database
from tests.support.clock import FrozenClock

ASYMMETRIC = ["EdDSA", "ES256", "RS256"]
JWKS_PATH = "/.well-known/jwks.json"


@contextmanager
def backend_env(backend: str, folder: Path) -> Iterator[dict[str, str]]:
    """The DB_* (and Redis) variables of a fresh database of ``backend``."""
    with ExitStack() as stack:
        if backend == "postgres":
            yield {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        else:
            yield stack.enter_context(sqlite_database(folder))


@contextmanager
def started(settings: Settings, clock: FrozenClock, backend: str) -> Iterator[Harness]:
    """One more instance (process) of authgate on ``settings``' database, on ``clock``."""
    outbox = MemoryOutbox()
    app = create_app(settings, clock=clock, outbox=outbox)
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        yield Harness(client, app, clock, outbox, settings, backend)


@contextmanager
def signing_harness(
    backend: str, folder: Path, env: Mapping[str, str], clock: FrozenClock | None = None
) -> Iterator[Harness]:
    """As the suite's ``harness`` fixture, with ``env`` (``AUTH_JWT_ALGORITHM`` ...)."""
    with backend_env(backend, folder) as database:
        settings = settings_for_tests(folder, {**database, **env})
        bootstrap(settings)
        with started(settings, clock or FrozenClock(), backend) as harness:
            yield harness


def published(client: TestClient) -> dict[str, Any]:
    """The JWK Set, fetched as a verifier does: no token, no cookie."""
    response = client.get(JWKS_PATH, headers={"Cookie": ""})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def published_kids(client: TestClient) -> list[str]:
    return [key["kid"] for key in published(client)["keys"]]


def verify_elsewhere(
    token: str, jwks: Mapping[str, Any], algorithm: str, clock: FrozenClock
) -> jose_jwt.Token:
    """What a service holding only the JWK Set makes of ``token`` at ``clock``'s time: the
    signature by ``kid``, then the issuer and the expiry (raises when it refuses)."""
    with warnings.catch_warnings():
        # RFC 9864 deprecates the name "EdDSA" for "Ed25519"; authgate writes the name that
        # verifiers understand today, and joserfc still verifies it.
        warnings.simplefilter("ignore", SecurityWarning)
        token_obj = jose_jwt.decode(
            token,
            KeySet.import_key_set(cast("KeySetSerialization", dict(jwks))),
            algorithms=[algorithm],
        )
    registry = jose_jwt.JWTClaimsRegistry(
        now=int(clock.now().timestamp()),
        iss={"essential": True, "value": "directus"},
        exp={"essential": True},
    )
    registry.validate(token_obj.claims)
    return token_obj


def segment(value: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(value), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def header_of(token: str) -> dict[str, Any]:
    first = token.split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    return header


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def me(client: TestClient, token: str) -> httpx.Response:
    client.cookies.clear()
    return client.get(
        "/users/me", params={"fields": "id"}, headers={"Authorization": f"Bearer {token}"}
    )
