"""Recovery codes: made with the password and a current code, shown once, stored hashed,
each usable once in place of a TOTP code (sign-in, ``tfa/disable``), even under concurrency;
using one mails the owner; ``GET /users/me`` shows nothing of them."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import PASSWORD, Harness
from tests.support.factors import Enrolled, code, enrolled_user, make_codes

ENV = {"IP_TRUST_PROXY": "true"}


@pytest.fixture
def who(harness: Harness) -> Enrolled:
    return enrolled_user(harness)


def _stored(harness: Harness, user: str) -> list[str]:
    rows = harness.sql('SELECT digest FROM authgate_recovery_codes WHERE "user" = :u', u=user)
    return [str(row[0]) for row in rows]


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]


def _mails(harness: Harness, template: str, to: str) -> list[Any]:
    return [m for m in harness.outbox.sent if m.template == template and m.to == to]


def test_ten_codes_are_shown_once_and_only_their_keyed_hashes_are_stored(
    harness: Harness, who: Enrolled
) -> None:
    me_before = harness.client.get("/users/me", headers=who.headers).json()["data"]

    codes = make_codes(harness, who)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    stored = _stored(harness, who.user["id"])
    assert len(stored) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in stored)
    assert not {c.replace("-", "") for c in codes} & set(stored)
    me_after = harness.client.get("/users/me", headers=who.headers).json()["data"]
    assert me_after.keys() == me_before.keys()
    assert not any(c in str(me_after) for c in codes)
    left = harness.client.get("/users/me/tfa/recovery-codes", headers=who.headers)
    assert left.json() == {"data": {"remaining": 10}}
    made = _mails(harness, "security-recovery-codes", who.email)
    assert len(made) == 1
    assert not any(c in made[0].html or c in made[0].text for c in codes)


def test_making_codes_needs_the_password_and_a_current_code(
    harness: Harness, who: Enrolled
) -> None:
    url = "/users/me/tfa/recovery-codes"
    now = code(harness, who.secret)
    wrong_otp = "000000" if now != "000000" else "111111"

    no_password = harness.client.post(url, json={"otp": now}, headers=who.headers)
    no_otp = harness.client.post(url, json={"password": PASSWORD}, headers=who.headers)
    bad_password = harness.client.post(
        url, json={"password": "Wrong-1!", "otp": now}, headers=who.headers
    )
    bad_otp = harness.client.post(
        url, json={"password": PASSWORD, "otp": wrong_otp}, headers=who.headers
    )
    anonymous = harness.client.post(url, json={"password": PASSWORD, "otp": now})

    assert _error(no_password) == (400, "INVALID_PAYLOAD")
    assert _error(no_otp) == (400, "INVALID_PAYLOAD")
    assert _error(bad_password) == (401, "INVALID_CREDENTIALS")
    assert _error(bad_otp) == (400, "INVALID_PAYLOAD")
    assert bad_otp.json()["errors"][0]["message"] == 'Invalid payload. "otp" is invalid.'
    assert _error(anonymous) == (401, "INVALID_CREDENTIALS")
    assert _stored(harness, who.user["id"]) == []


def test_a_user_without_two_factor_gets_no_codes(harness: Harness) -> None:
    user = harness.create_user()
    response = harness.client.post(
        "/users/me/tfa/recovery-codes",
        json={"password": PASSWORD, "otp": "123456"},
        headers=harness.bearer(user["email"]),
    )

    assert _error(response) == (400, "INVALID_PAYLOAD")
    assert "doesn't have TFA enabled" in response.json()["errors"][0]["message"]


def test_wrong_passwords_and_codes_count_toward_the_lockout(
    harness: Harness, who: Enrolled
) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    address = {"X-Forwarded-For": "198.51.100.70"}
    try:
        url = "/users/me/tfa/recovery-codes"
        headers = who.headers | address
        now = code(harness, who.secret)
        wrong = "000000" if now != "000000" else "111111"
        harness.client.post(url, json={"password": "Wrong-1!", "otp": now}, headers=headers)
        harness.client.post(url, json={"password": PASSWORD, "otp": wrong}, headers=headers)
        locked = harness.client.post(url, json={"password": PASSWORD, "otp": now}, headers=headers)
        sign_in = harness.client.post(
            "/auth/login",
            json={"email": who.email, "password": PASSWORD, "otp": now},
            headers=address,
        )
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert _error(locked) == (401, "INVALID_CREDENTIALS")
    assert sign_in.status_code == 401
    assert len(_mails(harness, "security-account-locked", who.email)) == 1


@pytest.mark.parametrize("mode", ["json", "cookie", "session"])
def test_a_code_signs_in_once_in_place_of_the_one_time_code(
    harness: Harness, who: Enrolled, mode: str
) -> None:
    codes = make_codes(harness, who)
    typed = codes[3].upper().replace("-", " ")  # case and separators do not matter

    first = harness.login(who.email, otp=typed, mode=mode)
    again = harness.login(who.email, otp=codes[3], mode=mode)
    other = harness.login(who.email, otp=codes[4], mode=mode)

    assert first.status_code == 200, first.text
    assert _error(again) == (401, "INVALID_OTP")
    assert other.status_code == 200
    assert len(_stored(harness, who.user["id"])) == 8
    used = _mails(harness, "security-recovery-code-used", who.email)
    assert [m.data["remaining"] for m in used] == [9, 8]
    assert not any(c in used[0].html for c in codes)


def test_a_code_works_only_for_its_own_user(harness: Harness, who: Enrolled) -> None:
    codes = make_codes(harness, who)
    other = enrolled_user(harness)

    response = harness.login(other.email, otp=codes[0])

    assert _error(response) == (401, "INVALID_OTP")
    assert len(_stored(harness, who.user["id"])) == 10


def test_new_codes_replace_the_earlier_ones(harness: Harness, who: Enrolled) -> None:
    earlier = make_codes(harness, who)
    later = make_codes(harness, who)

    assert _error(harness.login(who.email, otp=earlier[0])) == (401, "INVALID_OTP")
    assert harness.login(who.email, otp=later[0]).status_code == 200


def test_a_code_turns_two_factor_off_and_that_removes_every_code(
    harness: Harness, who: Enrolled
) -> None:
    codes = make_codes(harness, who)

    response = harness.client.post(
        "/users/me/tfa/disable", json={"otp": codes[0]}, headers=who.headers
    )

    assert response.status_code == 204, response.text
    assert _stored(harness, who.user["id"]) == []
    assert harness.login(who.email).status_code == 200  # no code needed any more
    assert len(_mails(harness, "security-tfa-disabled", who.email)) == 1


def test_an_administrator_turning_two_factor_off_removes_the_codes(
    harness: Harness, who: Enrolled
) -> None:
    make_codes(harness, who)

    response = harness.client.post(f"/users/{who.user['id']}/tfa/disable", headers=harness.admin)

    assert response.status_code == 204
    assert _stored(harness, who.user["id"]) == []
    mail = _mails(harness, "security-tfa-disabled", who.email)
    assert mail[-1].data["by_admin"] is True


def test_forty_concurrent_sign_ins_with_one_code_succeed_once(
    harness: Harness, who: Enrolled
) -> None:
    codes = make_codes(harness, who)
    harness.client.patch("/settings", json={"auth_login_attempts": None}, headers=harness.admin)
    try:

        def sign_in(n: int) -> int:
            response = harness.client.post(
                "/auth/login",
                json={"email": who.email, "password": PASSWORD, "otp": codes[0]},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(sign_in, range(40)))
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert sorted(answers) == [200] + [401] * 39
    assert len(_stored(harness, who.user["id"])) == 9
    assert len(_mails(harness, "security-recovery-code-used", who.email)) == 1


def test_the_openapi_document_lists_the_recovery_codes_route(harness: Harness) -> None:
    spec = harness.client.get("/server/specs/oas", headers=harness.admin).json()

    operations = spec["paths"]["/users/me/tfa/recovery-codes"]
    assert set(operations) >= {"get", "post"}
    body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["otp"]
