"""``/graphql/system``: every auth mutation and query of directus-auth section 16, with their
types, default modes, cookies and error shapes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from authgate import totp
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness, unique_email
from tests.graphql.conftest import code, data, error, gql, mailed_token, set_cookies

LOGIN = """mutation Login($email: String!, $password: String!, $mode: auth_mode, $otp: String) {
  auth_login(email: $email, password: $password, mode: $mode, otp: $otp) {
    access_token refresh_token expires
  }
}"""
REFRESH = """mutation Refresh($token: String, $mode: auth_mode) {
  auth_refresh(refresh_token: $token, mode: $mode) { access_token refresh_token expires }
}"""
LOGOUT = """mutation Logout($token: String, $mode: auth_mode) {
  auth_logout(refresh_token: $token, mode: $mode)
}"""


def _login(harness: Harness, email: str, password: str = PASSWORD, **extra: str) -> dict[str, Any]:
    harness.client.cookies.clear()
    tokens: dict[str, Any] = data(
        gql(harness, LOGIN, {"email": email, "password": password, **extra})
    )["auth_login"]
    return tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------------ login


def test_login_in_json_mode_returns_the_tokens_with_expires_as_a_string(harness: Harness) -> None:
    user = harness.create_user()

    tokens = _login(harness, user["email"])

    assert tokens["expires"] == "900000"
    assert len(tokens["refresh_token"]) == 64
    me = harness.client.get("/users/me", headers=_bearer(tokens["access_token"]))
    assert me.json()["data"]["id"] == user["id"]


def test_login_in_cookie_mode_sets_the_refresh_cookie(harness: Harness) -> None:
    user = harness.create_user()

    response = gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD, "mode": "cookie"})

    tokens = data(response)["auth_login"]
    assert tokens["refresh_token"] is None
    assert tokens["access_token"]
    cookie = set_cookies(response)["directus_refresh_token"]
    assert "Max-Age=604800" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    refreshed = gql(harness, REFRESH, {"mode": "cookie"})  # the client sends the cookie back
    assert data(refreshed)["auth_refresh"]["access_token"]
    assert "directus_refresh_token" in set_cookies(refreshed)


def test_login_in_session_mode_sets_the_session_cookie_only(harness: Harness) -> None:
    user = harness.create_user()

    response = gql(
        harness, LOGIN, {"email": user["email"], "password": PASSWORD, "mode": "session"}
    )

    assert data(response)["auth_login"] == {
        "access_token": None,
        "refresh_token": None,
        "expires": "86400000",
    }
    assert "Max-Age=86400" in set_cookies(response)["directus_session_token"]
    me = harness.client.get("/users/me", params={"fields": "id"})  # the cookie authenticates
    assert me.json()["data"] == {"id": user["id"]}


def test_a_wrong_password_is_a_resolver_error_with_status_200(harness: Harness) -> None:
    user = harness.create_user()
    query = f'mutation {{ auth_login(email: "{user["email"]}", password: "nope") {{ expires }} }}'

    response = gql(harness, query)

    assert response.status_code == 200
    assert response.json() == {
        "data": {"auth_login": None},
        "errors": [
            {
                "message": "Invalid user credentials.",
                "extensions": {"code": "INVALID_CREDENTIALS"},
                "locations": [{"line": 1, "column": 12}],
                "path": ["auth_login"],
            }
        ],
    }


def test_login_with_two_factor_needs_the_otp(harness: Harness) -> None:
    role = harness.create_role("GraphQL TFA")
    harness.grant(role, "directus_users", "update", fields="tfa_secret")
    user = harness.create_user(role=role)
    headers = _bearer(_login(harness, user["email"])["access_token"])
    generated = data(
        gql(
            harness,
            f'mutation {{ users_me_tfa_generate(password: "{PASSWORD}") {{ secret otpauth_url }} }}',
            headers=headers,
        )
    )["users_me_tfa_generate"]
    secret = generated["secret"]
    assert generated["otpauth_url"].startswith("otpauth://totp/")
    otp = totp.code_at(secret, totp.step_at(harness.clock.now()))
    enabled = gql(
        harness,
        "mutation E($otp: String!, $secret: String!) { users_me_tfa_enable(otp: $otp, secret: $secret) }",
        {"otp": otp, "secret": secret},
        headers=headers,
    )
    assert data(enabled) == {"users_me_tfa_enable": True}
    harness.clock.advance(60)

    without = gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD})
    code_now = totp.code_at(secret, totp.step_at(harness.clock.now()))
    with_otp = gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD, "otp": code_now})

    assert error(without)["extensions"]["code"] == "INVALID_OTP"
    assert data(with_otp)["auth_login"]["access_token"]
    harness.clock.advance(60)
    disable_code = totp.code_at(secret, totp.step_at(harness.clock.now()))
    wrong = gql(harness, 'mutation { users_me_tfa_disable(otp: "000000") }', headers=headers)
    disabled = gql(
        harness,
        "mutation D($otp: String!) { users_me_tfa_disable(otp: $otp) }",
        {"otp": disable_code},
        headers=headers,
    )
    assert error(wrong)["message"] == 'Invalid payload. "otp" is invalid.'
    assert data(disabled) == {"users_me_tfa_disable": True}
    assert data(gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD}))


def test_tfa_generate_always_checks_the_password(harness: Harness) -> None:
    wrong = gql(
        harness,
        'mutation { users_me_tfa_generate(password: "wrong") { secret } }',
        headers=harness.admin,
    )
    anonymous = gql(harness, 'mutation { users_me_tfa_generate(password: "x") { secret } }')

    assert code(wrong) == "INVALID_CREDENTIALS"
    assert data(anonymous) == {"users_me_tfa_generate": None}


# ---------------------------------------------------------------- refresh, logout


def test_refresh_defaults_to_json_mode(harness: Harness) -> None:
    user = harness.create_user()
    first = _login(harness, user["email"])

    refreshed = data(gql(harness, REFRESH, {"token": first["refresh_token"]}))["auth_refresh"]

    assert refreshed["expires"] == "900000"
    assert refreshed["refresh_token"] not in (None, first["refresh_token"])
    assert refreshed["access_token"]


def test_refresh_without_a_token_is_an_invalid_payload(harness: Harness) -> None:
    harness.client.cookies.clear()

    response = gql(harness, "mutation { auth_refresh { expires } }")

    assert error(response)["message"] == (
        "Invalid payload. The refresh token is required in either the payload or cookie."
    )
    assert code(response) == "INVALID_PAYLOAD"


def test_refresh_in_session_mode_reads_the_session_cookie(harness: Harness) -> None:
    user = harness.create_user()
    gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD, "mode": "session"})

    response = gql(harness, REFRESH, {"mode": "session"})

    assert data(response)["auth_refresh"] == {
        "access_token": None,
        "refresh_token": None,
        "expires": "86400000",
    }
    assert "directus_session_token" in set_cookies(response)


def test_logout_ends_the_session_and_answers_true(harness: Harness) -> None:
    user = harness.create_user()
    tokens = _login(harness, user["email"])

    out = gql(harness, LOGOUT, {"token": tokens["refresh_token"]})
    again = gql(harness, REFRESH, {"token": tokens["refresh_token"]})

    assert data(out) == {"auth_logout": True}
    assert code(again) == "INVALID_CREDENTIALS"


def test_logout_in_cookie_mode_clears_the_cookie_it_was_sent(harness: Harness) -> None:
    user = harness.create_user()
    gql(harness, LOGIN, {"email": user["email"], "password": PASSWORD, "mode": "cookie"})

    out = gql(harness, LOGOUT, {"mode": "cookie"})

    assert data(out) == {"auth_logout": True}
    cleared = set_cookies(out)
    assert list(cleared) == ["directus_refresh_token"]
    assert "Max-Age=0" in cleared["directus_refresh_token"]


# ------------------------------------------------------------- passwords, users


def test_password_request_and_reset(harness: Harness) -> None:
    user = harness.create_user()
    request = f'mutation {{ auth_password_request(email: "{user["email"]}") }}'
    unknown = 'mutation { auth_password_request(email: "nobody@example.com") }'

    assert data(gql(harness, request)) == {"auth_password_request": True}
    assert data(gql(harness, unknown)) == {"auth_password_request": True}
    token = mailed_token(harness, user["email"])
    reset = gql(
        harness,
        "mutation R($t: String!, $p: String!) { auth_password_reset(token: $t, password: $p) }",
        {"t": token, "p": "New-Passw0rd!"},
    )
    reused = gql(
        harness,
        "mutation R($t: String!, $p: String!) { auth_password_reset(token: $t, password: $p) }",
        {"t": token, "p": "Other-Passw0rd!"},
    )

    assert data(reset) == {"auth_password_reset": True}
    assert code(reused) == "FORBIDDEN"
    assert _login(harness, user["email"], "New-Passw0rd!")["access_token"]


def test_password_request_refuses_a_reset_url_not_allowed(harness: Harness) -> None:
    response = gql(
        harness,
        'mutation { auth_password_request(email: "a@example.com", reset_url: "http://evil.example/x") }',
    )

    assert error(response)["message"] == (
        'Invalid payload. URL "http://evil.example/x" can\'t be used to reset passwords.'
    )


def test_a_garbage_reset_token_is_invalid(harness: Harness) -> None:
    response = gql(
        harness, 'mutation { auth_password_reset(token: "not-a-jwt", password: "Xx-123456!") }'
    )

    assert code(response) == "INVALID_TOKEN"


@pytest.fixture
def registration_on(harness: Harness) -> Iterator[None]:
    harness.client.patch(
        "/settings",
        json={"public_registration": True, "public_registration_verify_email": True},
        headers=harness.admin,
    )
    yield
    harness.client.patch("/settings", json={"public_registration": False}, headers=harness.admin)


def test_register_then_verify(harness: Harness, registration_on: None) -> None:
    email = unique_email("gql-register")
    register = (
        "mutation R($e: String!, $p: String!) "
        '{ users_register(email: $e, password: $p, first_name: "Gee") }'
    )

    registered = gql(harness, register, {"e": email, "p": PASSWORD})
    before = gql(harness, LOGIN, {"email": email, "password": PASSWORD})
    verified = gql(
        harness,
        "mutation V($t: String!) { users_register_verify(token: $t) }",
        {"t": mailed_token(harness, email)},
    )

    assert data(registered) == {"users_register": True}
    assert code(before) == "INVALID_CREDENTIALS"
    assert data(verified) == {"users_register_verify": True}
    assert _login(harness, email)["access_token"]


def test_register_checks_the_address_as_rest_does(harness: Harness, registration_on: None) -> None:
    response = gql(harness, 'mutation { users_register(email: "not-an-email", password: "x") }')

    assert error(response)["message"] == 'Invalid payload. "email" must be a valid email.'


def test_register_is_forbidden_while_registration_is_off(harness: Harness) -> None:
    response = gql(
        harness, f'mutation {{ users_register(email: "{unique_email()}", password: "{PASSWORD}") }}'
    )

    assert code(response) == "FORBIDDEN"


def _admin_role(harness: Harness) -> str:
    role: str = harness.client.get(
        "/users/me", params={"fields": "role"}, headers=harness.admin
    ).json()["data"]["role"]
    return role


def test_invite_then_accept(harness: Harness) -> None:
    email = unique_email("gql-invite")
    invite = "mutation I($e: String!, $r: String!) { users_invite(email: $e, role: $r) }"

    invited = gql(harness, invite, {"e": email, "r": _admin_role(harness)}, headers=harness.admin)
    accept = "mutation A($t: String!, $p: String!) { users_invite_accept(token: $t, password: $p) }"
    token = mailed_token(harness, email)
    accepted = gql(harness, accept, {"t": token, "p": PASSWORD})
    again = gql(harness, accept, {"t": token, "p": PASSWORD})

    assert data(invited) == {"users_invite": True}
    assert data(accepted) == {"users_invite_accept": True}
    assert code(again) == "INVALID_INVITE"
    assert _login(harness, email)["access_token"]


def test_users_invite_is_not_in_the_schema_of_a_caller_who_cannot_create_users(
    harness: Harness,
) -> None:
    user = harness.create_user()
    headers = _bearer(_login(harness, user["email"])["access_token"])

    response = gql(
        harness, 'mutation { users_invite(email: "a@example.com", role: "r") }', headers=headers
    )

    assert response.status_code == 400
    assert code(response) == "GRAPHQL_VALIDATION"


# --------------------------------------------------------------------- queries


def test_server_ping(harness: Harness) -> None:
    assert data(gql(harness, "{ server_ping }")) == {"server_ping": "pong"}


def test_users_me(harness: Harness) -> None:
    tokens = _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD)

    me = data(gql(harness, "{ users_me { email } }", headers=_bearer(tokens["access_token"])))
    anonymous = gql(harness, "{ users_me { id } }")

    assert me == {"users_me": {"email": ADMIN_EMAIL}}
    assert _messages(anonymous) == ['Cannot query field "users_me" on type "Query".']


def _messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 400
    errors = response.json()["errors"][0]["extensions"]["errors"]
    return [entry["message"] for entry in errors]


def test_users_me_is_only_for_callers_who_may_read_users(harness: Harness) -> None:
    """As Directus 12.4: no ``users_me`` (nor a suggestion of it) without read permission on
    ``directus_users``, with the token in a header or in the query."""
    user = harness.create_user()  # no role: no permission on directus_users
    token = _login(harness, user["email"])["access_token"]

    me = gql(harness, "{ users_me { id } }", headers=_bearer(token))
    by_query = harness.client.post(
        "/graphql/system", json={"query": "{ users { id } }"}, params={"access_token": token}
    )
    one = gql(harness, '{ users_by_id(id: "x") { id } }', headers=_bearer(token))

    assert code(me) == "GRAPHQL_VALIDATION"
    assert _messages(me) == ['Cannot query field "users_me" on type "Query".']
    assert _messages(by_query) == ['Cannot query field "users" on type "Query".']
    assert _messages(one) == ['Cannot query field "users_by_id" on type "Query".']


def test_policies_me_globals(harness: Harness) -> None:
    query = "{ policies_me_globals { enforce_tfa app_access admin_access } }"

    role = harness.create_role("GraphQL policy readers")
    harness.grant(role, "directus_policies", "read")
    reader = harness.create_user(role=role)

    admin = data(gql(harness, query, headers=harness.admin))
    granted = data(gql(harness, query, headers=harness.bearer(reader["email"])))
    anonymous = gql(harness, query)

    assert admin == {
        "policies_me_globals": {"enforce_tfa": False, "app_access": True, "admin_access": True}
    }
    assert granted == {
        "policies_me_globals": {"enforce_tfa": False, "app_access": False, "admin_access": False}
    }
    # As in Directus, the query exists only for callers who may read directus_policies.
    assert code(anonymous) == "GRAPHQL_VALIDATION"


def test_update_users_me(harness: Harness) -> None:
    role = harness.create_role("GraphQL self editors", app=True)
    harness.grant(role, "directus_users", "update", fields="first_name,last_name")
    user = harness.create_user(role=role)
    headers = _bearer(_login(harness, user["email"])["access_token"])
    update = 'mutation { update_users_me(data: {first_name: "Ada"}) { first_name email } }'

    updated = data(gql(harness, update, headers=headers))
    refused = gql(
        harness, 'mutation { update_users_me(data: {title: "x"}) { id } }', headers=headers
    )

    assert updated == {"update_users_me": {"first_name": "Ada", "email": user["email"]}}
    assert code(refused) == "GRAPHQL_VALIDATION"  # title is not in its update type


def test_update_users_me_is_not_offered_to_anonymous_callers(harness: Harness) -> None:
    response = gql(harness, "mutation { update_users_me(data: {}) { id } }")

    assert response.status_code == 400
    assert code(response) == "GRAPHQL_VALIDATION"
