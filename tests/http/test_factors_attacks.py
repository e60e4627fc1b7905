"""Attacks on the second factors (review of issue 14), each a rule that held before only in
part: a user whose policy enforces two-factor and whose second factor is a passkey must give
it at a password sign-in; a stolen access token alone cannot enrol its holder's TOTP; a token
held back for enrolment reads nothing through ``/users/me``'s relations. Through HTTP, on
SQLite and PostgreSQL + Redis, as a custom-policy user (no app access)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from authgate import totp
from tests.conftest import PASSWORD, Harness
from tests.http.test_passkeys import Member, sign_in_options
from tests.support.factors import code, tfa_role

ENV = {"IP_TRUST_PROXY": "true"}


def _code(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.fixture(scope="module")
def enforcing(harness: Harness) -> str:
    """A custom policy (no app access) that enforces two-factor and may read every user."""
    role = tfa_role(harness, "Enforced, attacks", enforce_tfa=True)
    harness.grant(role, "directus_users", "read", fields="*")
    harness.grant(role, "directus_roles", "read", fields="*")
    return role


@pytest.mark.parametrize("mode", ["json", "session"])
def test_a_stolen_password_alone_does_not_sign_in_an_enforced_user_whose_factor_is_a_passkey(
    harness: Harness, enforcing: str, mode: str
) -> None:
    member = Member(harness, role=enforcing)
    member.enrol()

    bare = harness.login(member.email, mode=mode)
    wrong_otp = harness.login(member.email, otp="123456", mode=mode)
    options = sign_in_options(harness, member.email)
    with_passkey = harness.login(member.email, passkey=member.authenticator.get(options), mode=mode)

    assert (bare.status_code, _code(bare)) == (401, "INVALID_OTP")
    assert (wrong_otp.status_code, _code(wrong_otp)) == (401, "INVALID_OTP")
    assert with_passkey.status_code == 200, with_passkey.text
    headers = {}
    if mode == "json":
        headers = {"Authorization": f"Bearer {with_passkey.json()['data']['access_token']}"}
    assert harness.client.get("/users", headers=headers).status_code == 200


def test_a_missing_passkey_counts_toward_the_lockout(harness: Harness, enforcing: str) -> None:
    member = Member(harness, role=enforcing)
    member.enrol()
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    try:
        first = harness.login(member.email)
        second = harness.login(member.email)
        options = sign_in_options(harness, member.email)
        locked = harness.login(member.email, passkey=member.authenticator.get(options))
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)
        harness.clock.advance(3600)

    assert [_code(first), _code(second)] == ["INVALID_OTP", "INVALID_OTP"]
    assert (locked.status_code, _code(locked)) == (401, "INVALID_CREDENTIALS")


def test_a_passkey_is_still_not_asked_of_users_no_policy_enforces_it_on(
    harness: Harness,
) -> None:
    member = Member(harness, role=tfa_role(harness, "Not enforced, attacks"))
    member.enrol()

    assert harness.login(member.email).status_code == 200


def test_graphql_sign_in_asks_for_the_passkey_too(harness: Harness, enforcing: str) -> None:
    member = Member(harness, role=enforcing)
    member.enrol()
    harness.client.cookies.clear()

    answer = harness.client.post(
        "/graphql/system",
        json={
            "query": "mutation($e: String!, $p: String!) { auth_login(email: $e, password: $p)"
            " { access_token } }",
            "variables": {"e": member.email, "p": PASSWORD},
        },
    )

    assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_OTP"


def _enable(harness: Harness, headers: dict[str, str], secret: str) -> Any:
    return harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": code(harness, secret)},
        headers=headers,
    )


@pytest.mark.parametrize("kind", ["custom", "app"])
def test_a_stolen_token_alone_cannot_enrol_its_holders_own_totp(
    harness: Harness, kind: str
) -> None:
    """``tfa/enable`` asks no password (Directus's API): the secret must be one that
    ``tfa/generate``, which does, gave this user. Else a stolen token would turn on the
    thief's TOTP and lock the owner out (or lift a held-back token)."""
    role = tfa_role(harness, f"Thief target {kind}", app=kind == "app")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    own = totp.generate_secret()
    victim = harness.create_user(role=role)
    theirs = harness.client.post(
        "/users/me/tfa/generate",
        json={"password": PASSWORD},
        headers=harness.bearer(victim["email"]),
    ).json()["data"]["secret"]

    made_up = _enable(harness, headers, own)
    anothers = _enable(harness, headers, theirs)

    for refused in (made_up, anothers):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["message"] == 'Invalid payload. "otp" is invalid.'
    assert harness.login(user["email"]).status_code == 200  # still no second factor
    generated = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=headers
    ).json()["data"]["secret"]
    harness.clock.advance(30)
    assert _enable(harness, headers, generated).status_code == 204


def test_graphql_enables_only_a_generated_secret_too(harness: Harness) -> None:
    user = harness.create_user(role=tfa_role(harness, "GraphQL enrolers"))
    headers = harness.bearer(user["email"])
    enable = "mutation($s: String!, $o: String!) { users_me_tfa_enable(secret: $s, otp: $o) }"

    def enabled(secret: str) -> Any:
        return harness.client.post(
            "/graphql/system",
            json={"query": enable, "variables": {"s": secret, "o": code(harness, secret)}},
            headers=headers,
        ).json()

    made_up = enabled(totp.generate_secret())
    generate = f'mutation {{ users_me_tfa_generate(password: "{PASSWORD}") {{ secret }} }}'
    fresh = harness.client.post(
        "/graphql/system", json={"query": generate}, headers=headers
    ).json()["data"]["users_me_tfa_generate"]["secret"]
    harness.clock.advance(30)

    assert made_up["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"
    assert enabled(fresh) == {"data": {"users_me_tfa_enable": True}}


def _held_back(response: Any) -> bool:
    return bool(response.status_code == 403 and _code(response) == "TFA_SETUP_REQUIRED")


def test_a_held_back_token_reads_its_own_row_and_nothing_through_its_relations(
    harness: Harness, enforcing: str
) -> None:
    harness.create_user(role=enforcing, first_name="Neighbour")
    user = harness.create_user(role=enforcing)
    tokens = harness.tokens(user["email"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    def me(params: dict[str, str], via_query: bool = False) -> Any:
        if via_query:
            return harness.client.get(
                "/users/me", params={**params, "access_token": tokens["access_token"]}
            )
        return harness.client.get("/users/me", params=params, headers=headers)

    refused = [
        me({"fields": "role.users.email"}),
        me({"fields": "id,role.users.first_name"}, via_query=True),
        me({"fields[]": "role.users.email"}),
        me({"fields": "*.*.*"}),
        harness.client.get("/users/me?fields=role%2Eusers%2Eemail", headers=headers),
        me({"filter[role][users][first_name][_eq]": "Neighbour"}),
        me({"deep[role][_limit]": "1"}),
        me({"alias[x]": "role"}),
    ]
    allowed = [me({}), me({"fields": "*"}), me({"fields": "id,email,role"}, via_query=True)]

    assert all(_held_back(r) for r in refused), [r.status_code for r in refused]
    assert all(r.status_code == 200 for r in allowed)
    assert allowed[2].json()["data"]["email"] == user["email"]


def test_a_held_back_token_reads_no_relation_through_graphql(
    harness: Harness, enforcing: str
) -> None:
    user = harness.create_user(role=enforcing)
    headers = harness.bearer(user["email"])

    def run(query: str) -> Any:
        return harness.client.post("/graphql/system", json={"query": query}, headers=headers)

    nested = run("{ users_me { id role { users { email } } } }")
    fragment = run("query { users_me { ...f } } fragment f on directus_users { role { id } }")
    flat = run("{ users_me { id email } }")
    generate = run(f'mutation {{ users_me_tfa_generate(password: "{PASSWORD}") {{ secret }} }}')

    assert _held_back(nested)
    assert _held_back(fragment)
    assert flat.json()["data"]["users_me"]["email"] == user["email"]
    assert generate.json()["data"]["users_me_tfa_generate"]["secret"]


def test_the_token_of_a_passkey_user_does_not_claim_that_two_factor_must_be_set_up(
    harness: Harness, enforcing: str
) -> None:
    member = Member(harness, role=enforcing)
    before = jwt.decode(member.headers["Authorization"][7:], options={"verify_signature": False})
    member.enrol()
    options = sign_in_options(harness, member.email)
    login = harness.login(member.email, passkey=member.authenticator.get(options))
    after = jwt.decode(login.json()["data"]["access_token"], options={"verify_signature": False})

    assert before.get("enforce_tfa") is True
    assert "enforce_tfa" not in after
