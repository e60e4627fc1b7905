"""POST /auth/logout: ends the session chain, clears only the cookies that were sent."""

from __future__ import annotations

from tests.conftest import Harness


def test_json_logout_ends_the_session(harness: Harness) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]

    response = harness.client.post("/auth/logout", json={"refresh_token": token})

    assert response.status_code == 204
    assert response.content == b""
    assert harness.client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401
    rows = harness.sql(
        "SELECT action FROM directus_activity WHERE item = :id ORDER BY id", id=user["id"]
    )
    assert rows[-1] == ("logout",)


def test_logout_ends_every_link_of_the_chain(harness: Harness) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])["refresh_token"]
    second = harness.client.post("/auth/refresh", json={"refresh_token": first}).json()["data"][
        "refresh_token"
    ]

    harness.client.post("/auth/logout", json={"refresh_token": second})

    assert harness.client.post("/auth/refresh", json={"refresh_token": first}).status_code == 401
    count = harness.sql('SELECT count(*) FROM directus_sessions WHERE "user" = :id', id=user["id"])
    assert count == [(0,)]


def test_cookie_logout_clears_the_refresh_cookie(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="cookie")

    response = harness.client.post("/auth/logout")

    assert response.status_code == 204
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1
    assert cookies[0].startswith("directus_refresh_token=; Max-Age=0;")
    assert "directus_refresh_token" not in harness.client.cookies


def test_session_logout_kills_the_session_jwt(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="session")
    jwt_value = harness.client.cookies["directus_session_token"]

    response = harness.client.post("/auth/logout", json={"mode": "session"})

    assert response.status_code == 204
    harness.client.cookies.clear()
    me = harness.client.get("/users/me", headers={"Authorization": f"Bearer {jwt_value}"})
    assert me.status_code == 401


def test_unknown_tokens_log_out_silently(harness: Harness) -> None:
    response = harness.client.post("/auth/logout", json={"refresh_token": "unknown-token"})

    assert response.status_code == 204


def test_logout_without_any_token_is_a_payload_error(harness: Harness) -> None:
    response = harness.client.post("/auth/logout")

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


def test_both_cookies_present_are_both_cleared(harness: Harness) -> None:
    user = harness.create_user()
    bearer = harness.bearer(user["email"])
    token = harness.tokens(user["email"])["refresh_token"]
    harness.client.cookies.set("directus_refresh_token", token)
    harness.client.cookies.set("directus_session_token", "x")

    response = harness.client.post("/auth/logout", headers=bearer)

    names = sorted(c.split("=", 1)[0] for c in response.headers.get_list("set-cookie"))
    assert response.status_code == 204
    assert names == ["directus_refresh_token", "directus_session_token"]
