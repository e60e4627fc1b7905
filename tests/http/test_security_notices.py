"""Security notices: a mail to the owner when the password changes (self, reset, admin), the
email address changes (to the old address), two-factor is turned on or off, recovery codes
are made or used (tests/http/test_recovery_codes.py), and the account is locked (once per
lock, at most once an hour). Sent after the commit, whatever ``email_notifications`` says;
never a secret, a code or a link that signs in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, Harness
from tests.support.factors import code, enrolled_user

ENV = {"IP_TRUST_PROXY": "true"}
NEW = "N3w-Passw0rd!"


def _notices(harness: Harness, to: str, template: str | None = None) -> list[Any]:
    return [
        m
        for m in harness.outbox.sent
        if m.to == to and m.template.startswith("security-") and template in (None, m.template)
    ]


def _no_secret_and_no_sign_in_link(mail: Any, *secrets: str) -> None:
    links = re.findall(r'href="([^"]*)"', mail.html) + re.findall(r"https?://[^\s)]+", mail.text)
    for link in links:
        assert "token" not in link.lower()
        assert urlsplit(link).path in ("", "/", "/admin/account"), link
    for secret in secrets:
        assert secret not in mail.html
        assert secret not in mail.text


@pytest.fixture(scope="module")
def self_service(harness: Harness) -> str:
    role = harness.create_role("Self service")
    own = {"id": {"_eq": "$CURRENT_USER"}}
    harness.grant(role, "directus_users", "read", rule=own)
    harness.grant(role, "directus_users", "update", fields="password,email", rule=own)
    return role


@pytest.fixture
def user(harness: Harness, self_service: str) -> dict[str, Any]:
    # email_notifications off: security notices go anyway (they are not notifications)
    return harness.create_user(role=self_service, email_notifications=False)


def test_changing_ones_own_password_mails_the_owner(harness: Harness, user: dict[str, Any]) -> None:
    headers = harness.bearer(user["email"])

    changed = harness.client.patch("/users/me", json={"password": NEW}, headers=headers)

    assert changed.status_code == 200
    [mail] = _notices(harness, user["email"])
    assert mail.template == "security-password-changed"
    assert mail.subject == "Your password was changed"
    _no_secret_and_no_sign_in_link(mail, NEW, PASSWORD)


def test_an_administrator_changing_the_password_mails_the_owner(
    harness: Harness, user: dict[str, Any]
) -> None:
    changed = harness.client.patch(
        f"/users/{user['id']}", json={"password": NEW}, headers=harness.admin
    )

    assert changed.status_code == 200
    assert [m.template for m in _notices(harness, user["email"])] == ["security-password-changed"]


def test_a_password_reset_mails_the_owner(harness: Harness, user: dict[str, Any]) -> None:
    harness.client.post("/auth/password/request", json={"email": user["email"]})
    link = [m for m in harness.outbox.sent if m.template == "password-reset"][-1].data["url"]
    token = parse_qs(urlsplit(link).query)["token"][0]

    reset = harness.client.post("/auth/password/reset", json={"token": token, "password": NEW})

    assert reset.status_code == 204
    [mail] = _notices(harness, user["email"])
    assert mail.template == "security-password-changed"
    _no_secret_and_no_sign_in_link(mail, NEW, token)


def test_a_refused_change_mails_nothing(harness: Harness, user: dict[str, Any]) -> None:
    harness.client.patch(
        "/settings", json={"auth_password_policy": "/^.{40,}$/"}, headers=harness.admin
    )
    try:
        refused = harness.client.patch(
            "/users/me", json={"password": NEW}, headers=harness.bearer(user["email"])
        )
    finally:
        harness.client.patch(
            "/settings", json={"auth_password_policy": None}, headers=harness.admin
        )

    assert refused.status_code == 400
    assert _notices(harness, user["email"]) == []


def test_an_email_change_mails_the_old_address(harness: Harness, user: dict[str, Any]) -> None:
    new_address = f"new-{user['email']}"

    changed = harness.client.patch(
        f"/users/{user['id']}", json={"email": new_address}, headers=harness.admin
    )
    same = harness.client.patch(
        f"/users/{user['id']}", json={"email": new_address.upper()}, headers=harness.admin
    )

    assert changed.status_code == 200
    assert same.status_code == 200
    [mail] = _notices(harness, user["email"])
    assert mail.template == "security-email-changed"
    assert _notices(harness, new_address) == []


def test_turning_two_factor_on_and_off_mails_the_owner(harness: Harness) -> None:
    who = enrolled_user(harness)

    off = harness.client.post(
        "/users/me/tfa/disable", json={"otp": code(harness, who.secret)}, headers=who.headers
    )

    assert off.status_code == 204
    templates = [m.template for m in _notices(harness, who.email)]
    assert templates == ["security-tfa-enabled", "security-tfa-disabled"]
    for mail in _notices(harness, who.email):
        _no_secret_and_no_sign_in_link(mail, who.secret)


def test_a_lock_mails_once_however_many_addresses_are_locked_out(
    harness: Harness, user: dict[str, Any]
) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    try:
        for address in ("198.51.100.80", "198.51.100.81", "198.51.100.82"):
            for _ in range(4):  # two fail, two more are refused while locked
                harness.client.post(
                    "/auth/login",
                    json={"email": user["email"], "password": "Wrong-Passw0rd!"},
                    headers={"X-Forwarded-For": address},
                )
        within_the_hour = len(_notices(harness, user["email"], "security-account-locked"))
        harness.clock.advance(3601)
        for _ in range(2):
            harness.client.post(
                "/auth/login",
                json={"email": user["email"], "password": "Wrong-Passw0rd!"},
                headers={"X-Forwarded-For": "198.51.100.83"},
            )
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert within_the_hour == 1
    locks = _notices(harness, user["email"], "security-account-locked")
    assert len(locks) == 2
    assert locks[0].subject == "Sign-in to your account was locked"
    _no_secret_and_no_sign_in_link(locks[0], "Wrong-Passw0rd!")


def test_graphql_and_batch_changes_mail_each_owner(harness: Harness, user: dict[str, Any]) -> None:
    """The other ways to write a user: GraphQL's ``update_users_me`` and ``update_users_item``,
    and an administrator's ``PATCH /users`` over several keys."""
    headers = harness.bearer(user["email"])
    own = harness.client.post(
        "/graphql/system",
        json={
            "query": "mutation($p: Hash!) { update_users_me(data: {password: $p}) { id } }",
            "variables": {"p": NEW},
        },
        headers=headers,
    )
    other = harness.create_user(email_notifications=False)
    moved = other["email"].replace("@", "+moved@")
    item = harness.client.post(
        "/graphql/system",
        json={
            "query": "mutation($id: ID!, $e: String!) { update_users_item(id: $id, data: "
            "{email: $e}) { id } }",
            "variables": {"id": other["id"], "e": moved},
        },
        headers=harness.admin,
    )
    third = harness.create_user(email_notifications=False)
    batch = harness.client.patch(
        "/users",
        json={"keys": [user["id"], third["id"]], "data": {"password": PASSWORD}},
        headers=harness.admin,
    )

    assert "errors" not in own.json(), own.text
    assert "errors" not in item.json(), item.text
    assert batch.status_code == 200, batch.text
    assert len(_notices(harness, user["email"], "security-password-changed")) == 2
    assert len(_notices(harness, other["email"], "security-email-changed")) == 1
    assert _notices(harness, moved) == []
    assert len(_notices(harness, third["email"], "security-password-changed")) == 1
