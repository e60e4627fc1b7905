"""``directus_settings`` has Directus 12.4's keys (the AI assistant and MCP ones included, with
Directus's defaults), the AI providers' keys are concealed and kept only as digests, app users
read Directus 12.4's field list, and GraphQL offers what those permissions allow."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import Harness, unique_email
from tests.support.directus import APP_SETTINGS_FIELDS

DIRECTUS_DEFAULTS: dict[str, Any] = {
    "mcp_enabled": False,
    "mcp_allow_deletes": False,
    "mcp_prompts_collection": None,
    "mcp_system_prompt_enabled": True,
    "mcp_system_prompt": None,
    "ai_openai_api_key": None,
    "ai_anthropic_api_key": None,
    "ai_system_prompt": None,
    "ai_google_api_key": None,
    "ai_openai_compatible_api_key": None,
    "ai_openai_compatible_base_url": None,
    "ai_openai_compatible_name": None,
    "ai_openai_compatible_models": None,
    "ai_openai_compatible_headers": None,
    "ai_openai_allowed_models": ["gpt-5.4-nano", "gpt-5.4-mini", "gpt-5.4"],
    "ai_anthropic_allowed_models": ["claude-haiku-4-5", "claude-sonnet-4-6"],
    "ai_google_allowed_models": [
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
    ],
    "ai_translation_default_model": None,
    "ai_translation_glossary": None,
    "ai_translation_style_guide": None,
    "mcp_oauth_enabled": False,
    "mcp_oauth_dcr_enabled": False,
    "mcp_oauth_cimd_enabled": False,
}

# What Directus 12.4 lets an app-access user read of the settings (its "app minimal" row).
APP_FIELDS = set(APP_SETTINGS_FIELDS)


def _app_user(harness: Harness) -> str:
    role = harness.create_role(f"Settings app {unique_email()}", app=True)
    return str(harness.create_user(unique_email("settings-app"), role=role)["email"])


def _get(harness: Harness, path: str, email: str | None, transport: str) -> httpx.Response:
    """GET ``path`` as the admin (static token) or as ``email`` through ``transport``."""
    if email is None:
        return harness.client.get(path, headers=harness.admin)
    mode = "session" if transport == "cookie" else "json"
    token = harness.login(email, mode=mode).json()["data"].get("access_token")
    if transport == "header":
        return harness.client.get(path, headers={"Authorization": f"Bearer {token}"})
    if transport == "query":
        sep = "&" if "?" in path else "?"
        return harness.client.get(f"{path}{sep}access_token={token}")
    return harness.client.get(path)  # the session cookie of the login


def test_admins_read_the_ai_and_mcp_settings_with_directus_defaults(harness: Harness) -> None:
    data = harness.client.get("/settings", headers=harness.admin).json()["data"]

    assert {key: data.get(key, "<absent>") for key in DIRECTUS_DEFAULTS} == DIRECTUS_DEFAULTS
    assert "license_key" not in data
    assert "license_token" not in data


@pytest.mark.parametrize("transport", ["header", "cookie", "query"])
def test_app_users_read_directus_fields_of_the_settings(harness: Harness, transport: str) -> None:
    email = _app_user(harness)

    data = _get(harness, "/settings", email, transport).json()["data"]
    public_name = _get(harness, "/settings?fields=project_name", email, transport)

    assert set(data) == APP_FIELDS
    assert data["ai_anthropic_allowed_models"] == DIRECTUS_DEFAULTS["ai_anthropic_allowed_models"]
    assert public_name.status_code == 403
    assert public_name.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_users_without_app_access_and_anonymous_callers_read_no_settings(
    harness: Harness,
) -> None:
    role = harness.create_role(f"Settings api {unique_email()}")
    harness.grant(role, "directus_users", "read")
    custom = harness.create_user(unique_email("settings-api"), role=role)["email"]
    roleless = harness.create_user(unique_email("settings-none"))["email"]

    answers = [
        _get(harness, "/settings", custom, "header").status_code,
        _get(harness, "/settings", roleless, "header").status_code,
        harness.client.get("/settings").status_code,
    ]

    assert answers == [403, 403, 403]


def test_ai_provider_keys_are_concealed_and_stored_as_digests(harness: Harness) -> None:
    secret = "sk-settings-test-0123456789"
    fields = "?fields=ai_openai_api_key,ai_google_api_key"

    written = harness.client.patch(
        f"/settings{fields}", json={"ai_openai_api_key": secret}, headers=harness.admin
    )
    stored = harness.sql("SELECT ai_openai_api_key FROM directus_settings")[0][0]
    resent = harness.client.patch(
        f"/settings{fields}", json={"ai_openai_api_key": "**********"}, headers=harness.admin
    )
    kept = harness.sql("SELECT ai_openai_api_key FROM directus_settings")[0][0]
    wrong_type = harness.client.patch(
        "/settings", json={"ai_google_api_key": 123}, headers=harness.admin
    )
    cleared = harness.client.patch(
        f"/settings{fields}", json={"ai_openai_api_key": None}, headers=harness.admin
    )
    filtered = harness.client.get(
        "/settings?filter[ai_openai_api_key][_eq]=x", headers=harness.admin
    )

    assert written.json() == {
        "data": {"ai_openai_api_key": "**********", "ai_google_api_key": None}
    }
    assert secret not in str(stored)
    assert str(stored).startswith("sha256:")
    assert resent.json()["data"]["ai_openai_api_key"] == "**********"
    assert kept == stored
    assert wrong_type.status_code == 400
    assert wrong_type.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"
    assert cleared.json() == {"data": {"ai_openai_api_key": None, "ai_google_api_key": None}}
    assert filtered.status_code in (200, 400)
    assert secret not in filtered.text


def test_the_mcp_and_ai_settings_keep_what_is_written(harness: Harness) -> None:
    change = {
        "mcp_system_prompt_enabled": False,
        "ai_openai_allowed_models": ["gpt-5.4"],
        "ai_translation_glossary": [{"term": "gate", "translation": "Tor"}],
    }
    fields = "?fields=" + ",".join(change)

    written = harness.client.patch(f"/settings{fields}", json=change, headers=harness.admin)
    refused = harness.client.patch("/settings", json={"mcp_enabled": "yes"}, headers=harness.admin)
    restored = harness.client.patch(
        f"/settings{fields}",
        json={key: DIRECTUS_DEFAULTS[key] for key in change},
        headers=harness.admin,
    )

    assert written.json() == {"data": change}
    assert refused.status_code == 400
    assert restored.json()["data"]["mcp_system_prompt_enabled"] is True


def _gql(harness: Harness, query: str, headers: dict[str, str]) -> httpx.Response:
    return harness.client.post("/graphql/system", json={"query": query}, headers=headers)


def test_graphql_settings_and_policy_globals_follow_the_callers_permissions(
    harness: Harness,
) -> None:
    app = {"Authorization": f"Bearer {harness.tokens(_app_user(harness))['access_token']}"}
    roleless_email = harness.create_user(unique_email("settings-gql"))["email"]
    roleless = {"Authorization": f"Bearer {harness.tokens(roleless_email)['access_token']}"}
    globals_query = "{ policies_me_globals { admin_access app_access enforce_tfa } }"

    app_name = _gql(harness, "{ settings { project_name } }", app)
    app_models = _gql(harness, "{ settings { ai_anthropic_allowed_models } }", app)
    app_globals = _gql(harness, globals_query, app)
    roleless_globals = _gql(harness, globals_query, roleless)
    anonymous_globals = _gql(harness, globals_query, {})
    admin_globals = _gql(harness, globals_query, harness.admin)

    assert app_name.status_code == 400
    assert app_name.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
    assert app_models.json() == {
        "data": {
            "settings": {
                "ai_anthropic_allowed_models": DIRECTUS_DEFAULTS["ai_anthropic_allowed_models"]
            }
        }
    }
    for refused in (app_globals, roleless_globals, anonymous_globals):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
    assert admin_globals.json() == {
        "data": {
            "policies_me_globals": {"admin_access": True, "app_access": True, "enforce_tfa": False}
        }
    }
