"""Extra ``local`` providers, the provider list, and AUTH_DISABLE_DEFAULT."""

from __future__ import annotations

from tests.conftest import PASSWORD, Harness, unique_email

ENV = {
    "AUTH_PROVIDERS": "staff,github",
    "AUTH_STAFF_DRIVER": "local",
    "AUTH_STAFF_LABEL": "Staff",
    "AUTH_GITHUB_DRIVER": "oauth2",
    "AUTH_GITHUB_ICON": "github",
    "AUTH_GITHUB_MODE": "cookie",
    # A complete oauth2 configuration (a missing key stops the start); never contacted here.
    "AUTH_GITHUB_CLIENT_ID": "client",
    "AUTH_GITHUB_CLIENT_SECRET": "secret",
    "AUTH_GITHUB_AUTHORIZE_URL": "https://github.example/login/oauth/authorize",
    "AUTH_GITHUB_ACCESS_URL": "https://github.example/login/oauth/access_token",
    "AUTH_GITHUB_PROFILE_URL": "https://github.example/user",
    "AUTH_DISABLE_DEFAULT": "true",
}


def test_the_list_names_each_provider(harness: Harness) -> None:
    everything = harness.client.get("/auth")
    session_only = harness.client.get("/auth?sessionOnly")

    assert everything.json() == {
        "data": [
            {"name": "staff", "label": "Staff", "driver": "local"},
            {"name": "github", "driver": "oauth2", "icon": "github"},
        ],
        "disableDefault": True,
    }
    assert [p["name"] for p in session_only.json()["data"]] == ["staff"]


def test_the_default_login_is_off(harness: Harness) -> None:
    user = harness.create_user()

    response = harness.client.post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}
    )

    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"


def test_a_local_provider_signs_in_its_own_users_only(harness: Harness) -> None:
    staff = harness.create_user(unique_email(), provider="staff")
    default = harness.create_user()

    own = harness.client.post(
        "/auth/login/staff", json={"email": staff["email"], "password": PASSWORD}
    )
    other = harness.client.post(
        "/auth/login/staff", json={"email": default["email"], "password": PASSWORD}
    )
    unknown = harness.client.post(
        "/auth/login/nope", json={"email": staff["email"], "password": PASSWORD}
    )

    assert own.status_code == 200
    assert "access_token" in own.json()["data"]
    assert other.status_code == 401
    assert unknown.status_code == 404
