"""``GET /auth?sessionOnly``: Directus tests ``value === "" || Boolean(value)``, so any value
given (``false``, ``0``, repeated) lists only the providers that can sign in by session."""

from __future__ import annotations

import pytest

from tests.conftest import Harness

ENV = {
    "AUTH_PROVIDERS": "staff,github",
    "AUTH_STAFF_DRIVER": "local",
    "AUTH_GITHUB_DRIVER": "oauth2",
    "AUTH_GITHUB_MODE": "cookie",
    "AUTH_GITHUB_CLIENT_ID": "client",
    "AUTH_GITHUB_CLIENT_SECRET": "secret",
    "AUTH_GITHUB_AUTHORIZE_URL": "https://github.example/login/oauth/authorize",
    "AUTH_GITHUB_ACCESS_URL": "https://github.example/login/oauth/access_token",
    "AUTH_GITHUB_PROFILE_URL": "https://github.example/user",
}


@pytest.mark.parametrize(
    "query",
    [
        "sessionOnly",
        "sessionOnly=",
        "sessionOnly=false",
        "sessionOnly=0",
        "sessionOnly=1&sessionOnly=false",
    ],
)
def test_any_session_only_value_is_on(harness: Harness, query: str) -> None:
    response = harness.client.get(f"/auth?{query}")

    assert [p["name"] for p in response.json()["data"]] == ["staff"]


def test_without_session_only_every_provider_is_listed(harness: Harness) -> None:
    response = harness.client.get("/auth")

    assert [p["name"] for p in response.json()["data"]] == ["staff", "github"]
