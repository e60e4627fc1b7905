"""Per-IP and registration rate limits: 429, Retry-After, Directus's message."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, Harness, unique_email

ENV = {
    "RATE_LIMITER_ENABLED": "true",
    "RATE_LIMITER_POINTS": "30",
    "RATE_LIMITER_DURATION": "60",
    "RATE_LIMITER_REGISTRATION_ENABLED": "true",
    "RATE_LIMITER_REGISTRATION_POINTS": "2",
    "RATE_LIMITER_REGISTRATION_DURATION": "60",
    # Each test comes from an address of its own: Redis keeps real time, not the test clock.
    "IP_TRUST_PROXY": "true",
}


def test_requests_past_the_limit_get_429_until_the_window_ends(harness: Harness) -> None:
    address = {"X-Forwarded-For": "198.51.100.7"}
    statuses = [harness.client.get("/server/ping", headers=address).status_code for _ in range(31)]
    limited = harness.client.get("/server/info", headers=address)

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert limited.status_code == 429
    assert limited.headers["retry-after"] in ("59", "60")
    error = limited.json()["errors"][0]
    assert re.fullmatch(r"Too many requests, retry after (1m|60s|59s)\.", error["message"])
    assert error["extensions"]["limit"] == 30
    assert error["extensions"]["code"] == "REQUESTS_EXCEEDED"
    assert error["extensions"]["reset"].endswith("Z")
    other = harness.client.get("/server/ping", headers={"X-Forwarded-For": "198.51.100.8"})
    assert other.status_code == 200


def test_registration_has_its_own_limit(harness: Harness) -> None:
    address = {"X-Forwarded-For": "198.51.100.9"}
    harness.client.patch("/settings", json={"public_registration": True}, headers=harness.admin)
    try:
        codes = [
            harness.client.post(
                "/users/register",
                json={"email": unique_email(), "password": PASSWORD},
                headers=address,
            ).status_code
            for _ in range(3)
        ]
    finally:
        harness.client.patch(
            "/settings", json={"public_registration": False}, headers=harness.admin
        )

    assert codes == [204, 204, 429]
