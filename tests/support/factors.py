"""Helpers for second-factor tests: enrol TOTP through the API, the current code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate import totp
from tests.conftest import PASSWORD, Harness


@dataclass(frozen=True)
class Enrolled:
    user: dict[str, Any]
    headers: dict[str, str]
    secret: str

    @property
    def email(self) -> str:
        return str(self.user["email"])


def code(harness: Harness, secret: str, steps_back: int = 0) -> str:
    return totp.code_at(secret, totp.step_at(harness.clock.now()) - steps_back)


def tfa_role(harness: Harness, name: str, *, enforce_tfa: bool = False, app: bool = False) -> str:
    """A role whose policy lets its users read themselves and set their own TFA secret."""
    role = harness.create_role(name, enforce_tfa=enforce_tfa, app=app)
    own = {"id": {"_eq": "$CURRENT_USER"}}
    harness.grant(role, "directus_users", "update", fields="tfa_secret", rule=own)
    harness.grant(role, "directus_users", "read", rule=own)
    return role


def enrol(harness: Harness, headers: dict[str, str], password: str = PASSWORD) -> str:
    """Generate and enable TOTP for the caller; the clock is moved past the code's step."""
    generated = harness.client.post(
        "/users/me/tfa/generate", json={"password": password}, headers=headers
    )
    assert generated.status_code == 200, generated.text
    secret = str(generated.json()["data"]["secret"])
    enabled = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": code(harness, secret)},
        headers=headers,
    )
    assert enabled.status_code == 204, enabled.text
    harness.clock.advance(60)
    return secret


def enrolled_user(harness: Harness, role: str | None = None) -> Enrolled:
    role = role or tfa_role(harness, "TFA users")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    secret = enrol(harness, headers)
    # A token of the enrolled user (its sessions stay; the clock moved on).
    return Enrolled(user, headers, secret)


def make_codes(harness: Harness, who: Enrolled) -> list[str]:
    response = harness.client.post(
        "/users/me/tfa/recovery-codes",
        json={"password": PASSWORD, "otp": code(harness, who.secret)},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    harness.clock.advance(60)
    return list(response.json()["data"]["codes"])
