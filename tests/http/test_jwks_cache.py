"""How long a verifier may cache ``/.well-known/jwks.json`` (README "Tokens other services can
verify"): 60 s, less when ``AUTH_JWT_KEY_PUBLISH_DELAY`` is under 90 s, ``no-cache`` at 30 s
or less, so that a cached set always learns a new key before it signs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.backends import BACKENDS
from tests.support.signing import signing_harness


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("delay", "cache_control"),
    [("90s", "public, max-age=60"), ("50s", "public, max-age=20"), ("30s", "no-cache")],
)
def test_the_key_set_is_cached_no_longer_than_the_publish_delay_allows(
    tmp_path: Path, backend: str, delay: str, cache_control: str
) -> None:
    env = {"AUTH_JWT_ALGORITHM": "EdDSA", "AUTH_JWT_KEY_PUBLISH_DELAY": delay}
    with signing_harness(backend, tmp_path, env) as harness:
        response = harness.client.get("/.well-known/jwks.json")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == cache_control
    assert len(response.json()["keys"]) == 1
