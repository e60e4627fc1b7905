"""Claims of the README's "Second factors" that no other test checked: ``tfa/enable`` takes a
generated secret within the hour only (difference 64) and a refused one counts toward the
lockout; a recovery code stands in for the code in GraphQL's ``auth_login``; failed proofs on
a passkey's removal count toward the lockout."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, Harness
from tests.http.test_passkeys import Member
from tests.support.factors import code, enrolled_user, make_codes, tfa_role

ENV = {"IP_TRUST_PROXY": "true"}


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]


def _generate(harness: Harness, headers: dict[str, str]) -> str:
    response = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["secret"])


def _enable(harness: Harness, headers: dict[str, str], secret: str) -> Any:
    return harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": code(harness, secret)},
        headers=headers,
    )


def _issued_lifetimes_ms(harness: Harness) -> list[int]:
    """The Redis lifetime left of each "this secret was generated" mark."""
    import redis

    assert harness.settings.redis is not None
    client = redis.Redis.from_url(harness.settings.redis.url.reveal())
    try:
        pattern = f"{harness.settings.redis.namespace}:counter:tfa-issued:*"
        return [int(client.pttl(key)) for key in client.scan_iter(pattern)]
    finally:
        client.close()


def test_a_generated_secret_can_be_enabled_within_the_hour_only(harness: Harness) -> None:
    user = harness.create_user(role=tfa_role(harness, "Hour enrolers"))
    stale = _generate(harness, harness.bearer(user["email"]))
    if harness.backend == "postgres":
        # Redis expires the mark on its own clock, which the frozen clock does not move.
        lifetimes = _issued_lifetimes_ms(harness)
        assert lifetimes
        assert all(3_500_000 < ms <= 3_600_000 for ms in lifetimes), lifetimes
        return
    harness.clock.advance(3601)
    fresh = _generate(harness, harness.bearer(user["email"]))
    harness.clock.advance(3540)
    headers = harness.bearer(user["email"])

    late = _enable(harness, headers, stale)
    in_time = _enable(harness, headers, fresh)

    assert _error(late) == (400, "INVALID_PAYLOAD")
    assert late.json()["errors"][0]["message"] == 'Invalid payload. "otp" is invalid.'
    assert in_time.status_code == 204, in_time.text


def test_enabling_a_secret_generate_did_not_give_counts_toward_the_lockout(
    harness: Harness,
) -> None:
    user = harness.create_user(role=tfa_role(harness, "Lockout enrolers"))
    address = {"X-Forwarded-For": "198.51.100.91"}
    headers = harness.bearer(user["email"]) | address
    generated = _generate(harness, headers)
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    try:
        for _ in range(2):
            made_up = harness.client.post(
                "/users/me/tfa/enable",
                json={"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "otp": "123456"},
                headers=headers,
            )
            assert _error(made_up) == (400, "INVALID_PAYLOAD")
        locked = _enable(harness, headers, generated)
        sign_in = harness.client.post(
            "/auth/login", json={"email": user["email"], "password": PASSWORD}, headers=address
        )
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert locked.status_code == 400
    assert _error(sign_in) == (401, "INVALID_CREDENTIALS")


def test_a_recovery_code_signs_in_through_graphql_once(harness: Harness) -> None:
    who = enrolled_user(harness)
    codes = make_codes(harness, who)
    login = (
        "mutation($e: String!, $p: String!, $o: String) "
        "{ auth_login(email: $e, password: $p, otp: $o) { access_token } }"
    )

    def sign_in() -> Any:
        harness.client.cookies.clear()
        return harness.client.post(
            "/graphql/system",
            json={"query": login, "variables": {"e": who.email, "p": PASSWORD, "o": codes[0]}},
        ).json()

    first = sign_in()
    again = sign_in()

    assert first["data"]["auth_login"]["access_token"]
    assert again["errors"][0]["extensions"]["code"] == "INVALID_OTP"
    left = harness.client.get("/users/me/tfa/recovery-codes", headers=who.headers)
    assert left.json() == {"data": {"remaining": 9}}


def test_failed_proofs_on_a_passkeys_removal_count_toward_the_lockout(harness: Harness) -> None:
    member = Member(harness)
    created = member.enrol()
    address = {"X-Forwarded-For": "198.51.100.92"}
    path = f"/users/me/passkeys/{created['id']}"
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    try:
        wrong = [
            harness.client.request(
                "DELETE", path, json={"password": "Wrong-1!"}, headers=member.headers | address
            )
            for _ in range(2)
        ]
        locked = harness.client.request(
            "DELETE", path, json={"password": PASSWORD}, headers=member.headers | address
        )
        sign_in = harness.client.post(
            "/auth/login", json={"email": member.email, "password": PASSWORD}, headers=address
        )
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert [_error(w) for w in wrong] == [(401, "INVALID_CREDENTIALS")] * 2
    assert _error(locked) == (401, "INVALID_CREDENTIALS")
    assert _error(sign_in) == (401, "INVALID_CREDENTIALS")
    listed = harness.client.get("/users/me/passkeys", headers=member.headers).json()["data"]
    assert [p["id"] for p in listed] == [created["id"]]
