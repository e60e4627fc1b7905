"""How a token is read and checked, as Directus 12.4 does it, for a user with a custom policy
(read on ``directus_users``, no app access) in every transport: the ``nbf`` claim, duplicate
session cookies, an empty ``Bearer``, and repeated or bracketed ``access_token`` parameters."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import jwt as pyjwt
import pytest

from tests.conftest import PASSWORD, Harness, unique_email

TRANSPORTS = ["header", "query", "cookie"]
COOKIE = "directus_session_token"


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture(scope="module")
def member(harness: Harness) -> dict[str, Any]:
    role = harness.create_role("Transport readers")
    harness.grant(role, "directus_users", "read")
    user = harness.create_user(unique_email("transport"), role=role)
    return {"id": user["id"], "role": role, "email": user["email"]}


def _forge(harness: Harness, member: dict[str, Any], **claims: Any) -> str:
    now = int(harness.clock.now().timestamp())
    payload = {
        "id": member["id"],
        "role": member["role"],
        "app_access": False,
        "admin_access": False,
        "iat": now,
        "exp": now + 600,
        "iss": "directus",
        **claims,
    }
    return pyjwt.encode(payload, harness.settings.secret.reveal(), algorithm="HS256")


def _me(harness: Harness, token: str, transport: str) -> httpx.Response:
    harness.client.cookies.clear()
    params = {"fields": "email"}
    headers = {}
    if transport == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif transport == "query":
        params["access_token"] = token
    else:
        headers["Cookie"] = f"{COOKIE}={token}"
    return harness.client.get("/users/me", params=params, headers=headers)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_token_not_valid_yet_is_refused_until_its_nbf(
    harness: Harness, member: dict[str, Any], transport: str
) -> None:
    now = int(harness.clock.now().timestamp())
    token = _forge(harness, member, nbf=now + 30)

    for _ in range(2):  # a refusal is not remembered, nor is the token taken as verified
        response = _me(harness, token, transport)
        assert response.status_code == 403
        assert _code(response) == "INVALID_TOKEN"
    if transport == "cookie":
        assert response.headers["set-cookie"].startswith(f"{COOKIE}=;")

    harness.clock.advance(30)  # from its nbf second on, it is valid
    response = _me(harness, token, transport)
    assert response.status_code == 200
    assert response.json() == {"data": {"email": member["email"]}}


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"nbf": 0}, 200, None),
        ({"nbf": "soon"}, 403, "INVALID_TOKEN"),
        ({"nbf": True}, 403, "INVALID_TOKEN"),
        ({"nbf": None}, 403, "INVALID_TOKEN"),
        ({"nbf": 0.5}, 403, "INVALID_TOKEN"),  # 0.5 seconds after now, in whole seconds
        # nbf is checked before exp, as jsonwebtoken does
        ({"nbf": 60, "exp": -1}, 403, "INVALID_TOKEN"),
        ({"exp": -1}, 401, "TOKEN_EXPIRED"),
        # iat is not checked by Directus: a token issued "in the future" works
        ({"iat": 3600}, 200, None),
    ],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_nbf_exp_and_iat_claims(
    harness: Harness,
    member: dict[str, Any],
    transport: str,
    claims: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    now = int(harness.clock.now().timestamp())
    relative = {
        name: now + value
        if isinstance(value, int | float) and not isinstance(value, bool)
        else value
        for name, value in claims.items()
    }

    response = _me(harness, _forge(harness, member, **relative), transport)

    assert response.status_code == status, response.text
    if code is not None:
        assert _code(response) == code


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_verified_token_still_expires(
    harness: Harness, member: dict[str, Any], transport: str
) -> None:
    token = _forge(harness, member, exp=int(harness.clock.now().timestamp()) + 10)
    assert _me(harness, token, transport).status_code == 200

    harness.clock.advance(10)

    for _ in range(2):
        response = _me(harness, token, transport)
        assert response.status_code == 401
        assert _code(response) == "TOKEN_EXPIRED"


def test_the_password_reset_token_is_refused_before_its_nbf(
    harness: Harness, member: dict[str, Any]
) -> None:
    now = int(harness.clock.now().timestamp())
    token = _forge(
        harness,
        member,
        role=None,
        scope="password-reset",
        email=member["email"],
        nbf=now + 60,
    )

    response = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert _code(response) == "INVALID_TOKEN"
