"""POST /auth/login: modes, validation messages, failures that reveal nothing."""

from __future__ import annotations

import pytest

from authgate.tokens import jwt
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness, unique_email


def test_json_mode_returns_both_tokens_and_the_lifetime_in_ms(harness: Harness) -> None:
    response = harness.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    assert response.status_code == 200
    data = response.json()["data"]
    assert list(data) == ["expires", "refresh_token", "access_token"]
    assert data["expires"] == 900_000
    assert len(data["refresh_token"]) == 64
    claims = jwt.verify(
        data["access_token"], harness.settings.secret.reveal(), now=harness.clock.now()
    )
    assert claims["iss"] == "directus"
    assert claims["admin_access"] is True
    assert claims["app_access"] is True
    assert claims["exp"] - claims["iat"] == 900
    assert "session" not in claims


def test_cookie_mode_puts_the_refresh_token_in_an_httponly_cookie(harness: Harness) -> None:
    response = harness.login(ADMIN_EMAIL, ADMIN_PASSWORD, mode="cookie")

    assert response.status_code == 200
    assert list(response.json()["data"]) == ["expires", "access_token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("directus_refresh_token=")
    assert "; Max-Age=604800; Path=/; Expires=" in cookie
    assert cookie.endswith("; HttpOnly; SameSite=Lax")


def test_session_mode_returns_only_expires_and_a_session_cookie(harness: Harness) -> None:
    response = harness.login(ADMIN_EMAIL, ADMIN_PASSWORD, mode="session")

    assert response.status_code == 200
    assert response.json() == {"data": {"expires": 86_400_000}}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("directus_session_token=ey")
    assert "Max-Age=86400" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    claims = jwt.verify(token, harness.settings.secret.reveal(), now=harness.clock.now())
    assert isinstance(claims["session"], str)
    assert len(claims["session"]) == 64


def test_session_cookie_authenticates_the_next_request(harness: Harness) -> None:
    harness.login(ADMIN_EMAIL, ADMIN_PASSWORD, mode="session")

    me = harness.client.get("/users/me", params={"fields": "email"})

    assert me.status_code == 200
    assert me.json() == {"data": {"email": ADMIN_EMAIL}}


def test_email_matches_case_insensitively(harness: Harness) -> None:
    assert harness.login(ADMIN_EMAIL.upper(), ADMIN_PASSWORD).status_code == 200


# Joi checks valid() before the type: every other mode, even null or "", is "one of".
MODE_REASON = '"mode" must be one of [cookie, json, session]'


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"password": "x"}, '"email" is required'),
        ({"email": "a@b.local", "password": "x"}, '"email" must be a valid email'),
        ({"email": " admin@example.com ", "password": "x"}, '"email" must be a valid email'),
        ({"email": ADMIN_EMAIL}, '"password" is required'),
        ({"email": ADMIN_EMAIL, "password": ""}, '"password" is not allowed to be empty'),
        ({"email": ADMIN_EMAIL, "password": 123}, '"password" must be a string'),
        (
            {"email": ADMIN_EMAIL, "password": "x", "mode": "x"},
            '"mode" must be one of [cookie, json, session]',
        ),
        *(
            ({"email": ADMIN_EMAIL, "password": "x", "mode": mode}, MODE_REASON)
            for mode in (None, "", 1, True, ["json"], {"a": "json"})
        ),
        ({"email": ADMIN_EMAIL, "password": "x", "otp": 123456}, '"otp" must be a string'),
        ([], '"value" must be of type object'),
    ],
)
def test_invalid_bodies_get_joi_messages(harness: Harness, body: object, reason: str) -> None:
    response = harness.client.post("/auth/login", json=body)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": f"Invalid payload. {reason}.",
                "extensions": {"reason": reason, "code": "INVALID_PAYLOAD"},
            }
        ]
    }


def test_unknown_body_keys_are_accepted(harness: Harness) -> None:
    response = harness.client.post(
        "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "extra": 1}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "case", ["wrong password", "unknown email", "suspended", "invited", "other provider"]
)
def test_every_credential_failure_looks_the_same(harness: Harness, case: str) -> None:
    email = unique_email()
    if case != "unknown email":
        status = {"suspended": "suspended", "invited": "invited"}.get(case, "active")
        provider = "github" if case == "other provider" else "default"
        harness.create_user(email, status=status, provider=provider)
    password = "Wrong-Passw0rd!" if case == "wrong password" else PASSWORD

    response = harness.login(email, password)

    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {"message": "Invalid user credentials.", "extensions": {"code": "INVALID_CREDENTIALS"}}
        ]
    }


def test_login_writes_a_login_activity_and_last_access(harness: Harness) -> None:
    user = harness.create_user()

    harness.tokens(user["email"])

    rows = harness.sql(
        "SELECT action, collection, item, ip FROM directus_activity WHERE item = :id AND action = 'login'",
        id=user["id"],
    )
    assert rows == [("login", "directus_users", user["id"], "127.0.0.1")]
    me = harness.client.get(
        f"/users/{user['id']}", params={"fields": "last_access"}, headers=harness.admin
    )
    assert me.json()["data"]["last_access"].endswith("Z")
