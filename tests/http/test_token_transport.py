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


def _session_cookie(harness: Harness, member: dict[str, Any]) -> str:
    response = harness.login(member["email"], mode="session")
    assert response.status_code == 200, response.text
    token = response.cookies[COOKIE]
    harness.client.cookies.clear()
    return token


def _raw_me(harness: Harness, headers: list[tuple[str, str]], query: str = "") -> httpx.Response:
    harness.client.cookies.clear()
    return harness.client.get(f"/users/me?fields=email{query}", headers=headers)


@pytest.mark.parametrize(
    "cookie",
    [
        "{name}={good}; {name}=garbage",
        " {name} = {good} ;{name}=garbage",
        '{name}="{good}"; {name}=garbage',
        "other=%zz; {name}={good}",
        "broken; {name}={good}; {name}=",
    ],
)
def test_the_first_session_cookie_of_a_name_wins(
    harness: Harness, member: dict[str, Any], cookie: str
) -> None:
    good = _session_cookie(harness, member)
    response = _raw_me(harness, [("Cookie", cookie.format(name=COOKIE, good=good))])

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"email": member["email"]}}


def test_a_later_good_session_cookie_does_not_save_a_bad_first_one(
    harness: Harness, member: dict[str, Any]
) -> None:
    good = _session_cookie(harness, member)

    response = _raw_me(harness, [("Cookie", f"{COOKIE}=garbage; {COOKIE}={good}")])
    assert response.status_code == 401
    assert _code(response) == "INVALID_CREDENTIALS"
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=;")

    # An empty first cookie is no token at all: anonymous, nothing cleared.
    response = _raw_me(harness, [("Cookie", f"{COOKIE}=; {COOKIE}={good}")])
    assert response.status_code == 401
    assert _code(response) == "INVALID_CREDENTIALS"
    assert "set-cookie" not in response.headers


def test_repeated_cookie_headers_are_one_list(harness: Harness, member: dict[str, Any]) -> None:
    good = _session_cookie(harness, member)

    first_good = _raw_me(harness, [("Cookie", f"{COOKIE}={good}"), ("Cookie", f"{COOKIE}=x")])
    first_bad = _raw_me(harness, [("Cookie", f"{COOKIE}=x"), ("Cookie", f"{COOKIE}={good}")])
    other_first = _raw_me(harness, [("Cookie", "a=b"), ("Cookie", f"{COOKIE}={good}")])

    assert first_good.status_code == 200
    assert first_bad.status_code == 401
    assert other_first.json() == {"data": {"email": member["email"]}}


@pytest.mark.parametrize(
    "authorization", ["Bearer ", "Bearer   ", "Bearer", " Bearer \t", "Basic abc", "Token xyz"]
)
def test_an_authorization_without_a_bearer_token_leaves_the_cookie(
    harness: Harness, member: dict[str, Any], authorization: str
) -> None:
    good = _session_cookie(harness, member)

    response = _raw_me(harness, [("Authorization", authorization), ("Cookie", f"{COOKIE}={good}")])

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"email": member["email"]}}


@pytest.mark.parametrize("authorization", ["Bearer ", "Bearer   ", "Basic abc"])
def test_an_authorization_without_a_bearer_token_leaves_the_query_token(
    harness: Harness, member: dict[str, Any], authorization: str
) -> None:
    token = _forge(harness, member)

    response = _raw_me(harness, [("Authorization", authorization)], f"&access_token={token}")

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("transport", ["header", "cookie", "none"])
@pytest.mark.parametrize(
    "query",
    [
        "access_token={token}&access_token={token}",
        "access_token=&access_token={token}",
        "access_token={token}&access_token=",
        "access_token[]={token}",
        "access_token[]=",
        "access_token[a]={token}",
        "access_token%5B%5D={token}",
        "access_%74oken={token}&access_token={token}",
    ],
)
def test_a_repeated_or_bracketed_access_token_is_an_invalid_token(
    harness: Harness, member: dict[str, Any], query: str, transport: str
) -> None:
    token = _forge(harness, member)
    headers: list[tuple[str, str]] = []
    if transport == "header":
        headers.append(("Authorization", f"Bearer {token}"))
    elif transport == "cookie":
        headers.append(("Cookie", f"{COOKIE}={_session_cookie(harness, member)}"))
    harness.client.cookies.clear()

    for path in ("/users/me", "/server/info"):
        response = harness.client.get(f"{path}?{query.format(token=token)}", headers=headers)

        if transport == "header":  # still two ways of sending a token
            assert response.status_code == 400
            assert _code(response) == "INVALID_PAYLOAD"
        else:  # the array or object is the token, and never a valid one; the cookie is unused
            assert response.status_code == 401
            assert _code(response) == "INVALID_CREDENTIALS"
            assert "set-cookie" not in response.headers
    ping = harness.client.get(f"/server/ping?{query.format(token=token)}")
    assert ping.text == "pong"


def test_an_empty_access_token_is_no_token(harness: Harness, member: dict[str, Any]) -> None:
    token = _forge(harness, member)

    with_header = _raw_me(harness, [("Authorization", f"Bearer {token}")], "&access_token=")
    with_cookie = _raw_me(
        harness, [("Cookie", f"{COOKIE}={_session_cookie(harness, member)}")], "&access_token="
    )
    encoded = _raw_me(harness, [], f"&%61ccess_token={token}")

    assert with_header.status_code == 200
    assert with_cookie.status_code == 200
    assert encoded.status_code == 200
