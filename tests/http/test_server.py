"""/server/ping, /server/info, /server/health, /settings, /auth and response headers."""

from __future__ import annotations

from tests.conftest import Harness
from tests.support.directus import APP_SETTINGS_FIELDS

PUBLIC_PROJECT = {
    "project_name": "Directus",
    "project_descriptor": None,
    "project_logo": None,
    "project_color": "#6644FF",
    "default_appearance": "auto",
    "default_theme_light": None,
    "default_theme_dark": None,
    "theme_light_overrides": None,
    "theme_dark_overrides": None,
    "default_language": "en-US",
    "public_foreground": None,
    "public_background": None,
    "public_favicon": None,
    "public_note": None,
    "custom_css": None,
    "public_registration": False,
    "public_registration_verify_email": True,
}


def test_ping(harness: Harness) -> None:
    response = harness.client.get("/server/ping")

    assert (response.status_code, response.text) == (200, "pong")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-powered-by"] == "Directus"


def test_info_for_anonymous_callers_shows_only_the_public_project(harness: Harness) -> None:
    response = harness.client.get("/server/info")

    assert response.json() == {
        "data": {
            "project": PUBLIC_PROJECT,
            "license": {
                "source": None,
                "entitlements": {
                    "production_enabled": True,
                    "ai_translations_enabled": False,
                    "display_powered_by": "DIRECTUS",
                },
            },
        }
    }
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_info_for_users_adds_limits(harness: Harness) -> None:
    data = harness.client.get("/server/info", headers=harness.admin).json()["data"]

    assert data["queryLimit"] == {"default": 100, "max": -1}
    assert data["rateLimit"] is False


def test_health(harness: Harness) -> None:
    anonymous = harness.client.get("/server/health")
    user = harness.create_user()
    plain = harness.client.get("/server/health", headers=harness.bearer(user["email"]))
    admin = harness.client.get("/server/health", headers=harness.admin)

    assert anonymous.status_code == 403
    assert plain.json() == {"status": "ok"}
    assert plain.headers["content-type"] == "application/health+json; charset=utf-8"
    body = admin.json()
    assert body["status"] in ("ok", "warn")
    assert any(key.endswith(":responseTime") for key in body["checks"])


def test_settings_read_and_write(harness: Harness) -> None:
    before = harness.client.get("/settings", headers=harness.admin).json()["data"]

    changed = harness.client.patch(
        "/settings", json={"project_name": "Acme", "nope": 1}, headers=harness.admin
    )
    harness.client.patch(
        "/settings", json={"project_name": before["project_name"]}, headers=harness.admin
    )

    assert before["id"] == 1
    assert before["auth_login_attempts"] == 25
    assert before["public_registration"] is False
    assert before["public_registration_verify_email"] is True
    assert changed.status_code == 200
    assert changed.json()["data"]["project_name"] == "Acme"
    assert "nope" not in changed.json()["data"]


def test_settings_are_forbidden_to_anonymous_callers(harness: Harness) -> None:
    response = harness.client.get("/settings")

    message = 'You don\'t have permission to access collection "directus_settings" or it does not exist. Queried in root.'
    assert response.status_code == 403
    assert response.json()["errors"][0] == {
        "message": message,
        "extensions": {"reason": message, "code": "FORBIDDEN"},
    }


def test_app_users_read_a_safe_subset_of_settings(harness: Harness) -> None:
    role = harness.create_role("Settings readers", app=True)
    user = harness.create_user(role=role)

    data = harness.client.get("/settings", headers=harness.bearer(user["email"])).json()["data"]

    # Directus 12.4's app rows: the settings the app needs (project_name and the public_*
    # settings are public through /server/info instead)
    directus_app_fields = set(APP_SETTINGS_FIELDS)
    assert {"id", "project_url", "module_bar", "default_save_action"} <= set(data)
    assert set(data) <= directus_app_fields
    assert "project_name" not in data
    assert "public_registration" not in data


def test_provider_list_without_providers(harness: Harness) -> None:
    response = harness.client.get("/auth")

    assert response.json() == {"data": [], "disableDefault": False}


def test_root_redirects_to_the_admin_pages(harness: Harness) -> None:
    response = harness.client.get("/", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (302, "./admin")
