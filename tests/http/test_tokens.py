"""Token extraction and validation on every request (Directus's order and errors)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2 as httpx
import jwt as pyjwt
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, Harness


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def _forge(harness: Harness, secret: str | None = None, **claims: object) -> str:
    now = int(harness.clock.now().timestamp())
    payload: dict[str, object] = {
        "id": "00000000-0000-4000-8000-000000000000",
        "role": None,
        "app_access": False,
        "admin_access": False,
        "iat": now,
        "exp": now + 600,
        "iss": "directus",
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not ...}
    return pyjwt.encode(payload, secret or harness.settings.secret.reveal(), algorithm="HS256")


def test_bearer_scheme_is_case_insensitive(harness: Harness) -> None:
    token = harness.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]

    for scheme in ("Bearer", "bearer", "BEARER"):
        response = harness.client.get(
            "/users/me", params={"fields": "email"}, headers={"Authorization": f"{scheme} {token}"}
        )
        assert response.status_code == 200


@pytest.mark.parametrize("header", ["Basic xyz", "Bearer", "Bearer ", "Bearer  two-spaces"])
def test_other_authorization_headers_are_ignored(harness: Harness, header: str) -> None:
    response = harness.client.get("/users/me", headers={"Authorization": header})

    # Anonymous: /users/me then answers 401 because there is no user.
    assert response.status_code == 401
    assert _code(response) == "INVALID_CREDENTIALS"


def test_query_token_works_alone(harness: Harness) -> None:
    response = harness.client.get(
        "/users/me", params={"access_token": ADMIN_TOKEN, "fields": "email"}
    )

    assert response.json() == {"data": {"email": ADMIN_EMAIL}}


def test_query_and_header_together_are_refused_even_on_ping(harness: Harness) -> None:
    for path in ("/users/me", "/server/ping"):
        response = harness.client.get(
            path, params={"access_token": "x"}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )

        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == (
            "Invalid payload. The request uses more than one method for including an access token."
        )


def test_header_wins_over_a_bad_session_cookie(harness: Harness) -> None:
    harness.client.cookies.set("directus_session_token", "garbage")

    response = harness.client.get("/users/me", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    assert response.status_code == 200


def test_a_bad_session_cookie_is_refused_and_cleared(harness: Harness) -> None:
    harness.client.cookies.set("directus_session_token", "garbage")

    response = harness.client.get("/users/me")

    assert response.status_code == 401
    assert response.headers["set-cookie"].startswith("directus_session_token=; Max-Age=0;")


def test_ping_ignores_a_bad_token(harness: Harness) -> None:
    response = harness.client.get("/server/ping", headers={"Authorization": "Bearer garbage"})

    assert response.status_code == 200
    assert response.text == "pong"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_a_stale_token_breaks_even_the_login_route(harness: Harness) -> None:
    expired = _forge(harness, exp=int(harness.clock.now().timestamp()) - 1)

    response = harness.client.post(
        "/auth/login",
        json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"Authorization": f"Bearer {expired}"},
    )

    assert response.status_code == 401
    assert _code(response) == "TOKEN_EXPIRED"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("expired", 401, "TOKEN_EXPIRED"),
        ("other secret", 403, "INVALID_TOKEN"),
        ("expired with other secret", 403, "INVALID_TOKEN"),
        ("no role claim", 403, "INVALID_TOKEN"),
        ("no app_access claim", 403, "INVALID_TOKEN"),
        ("no exp", 403, "INVALID_TOKEN"),
        ("other issuer", 401, "INVALID_CREDENTIALS"),
        ("unknown session", 401, "INVALID_CREDENTIALS"),
        ("reset token", 403, "INVALID_TOKEN"),
        ("garbage", 401, "INVALID_CREDENTIALS"),
    ],
)
def test_jwt_failures(harness: Harness, case: str, status: int, code: str) -> None:
    past = int(harness.clock.now().timestamp()) - 1
    forgers: dict[str, Callable[[], str]] = {
        "expired": lambda: _forge(harness, exp=past),
        "other secret": lambda: _forge(harness, secret="another-secret-another-secret-1234"),
        "expired with other secret": lambda: _forge(
            harness, secret="another-secret-another-secret-1234", exp=past
        ),
        "no role claim": lambda: _forge(harness, role=...),
        "no app_access claim": lambda: _forge(harness, app_access=...),
        "no exp": lambda: _forge(harness, exp=...),
        "other issuer": lambda: _forge(harness, iss="someone-else"),
        "unknown session": lambda: _forge(harness, session="no-such-session"),
        "reset token": lambda: _forge(
            harness,
            role=...,
            app_access=...,
            admin_access=...,
            scope="password-reset",
            email=ADMIN_EMAIL,
        ),
        "garbage": lambda: "garbage",
    }
    token = forgers[case]()

    response = harness.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == status
    assert _code(response) == code


def test_alg_none_is_refused(harness: Harness) -> None:
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
    unsigned = pyjwt.encode(
        {
            "iss": "directus",
            "role": None,
            "app_access": True,
            "admin_access": True,
            "exp": int(time.time()) + 600,
        },
        key="",
        algorithm="none",
    )
    assert unsigned.startswith(header)

    response = harness.client.get("/users/me", headers={"Authorization": f"Bearer {unsigned}"})

    assert response.status_code == 403
    assert _code(response) == "INVALID_TOKEN"


def test_the_role_claim_is_trusted_but_admin_is_recomputed(harness: Harness) -> None:
    user = harness.create_user()
    forged_admin_claims = _forge(harness, id=user["id"], admin_access=True, app_access=True)

    response = harness.client.get(
        "/users", headers={"Authorization": f"Bearer {forged_admin_claims}"}
    )

    assert response.status_code == 403


def test_a_jwt_for_a_deleted_user_no_longer_authenticates(harness: Harness) -> None:
    # Directus answers {"data": {"id": ...}}; decision 16: deleting a user ends its tokens.
    token = _forge(harness, id="11111111-1111-4111-8111-111111111111")

    response = harness.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert _code(response) == "INVALID_CREDENTIALS"


def test_static_tokens_of_inactive_users_do_not_authenticate(harness: Harness) -> None:
    user = harness.create_user(token="static-token-of-a-suspended-user", status="suspended")

    response = harness.client.get(
        "/users/me", headers={"Authorization": "Bearer static-token-of-a-suspended-user"}
    )

    assert user["token"] == "**********"
    assert response.status_code == 401
