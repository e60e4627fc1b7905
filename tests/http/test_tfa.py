"""Two-factor: enrolment, login with codes, skew of one step, no replay."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from authgate import totp
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness

# the user, their Authorization header and their TOTP secret
Enrolled = tuple[dict[str, Any], dict[str, str], str]


def _code(harness: Harness, secret: str, steps_back: int = 0) -> str:
    return totp.code_at(secret, totp.step_at(harness.clock.now()) - steps_back)


@pytest.fixture
def enrolled(harness: Harness) -> Enrolled:
    role = harness.create_role("TFA users")
    harness.grant(
        role, "directus_users", "update", fields="tfa_secret", rule={"id": {"_eq": "$CURRENT_USER"}}
    )
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    secret = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=headers
    ).json()["data"]["secret"]
    response = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": _code(harness, secret)},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    harness.clock.advance(60)  # past the step the enrolment code used (and the one before)
    return user, headers, secret


def test_generate_returns_a_secret_and_an_otpauth_url(harness: Harness) -> None:
    response = harness.client.post(
        "/users/me/tfa/generate", json={"password": ADMIN_PASSWORD}, headers=harness.admin
    )

    data = response.json()["data"]
    assert len(data["secret"]) == 16
    url = urlsplit(data["otpauth_url"])
    assert url.scheme == "otpauth"
    assert url.netloc == "totp"
    assert unquote(url.path) == f"/Directus:{ADMIN_EMAIL}"
    assert parse_qs(url.query) == {
        "secret": [data["secret"]],
        "period": ["30"],
        "digits": ["6"],
        "algorithm": ["SHA1"],
        "issuer": ["Directus"],
    }


def test_generate_checks_the_password(harness: Harness) -> None:
    wrong = harness.client.post(
        "/users/me/tfa/generate", json={"password": "nope"}, headers=harness.admin
    )
    missing = harness.client.post("/users/me/tfa/generate", json={}, headers=harness.admin)
    anonymous = harness.client.post("/users/me/tfa/generate", json={"password": "x"})

    assert (wrong.status_code, wrong.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "INVALID_CREDENTIALS",
    )
    assert missing.json()["errors"][0]["message"] == 'Invalid payload. "password" is required.'
    assert anonymous.status_code == 401


@pytest.mark.parametrize("password", [1, True, ["x"], {"a": "x"}])
def test_a_password_that_is_not_a_string_is_a_missing_one(
    harness: Harness, password: object
) -> None:
    # Difference 48: Directus fails with 500 (or 401 for an array).
    response = harness.client.post(
        "/users/me/tfa/generate", json={"password": password}, headers=harness.admin
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": 'Invalid payload. "password" is required.',
        "extensions": {"reason": '"password" is required', "code": "INVALID_PAYLOAD"},
    }


def test_login_needs_the_code(harness: Harness, enrolled: Enrolled) -> None:
    user, _, secret = enrolled

    without = harness.login(user["email"])
    wrong = harness.login(
        user["email"], otp="000000" if _code(harness, secret) != "000000" else "111111"
    )
    right = harness.login(user["email"], otp=_code(harness, secret))

    assert (without.status_code, without.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "INVALID_OTP",
    )
    assert wrong.json()["errors"][0]["extensions"]["code"] == "INVALID_OTP"
    assert right.status_code == 200


def test_the_previous_step_is_accepted_and_older_ones_are_not(
    harness: Harness, enrolled: Enrolled
) -> None:
    user, _, secret = enrolled

    previous = harness.login(user["email"], otp=_code(harness, secret, steps_back=1))
    harness.clock.advance(30)
    too_old = harness.login(user["email"], otp=_code(harness, secret, steps_back=2))

    assert previous.status_code == 200
    assert too_old.status_code == 401


def test_a_code_works_only_once(harness: Harness, enrolled: Enrolled) -> None:
    user, _, secret = enrolled
    code = _code(harness, secret)

    first = harness.login(user["email"], otp=code)
    replay = harness.login(user["email"], otp=code)

    assert first.status_code == 200
    assert (replay.status_code, replay.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "INVALID_OTP",
    )


def test_the_secret_is_sealed_at_rest(harness: Harness, enrolled: Enrolled) -> None:
    user, _, secret = enrolled

    stored = harness.sql("SELECT tfa_secret FROM directus_users WHERE id = :id", id=user["id"])[0][
        0
    ]
    read = harness.client.get(
        "/users/me", params={"fields": "tfa_secret"}, headers=harness.admin | {}
    )

    assert secret not in stored
    assert stored.startswith("enc1.")
    assert read.status_code == 200


def test_enable_errors(harness: Harness, enrolled: Enrolled) -> None:
    _, headers, secret = enrolled

    already = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": _code(harness, secret)},
        headers=headers,
    )
    no_otp = harness.client.post("/users/me/tfa/enable", json={"secret": secret}, headers=headers)
    no_secret = harness.client.post("/users/me/tfa/enable", json={"otp": "123456"}, headers=headers)

    assert (
        already.json()["errors"][0]["message"]
        == "Invalid payload. TFA Secret is already set for this user."
    )
    assert no_otp.json()["errors"][0]["message"] == 'Invalid payload. "otp" is required.'
    assert no_secret.json()["errors"][0]["message"] == 'Invalid payload. "secret" is required.'


def test_enable_with_a_wrong_code_stores_nothing(harness: Harness) -> None:
    role = harness.create_role("TFA tryers")
    harness.grant(
        role, "directus_users", "update", fields="tfa_secret", rule={"id": {"_eq": "$CURRENT_USER"}}
    )
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    secret = totp.generate_secret()
    wrong = "000000" if _code(harness, secret) != "000000" else "111111"

    response = harness.client.post(
        "/users/me/tfa/enable", json={"secret": secret, "otp": wrong}, headers=headers
    )

    assert response.json()["errors"][0]["message"] == 'Invalid payload. "otp" is invalid.'
    assert harness.login(user["email"]).status_code == 200


def test_enable_needs_update_permission_on_the_secret(harness: Harness) -> None:
    user = harness.create_user()
    headers = harness.bearer(user["email"])
    secret = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=headers
    ).json()["data"]["secret"]

    response = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": _code(harness, secret)},
        headers=headers,
    )

    assert response.status_code == 403


def test_disable_with_a_code_and_by_an_admin(harness: Harness, enrolled: Enrolled) -> None:
    user, headers, secret = enrolled

    wrong = harness.client.post("/users/me/tfa/disable", json={"otp": "abcdef"}, headers=headers)
    right = harness.client.post(
        "/users/me/tfa/disable", json={"otp": _code(harness, secret)}, headers=headers
    )
    again = harness.client.post("/users/me/tfa/disable", json={"otp": "123456"}, headers=headers)

    assert wrong.json()["errors"][0]["message"] == 'Invalid payload. "otp" is invalid.'
    assert right.status_code == 204
    assert (
        again.json()["errors"][0]["message"]
        == f'Invalid payload. User "{user["id"]}" doesn\'t have TFA enabled.'
    )
    assert harness.login(user["email"]).status_code == 200


def test_admin_disables_another_users_tfa(harness: Harness, enrolled: Enrolled) -> None:
    user, headers, _ = enrolled

    refused = harness.client.post(f"/users/{user['id']}/tfa/disable", headers=headers)
    done = harness.client.post(f"/users/{user['id']}/tfa/disable", headers=harness.admin)

    assert refused.status_code == 403
    assert done.status_code == 204
    assert harness.login(user["email"]).status_code == 200


def test_enforce_tfa_claim_at_login(harness: Harness) -> None:
    role = harness.create_role("Enforced", enforce_tfa=True)
    user = harness.create_user(role=role)

    token = harness.tokens(user["email"])["access_token"]

    from authgate.tokens import jwt

    claims = jwt.verify(token, harness.settings.secret.reveal(), now=harness.clock.now())
    assert claims["enforce_tfa"] is True
