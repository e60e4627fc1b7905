"""``/auth/refresh`` and ``/auth/logout`` read ``mode`` and ``refresh_token`` with JavaScript's
truthiness, as Directus does: a falsy mode (``""``, ``0``, ``false``) is no mode, and a truthy
token of another type (``[]``, ``{}``) is a token, which refreshes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness, unique_email

MISSING = "Invalid payload. The refresh token is required in either the payload or cookie."


@pytest.fixture(scope="module")
def member(harness: Harness) -> str:
    role = harness.create_role("Refresh payload readers")
    harness.grant(role, "directus_users", "read")
    email: str = harness.create_user(unique_email("refresh"), role=role)["email"]
    return email


def _refresh_token(harness: Harness, email: str) -> str:
    token: str = harness.tokens(email)["refresh_token"]
    harness.client.cookies.clear()
    return token


def _refresh_cookie(harness: Harness, email: str) -> str:
    response = harness.login(email, mode="cookie")
    token: str = response.cookies["directus_refresh_token"]
    harness.client.cookies.clear()
    return token


@pytest.mark.parametrize("mode", ["", 0, False, None])
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout"])
def test_a_falsy_mode_is_no_mode(harness: Harness, member: str, path: str, mode: Any) -> None:
    token = _refresh_token(harness, member)

    response = harness.client.post(path, json={"refresh_token": token, "mode": mode})

    assert response.status_code == (200 if path == "/auth/refresh" else 204), response.text
    if path == "/auth/refresh":
        assert set(response.json()["data"]) == {"expires", "refresh_token", "access_token"}
    again = harness.client.post("/auth/refresh", json={"refresh_token": token})
    assert again.status_code == (200 if path == "/auth/refresh" else 401)  # grace period


@pytest.mark.parametrize("mode", ["", 0, False])
def test_a_falsy_mode_with_the_refresh_cookie_is_cookie_mode(
    harness: Harness, member: str, mode: Any
) -> None:
    cookie = _refresh_cookie(harness, member)

    response = harness.client.post(
        "/auth/refresh",
        json={"mode": mode},
        headers={"Cookie": f"directus_refresh_token={cookie}"},
    )

    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"expires", "access_token"}
    assert response.cookies["directus_refresh_token"]


@pytest.mark.parametrize("given", [[], {}, ["x"], {"a": 1}])
@pytest.mark.parametrize("with_cookie", [False, True])
def test_a_token_of_another_type_is_a_token_that_refreshes_nothing(
    harness: Harness, member: str, given: Any, with_cookie: bool
) -> None:
    headers = {}
    if with_cookie:  # json mode is chosen, so the valid cookie is not read
        headers["Cookie"] = f"directus_refresh_token={_refresh_cookie(harness, member)}"

    refreshed = harness.client.post("/auth/refresh", json={"refresh_token": given}, headers=headers)
    logged_out = harness.client.post("/auth/logout", json={"refresh_token": given})

    assert refreshed.status_code == 401
    assert refreshed.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert logged_out.status_code == 204


@pytest.mark.parametrize("given", ["", 0, False, None])
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout"])
def test_a_falsy_token_is_missing(harness: Harness, path: str, given: Any) -> None:
    response = harness.client.post(path, json={"refresh_token": given})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == MISSING
