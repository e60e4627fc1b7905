"""Two-factor enforced by the API: a user under a policy with ``enforce_tfa`` and no second
factor signs in as before, but until they enrol only enrolment answers; every other request
is ``403 TFA_SETUP_REQUIRED``. Decided per request: enrolling lifts it at once, an
administrator turning ``enforce_tfa`` on applies at once. Every token transport, login mode,
static tokens, GraphQL; a custom-policy user, an app user, an administrator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, Harness
from tests.support.factors import code, enrol, tfa_role

REQUIRED = {
    "message": "Two-factor authentication must be set up first.",
    "extensions": {"code": "TFA_SETUP_REQUIRED"},
}


def _refused(response: Any) -> bool:
    return bool(response.status_code == 403 and response.json() == {"errors": [REQUIRED]})


def _policy_of(harness: Harness, role: str) -> str:
    return str(harness.sql("SELECT policy FROM directus_access WHERE role = :r", r=role)[0][0])


@pytest.fixture(scope="module")
def enforcing(harness: Harness) -> str:
    """A custom policy (no app access) that enforces two-factor and may read users."""
    role = tfa_role(harness, "Enforced", enforce_tfa=True)
    harness.grant(role, "directus_users", "read", fields="id,email")
    return role


def test_sign_in_answers_as_before_and_then_only_enrolment_answers(
    harness: Harness, enforcing: str
) -> None:
    user = harness.create_user(role=enforcing)
    login = harness.login(user["email"])
    assert login.status_code == 200
    assert set(login.json()["data"]) == {"access_token", "refresh_token", "expires"}
    headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}

    me = harness.client.get("/users/me", headers=headers)
    users = harness.client.get("/users", headers=headers)
    roles = harness.client.get("/roles/me", headers=headers)
    patch_me = harness.client.patch("/users/me", json={"first_name": "x"}, headers=headers)
    upper = harness.client.get("/USERS", headers=headers)
    encoded = harness.client.get("/users/%6de", headers=headers)
    passkeys = harness.client.get("/users/me/passkeys", headers=headers)

    assert me.status_code == 200
    assert me.json()["data"]["id"] == user["id"]
    assert all(_refused(r) for r in (users, roles, patch_me, upper, encoded))
    assert passkeys.status_code == 200  # passkey enrolment stays open
    assert passkeys.json() == {"data": []}


def test_refresh_and_logout_stay_open_and_the_refreshed_token_is_still_held_back(
    harness: Harness, enforcing: str
) -> None:
    user = harness.create_user(role=enforcing)
    tokens = harness.tokens(user["email"])

    refreshed = harness.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"], "mode": "json"}
    )
    assert refreshed.status_code == 200
    headers = {"Authorization": f"Bearer {refreshed.json()['data']['access_token']}"}
    held = harness.client.get("/users", headers=headers)
    logout = harness.client.post(
        "/auth/logout", json={"refresh_token": refreshed.json()["data"]["refresh_token"]}
    )

    assert _refused(held)
    assert logout.status_code == 204


def test_enrolling_lifts_it_at_once_for_the_token_already_held(
    harness: Harness, enforcing: str
) -> None:
    user = harness.create_user(role=enforcing)
    headers = harness.bearer(user["email"])
    assert _refused(harness.client.get("/users", headers=headers))

    enrol(harness, headers)

    after = harness.client.get("/users", headers=headers)
    assert after.status_code == 200
    assert harness.client.get("/roles/me", headers=headers).status_code == 200


@pytest.mark.parametrize("transport", ["header", "query", "session-cookie", "cookie-mode"])
def test_every_transport_and_mode_is_held_back(
    harness: Harness, enforcing: str, transport: str
) -> None:
    user = harness.create_user(role=enforcing)
    mode = {"session-cookie": "session", "cookie-mode": "cookie"}.get(transport, "json")
    login = harness.login(user["email"], mode=mode)
    assert login.status_code == 200
    params: dict[str, str] = {}
    headers: dict[str, str] = {}
    if transport == "header" or transport == "cookie-mode":
        headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    elif transport == "query":
        params = {"access_token": login.json()["data"]["access_token"]}
    # session-cookie: the client keeps directus_session_token

    held = harness.client.get("/users", headers=headers, params=params)
    me = harness.client.get("/users/me", headers=headers, params=params)

    assert _refused(held)
    assert me.status_code == 200


def test_a_static_token_is_held_back_too(harness: Harness, enforcing: str) -> None:
    user = harness.create_user(role=enforcing, token="static-token-of-an-enforced-user")
    headers = {"Authorization": "Bearer static-token-of-an-enforced-user"}

    assert _refused(harness.client.get("/users", headers=headers))
    me = harness.client.get("/users/me", headers=headers)
    assert me.json()["data"]["id"] == user["id"]
    enrol(harness, headers)  # a static token may enrol its user, and is then let through
    assert harness.client.get("/users", headers=headers).status_code == 200


@pytest.mark.parametrize("kind", ["app", "admin"])
def test_app_users_and_administrators_are_held_back_until_they_enrol(
    harness: Harness, kind: str
) -> None:
    role = harness.create_role(
        f"Enforced {kind}", app=kind == "app", admin=kind == "admin", enforce_tfa=True
    )
    if kind == "app":
        harness.grant(role, "directus_users", "update", fields="tfa_secret")
        harness.grant(role, "directus_roles", "read")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])

    before = harness.client.get("/roles", headers=headers)
    enrol(harness, headers)
    after = harness.client.get("/roles", headers=headers)

    assert _refused(before)
    assert after.status_code == 200


def test_turning_enforcement_on_applies_to_the_next_request(harness: Harness) -> None:
    role = tfa_role(harness, "Soon enforced")
    harness.grant(role, "directus_users", "read", fields="id")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    assert harness.client.get("/users", headers=headers).status_code == 200

    patched = harness.client.patch(
        f"/policies/{_policy_of(harness, role)}", json={"enforce_tfa": True}, headers=harness.admin
    )

    assert patched.status_code == 200
    assert _refused(harness.client.get("/users", headers=headers))


def test_a_user_with_two_factor_under_the_policy_is_not_held_back(
    harness: Harness, enforcing: str
) -> None:
    user = harness.create_user(role=enforcing)
    secret = enrol(harness, harness.bearer(user["email"]))
    login = harness.login(user["email"], otp=code(harness, secret))
    headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}

    assert harness.client.get("/users", headers=headers).status_code == 200


def _gql(harness: Harness, path: str, query: str, headers: dict[str, str]) -> Any:
    return harness.client.post(path, json={"query": query}, headers=headers)


def test_graphql_answers_only_the_enrolment_operations(harness: Harness, enforcing: str) -> None:
    user = harness.create_user(role=enforcing)
    headers = harness.bearer(user["email"])

    me = _gql(harness, "/graphql/system", "{ users_me { id } }", headers)
    fragment = _gql(
        harness,
        "/graphql/system",
        "query { ...f } fragment f on Query { users_me { id } }",
        headers,
    )
    users = _gql(harness, "/graphql/system", "{ users { id } }", headers)
    mixed = _gql(harness, "/graphql/system", "{ users_me { id } roles { id } }", headers)
    items = _gql(harness, "/graphql", "{ __typename }", headers)
    broken = _gql(harness, "/graphql/system", "{ users_me {", headers)
    generate = _gql(
        harness,
        "/graphql/system",
        f'mutation {{ users_me_tfa_generate(password: "{PASSWORD}") {{ secret }} }}',
        headers,
    )

    assert me.status_code == 200
    assert me.json()["data"]["users_me"]["id"] == user["id"]
    assert fragment.status_code == 200
    assert all(_refused(r) for r in (users, mixed, items, broken))
    assert generate.status_code == 200
    assert generate.json()["data"]["users_me_tfa_generate"]["secret"]


def test_a_role_less_user_is_not_held_back_by_the_public_policy(harness: Harness) -> None:
    public = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"
    harness.client.patch(f"/policies/{public}", json={"enforce_tfa": True}, headers=harness.admin)
    try:
        user = harness.create_user()
        me = harness.client.get("/roles/me", headers=harness.bearer(user["email"]))
    finally:
        harness.client.patch(
            f"/policies/{public}", json={"enforce_tfa": False}, headers=harness.admin
        )

    assert me.status_code == 200


def test_an_api_key_is_held_back_even_when_limited_to_a_policy_that_does_not_enforce(
    harness: Harness, enforcing: str
) -> None:
    """Two-factor enforcement reads the user's own policies, not the key's limit: a key limited
    to a policy without ``enforce_tfa`` must not escape the one that has it."""
    user = harness.create_user(role=enforcing)
    loose = harness.client.post("/policies", json={"name": "Loose"}, headers=harness.admin)
    loose_id = loose.json()["data"]["id"]
    attached = harness.client.post(
        "/access", json={"user": user["id"], "policy": loose_id}, headers=harness.admin
    )
    assert attached.status_code == 200, attached.text
    made = harness.client.post(
        f"/users/{user['id']}/keys",
        json={"name": "script", "policies": [loose_id]},
        headers=harness.admin,
    )
    assert made.status_code == 200, made.text
    key = {"Authorization": f"Bearer {made.json()['data']['token']}"}

    assert _refused(harness.client.get("/users", headers=key))
    enrol(harness, harness.bearer(user["email"]))
    assert harness.client.get("/users/me", headers=key).status_code == 200
    assert not _refused(harness.client.get("/users", headers=key))
