"""``/server/info`` has Directus 12.4's keys, in its order, for every kind of caller; features
authgate lacks (project owner onboarding, MCP, AI) are reported off, and ``version`` is the
Directus release whose API is spoken."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, unique_email

SIGNED_IN_KEYS = [
    "project",
    "project_owner_enabled",
    "mcp_enabled",
    "ai_enabled",
    "mcp_oauth_enabled",
    "mcp_oauth_dcr_enabled",
    "mcp_oauth_cimd_enabled",
    "autoSave",
    "files",
    "rateLimit",
    "rateLimitGlobal",
    "extensions",
    "queryLimit",
    "websocket",
    "version",
    "license",
]


def _headers(harness: Harness, caller: str) -> dict[str, str]:
    if caller == "admin":
        return harness.admin
    if caller == "anonymous":
        return {}
    role = harness.create_role(f"Info {caller} {unique_email()}", app=caller == "app")
    harness.grant(role, "directus_users", "read")
    email = harness.create_user(unique_email(caller), role=None if caller == "role-less" else role)
    return harness.bearer(email["email"])


@pytest.mark.parametrize("caller", ["custom", "app", "role-less", "admin"])
def test_signed_in_callers_get_directus_keys_in_order(harness: Harness, caller: str) -> None:
    data = harness.client.get("/server/info", headers=_headers(harness, caller)).json()["data"]

    assert list(data) == SIGNED_IN_KEYS
    assert data["version"] == "12.4.0"
    assert data["autoSave"] == {"revisionInterval": 300}
    assert data["files"] == {"mimeTypeAllowList": ["*/*"]}
    assert [data[k] for k in SIGNED_IN_KEYS[1:7]] == [False] * 6
    assert data["license"]["source"] is None


@pytest.mark.parametrize("transport", ["header", "query", "cookie"])
def test_every_transport_is_a_signed_in_caller(harness: Harness, transport: str) -> None:
    role = harness.create_role(f"Info transport {unique_email()}")
    harness.grant(role, "directus_users", "read")
    email = harness.create_user(unique_email("info"), role=role)["email"]
    response = harness.login(email, mode="session" if transport == "cookie" else "json")
    token = response.json()["data"].get("access_token")
    if transport == "header":
        result = harness.client.get("/server/info", headers={"Authorization": f"Bearer {token}"})
    elif transport == "query":
        result = harness.client.get("/server/info", params={"access_token": token})
    else:
        result = harness.client.get("/server/info")  # the session cookie from the login

    assert list(result.json()["data"]) == SIGNED_IN_KEYS


def test_anonymous_callers_get_the_project_and_license_only(harness: Harness) -> None:
    data = harness.client.get("/server/info").json()["data"]

    assert list(data) == ["project", "license"]
    assert "version" not in data
