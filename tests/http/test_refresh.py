"""POST /auth/refresh: modes, rotation, idempotent repeats, reuse detection, inactive users."""

from __future__ import annotations

import httpx2 as httpx

from authgate.tokens import jwt
from tests.conftest import Harness


def _refresh(harness: Harness, **body: object) -> httpx.Response:
    harness.client.cookies.clear()
    return harness.client.post("/auth/refresh", json=body)


def test_json_refresh_rotates_the_token(harness: Harness) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])["refresh_token"]

    response = _refresh(harness, refresh_token=first)

    assert response.status_code == 200
    data = response.json()["data"]
    assert list(data) == ["expires", "refresh_token", "access_token"]
    assert data["refresh_token"] != first
    assert len(data["refresh_token"]) == 64


def test_mode_defaults_to_json_when_the_body_has_a_token(harness: Harness) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]

    response = harness.client.post("/auth/refresh", json={"refresh_token": token})

    assert "refresh_token" in response.json()["data"]


def test_a_repeat_within_the_grace_period_gets_the_same_successor(harness: Harness) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])["refresh_token"]

    one = _refresh(harness, refresh_token=first).json()["data"]["refresh_token"]
    harness.clock.advance(5)
    two = _refresh(harness, refresh_token=first).json()["data"]["refresh_token"]

    assert one == two


def test_reuse_after_the_grace_period_revokes_the_whole_chain(harness: Harness) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])["refresh_token"]
    second = _refresh(harness, refresh_token=first).json()["data"]["refresh_token"]
    harness.clock.advance(11)

    reused = _refresh(harness, refresh_token=first)
    after = _refresh(harness, refresh_token=second)

    assert reused.status_code == 401
    assert reused.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert after.status_code == 401


def test_the_successor_keeps_working_after_the_grace_period(harness: Harness) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])["refresh_token"]
    second = _refresh(harness, refresh_token=first).json()["data"]["refresh_token"]
    harness.clock.advance(60)

    assert _refresh(harness, refresh_token=second).status_code == 200


def test_cookie_mode_reads_and_rotates_the_refresh_cookie(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="cookie")
    old = harness.client.cookies["directus_refresh_token"]

    response = harness.client.post("/auth/refresh")

    assert response.status_code == 200
    assert list(response.json()["data"]) == ["expires", "access_token"]
    assert harness.client.cookies["directus_refresh_token"] not in ("", old)


def test_session_mode_rotates_the_session_inside_the_cookie(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="session")
    old = harness.client.cookies["directus_session_token"]

    response = harness.client.post("/auth/refresh", json={"mode": "session"})

    assert response.status_code == 200
    assert response.json() == {"data": {"expires": 86_400_000}}
    new = harness.client.cookies["directus_session_token"]
    secret = harness.settings.secret.reveal()
    old_claims = jwt.verify(old, secret, now=harness.clock.now())
    new_claims = jwt.verify(new, secret, now=harness.clock.now())
    assert new_claims["session"] != old_claims["session"]


def test_an_old_session_jwt_works_during_the_grace_period_only(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="session")
    old = harness.client.cookies["directus_session_token"]
    harness.client.post("/auth/refresh", json={"mode": "session"})
    harness.client.cookies.clear()

    during = harness.client.get("/users/me", headers={"Authorization": f"Bearer {old}"})
    harness.clock.advance(11)
    after = harness.client.get("/users/me", headers={"Authorization": f"Bearer {old}"})

    assert during.status_code == 200
    assert after.status_code == 401


def test_missing_token_is_a_payload_error(harness: Harness) -> None:
    for body in (None, {}, {"mode": "json"}, {"mode": "session"}, {"mode": "x"}):
        harness.client.cookies.clear()
        response = (
            harness.client.post("/auth/refresh", json=body)
            if body is not None
            else harness.client.post("/auth/refresh")
        )

        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == (
            "Invalid payload. The refresh token is required in either the payload or cookie."
        )


def test_unknown_tokens_are_invalid_credentials(harness: Harness) -> None:
    for token in ("unknown-token", 12345):
        response = _refresh(harness, refresh_token=token)

        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"


def test_a_suspended_user_cannot_refresh(harness: Harness) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]
    harness.client.patch(
        f"/users/{user['id']}", json={"status": "suspended"}, headers=harness.admin
    )

    response = _refresh(harness, refresh_token=token)

    # Suspension ended the user's sessions, so the token is simply unknown now.
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"


def test_refresh_reports_user_suspended_when_the_session_outlived_the_status_change(
    harness: Harness,
) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]
    harness.db.write_sync(
        lambda conn: conn.exec_driver_sql(
            "UPDATE directus_users SET status = 'suspended' WHERE id = ?"
            if harness.backend == "sqlite"
            else "UPDATE directus_users SET status = 'suspended' WHERE id = %s",
            (user["id"],),
        )
    )

    response = _refresh(harness, refresh_token=token)

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "USER_SUSPENDED"


def test_refresh_updates_last_access_and_writes_no_activity(harness: Harness) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]
    before = harness.sql("SELECT count(*) FROM directus_activity WHERE item = :id", id=user["id"])
    harness.clock.advance(30)

    _refresh(harness, refresh_token=token)

    after = harness.sql("SELECT count(*) FROM directus_activity WHERE item = :id", id=user["id"])
    assert before == after
    read = harness.client.get(
        f"/users/{user['id']}", params={"fields": "last_access"}, headers=harness.admin
    )
    assert (
        read.json()["data"]["last_access"] == "2026-11-28T12:00:30.000Z"
        or harness.clock.now().second != 0
    )
