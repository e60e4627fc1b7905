"""Second factors under the lockout's rules (decision 15): wrong codes at sign-in, on
``tfa/enable`` and ``tfa/disable``, and wrong passwords on ``tfa/generate`` count toward the
same lock as wrong passwords at sign-in; while it holds nothing is checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authgate import totp
from tests.conftest import PASSWORD, Harness

ENV = {"IP_TRUST_PROXY": "true"}


def _from(address: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "X-Forwarded-For": address}


def _code(harness: Harness, secret: str) -> str:
    return totp.code_at(secret, totp.step_at(harness.clock.now()))


def _wrong_code(harness: Harness, secret: str) -> str:
    right = int(_code(harness, secret))
    return f"{(right + 500_000) % 1_000_000:06d}"


@pytest.fixture
def limit(harness: Harness) -> Iterator[int]:
    harness.client.patch("/settings", json={"auth_login_attempts": 3}, headers=harness.admin)
    yield 3
    harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)


@pytest.fixture
def member(harness: Harness) -> tuple[dict[str, Any], dict[str, str]]:
    """A user with a custom policy (no app access) allowed to set their own tfa_secret."""
    role = harness.create_role("lockout tfa users")
    harness.grant(
        role, "directus_users", "update", fields="tfa_secret", rule={"id": {"_eq": "$CURRENT_USER"}}
    )
    user = harness.create_user(role=role)
    token = harness.client.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        headers=_from("203.0.113.50"),
    ).json()["data"]["access_token"]
    return user, {"Authorization": f"Bearer {token}"}


def _enrol(harness: Harness, headers: dict[str, str], address: str) -> str:
    secret: str = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=_from(address, headers)
    ).json()["data"]["secret"]
    enabled = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": _code(harness, secret)},
        headers=_from(address, headers),
    )
    assert enabled.status_code == 204, enabled.text
    harness.clock.advance(60)
    return secret


def _tfa_secret(harness: Harness, user_id: str) -> str | None:
    secret: str | None = harness.sql(
        "SELECT tfa_secret FROM directus_users WHERE id = :u", u=user_id
    )[0][0]
    return secret


def test_wrong_codes_on_disable_lock_it_and_the_sign_in(
    harness: Harness, limit: int, member: tuple[dict[str, Any], dict[str, str]]
) -> None:
    user, headers = member
    address = "198.51.100.20"
    secret = _enrol(harness, headers, address)

    wrong = [
        harness.client.post(
            "/users/me/tfa/disable",
            json={"otp": _wrong_code(harness, secret)},
            headers=_from(address, headers),
        )
        for _ in range(limit)
    ]
    right = harness.client.post(
        "/users/me/tfa/disable",
        json={"otp": _code(harness, secret)},
        headers=_from(address, headers),
    )
    harness.clock.advance(60)
    sign_in = harness.client.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD, "otp": _code(harness, secret)},
        headers=_from(address),
    )

    assert [r.status_code for r in wrong] == [400] * limit
    assert (right.status_code, right.json()) == (400, wrong[0].json())
    assert _tfa_secret(harness, user["id"]) is not None
    assert sign_in.status_code == 401


def test_wrong_codes_on_enable_count(
    harness: Harness, limit: int, member: tuple[dict[str, Any], dict[str, str]]
) -> None:
    user, headers = member
    address = "198.51.100.21"
    secret = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=_from(address, headers)
    ).json()["data"]["secret"]

    for _ in range(limit):
        harness.client.post(
            "/users/me/tfa/enable",
            json={"secret": secret, "otp": _wrong_code(harness, secret)},
            headers=_from(address, headers),
        )
    right = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": _code(harness, secret)},
        headers=_from(address, headers),
    )

    assert right.status_code == 400
    assert _tfa_secret(harness, user["id"]) is None


def test_a_wrong_password_on_generate_counts_as_a_failed_sign_in(
    harness: Harness, limit: int, member: tuple[dict[str, Any], dict[str, str]]
) -> None:
    user, headers = member
    address = "198.51.100.22"

    wrong = [
        harness.client.post(
            "/users/me/tfa/generate",
            json={"password": "Wrong-Passw0rd!"},
            headers=_from(address, headers),
        ).status_code
        for _ in range(limit)
    ]
    sign_in = harness.client.post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}, headers=_from(address)
    )
    elsewhere = harness.client.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        headers=_from("203.0.113.51"),
    )

    assert wrong == [401] * limit
    assert sign_in.status_code == 401
    assert elsewhere.status_code == 200


def test_wrong_codes_at_sign_in_lock_the_address(
    harness: Harness, limit: int, member: tuple[dict[str, Any], dict[str, str]]
) -> None:
    user, headers = member
    address = "198.51.100.23"
    secret = _enrol(harness, headers, "203.0.113.52")

    wrong = [
        harness.client.post(
            "/auth/login",
            json={
                "email": user["email"],
                "password": PASSWORD,
                "otp": _wrong_code(harness, secret),
            },
            headers=_from(address),
        )
        for _ in range(limit)
    ]
    right = harness.client.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD, "otp": _code(harness, secret)},
        headers=_from(address),
    )

    assert [r.json()["errors"][0]["extensions"]["code"] for r in wrong] == ["INVALID_OTP"] * limit
    assert right.status_code == 401
    status = harness.sql("SELECT status FROM directus_users WHERE id = :u", u=user["id"])
    assert status == [("active",)]
