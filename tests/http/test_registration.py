"""Public registration and email verification (off unless the project turns it on)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, Harness, unique_email


@pytest.fixture
def registration_on(harness: Harness) -> Iterator[None]:
    harness.client.patch(
        "/settings",
        json={"public_registration": True, "public_registration_verify_email": True},
        headers=harness.admin,
    )
    yield
    harness.client.patch(
        "/settings",
        json={
            "public_registration": False,
            "public_registration_email_filter": None,
            "public_registration_role": None,
        },
        headers=harness.admin,
    )


def _token(harness: Harness, email: str) -> str:
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    url: str = mail.data["url"]
    return parse_qs(urlsplit(url).query)["token"][0]


def test_registration_is_off_by_default(harness: Harness) -> None:
    response = harness.client.post(
        "/users/register", json={"email": unique_email(), "password": PASSWORD}
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_register_verify_then_login(harness: Harness, registration_on: None) -> None:
    email = unique_email()

    registered = harness.client.post(
        "/users/register", json={"email": email, "password": PASSWORD, "first_name": "Reg"}
    )
    before = harness.login(email)
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    verified = harness.client.get(
        "/users/register/verify-email",
        params={"token": _token(harness, email)},
        follow_redirects=False,
    )

    assert registered.status_code == 204
    assert before.status_code == 401
    assert mail.subject == "Verify your email address"
    assert mail.data["url"].startswith("http://authgate.test/users/register/verify-email?token=")
    assert verified.status_code == 302
    assert verified.headers["location"].startswith("/admin/users/")
    assert harness.login(email).status_code == 200


def test_existing_accounts_are_not_revealed(harness: Harness, registration_on: None) -> None:
    existing = harness.create_user()
    before = len(harness.outbox.sent)

    response = harness.client.post(
        "/users/register", json={"email": existing["email"].upper(), "password": PASSWORD}
    )

    assert response.status_code == 204
    assert len(harness.outbox.sent) == before


def test_an_unverified_account_gets_the_mail_again(harness: Harness, registration_on: None) -> None:
    email = unique_email()
    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})

    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})

    assert len([m for m in harness.outbox.sent if m.to == email]) == 2


def _register(harness: Harness, email: str, password: str, name: str) -> str:
    answer = harness.client.post(
        "/users/register", json={"email": email, "password": password, "first_name": name}
    )
    assert answer.status_code == 204, answer.text
    return _token(harness, email)


def _verify(harness: Harness, token: str) -> httpx.Response:
    return harness.client.get(
        "/users/register/verify-email", params={"token": token}, follow_redirects=False
    )


INVALID_CODE = {
    "message": "Invalid payload. Invalid verification code.",
    "extensions": {"reason": "Invalid verification code", "code": "INVALID_PAYLOAD"},
}


def _account(harness: Harness, email: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = harness.client.get(
        "/users",
        params={"filter[email][_eq]": email, "fields": "first_name,status"},
        headers=harness.admin,
    ).json()["data"]
    return found


@pytest.mark.parametrize("order", ["attacker first", "owner first"])
def test_a_registration_of_a_pending_address_cannot_hijack_it_in_either_order(
    harness: Harness, registration_on: None, order: str
) -> None:
    """Decision 17. Both registrations mail a link to the address (the attacker cannot read
    it); the owner's own link activates the owner's password, whichever came first, and the
    other link is dead afterwards."""
    email = unique_email()
    attacker_password = "Attacker-Chosen-1"
    if order == "attacker first":
        attackers_link = _register(harness, email, attacker_password, "Mallory")
        owners_link = _register(harness, email, PASSWORD, "Owner")
    else:
        owners_link = _register(harness, email, PASSWORD, "Owner")
        attackers_link = _register(harness, email, attacker_password, "Mallory")

    before = harness.login(email, attacker_password)
    verified = _verify(harness, owners_link)
    other = _verify(harness, attackers_link)

    assert before.status_code == 401
    assert verified.status_code == 302
    assert other.status_code == 400
    assert other.json()["errors"][0] == INVALID_CODE
    assert harness.login(email, attacker_password).status_code == 401
    assert harness.login(email).status_code == 200
    assert _account(harness, email) == [{"first_name": "Owner", "status": "active"}]


def test_an_unverified_account_holds_no_password_until_verified(
    harness: Harness, registration_on: None
) -> None:
    email = unique_email()
    _register(harness, email, PASSWORD, "Owner")

    stored = harness.sql("SELECT password FROM directus_users WHERE email = :e", e=email)

    assert stored == [(None,)]


def test_without_verification_the_account_is_active_at_once(
    harness: Harness, registration_on: None
) -> None:
    harness.client.patch(
        "/settings", json={"public_registration_verify_email": False}, headers=harness.admin
    )
    email = unique_email()

    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})

    assert harness.login(email).status_code == 200


def test_the_email_filter(harness: Harness, registration_on: None) -> None:
    harness.client.patch(
        "/settings",
        json={"public_registration_email_filter": {"email": {"_ends_with": "@allowed.example"}}},
        headers=harness.admin,
    )

    refused = harness.client.post(
        "/users/register", json={"email": unique_email(), "password": PASSWORD}
    )
    accepted = harness.client.post(
        "/users/register", json={"email": "someone@allowed.example", "password": PASSWORD}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 204


def test_unknown_keys_and_bad_urls_are_refused(harness: Harness, registration_on: None) -> None:
    extra = harness.client.post(
        "/users/register", json={"email": unique_email(), "password": PASSWORD, "role": "x"}
    )
    url = harness.client.post(
        "/users/register",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "verification_url": "http://evil.test/v",
        },
    )

    assert extra.json()["errors"][0]["message"] == 'Invalid payload. "role" is not allowed.'
    assert url.json()["errors"][0]["message"] == (
        'Invalid payload. URL "http://evil.test/v" can\'t be used to verify registered users.'
    )


def test_a_weak_password_is_refused_whether_or_not_the_account_exists(
    harness: Harness, registration_on: None
) -> None:
    existing = harness.create_user()
    harness.client.patch(
        "/settings", json={"auth_password_policy": "/^.{20,}$/"}, headers=harness.admin
    )
    try:
        new = harness.client.post(
            "/users/register", json={"email": unique_email(), "password": "short"}
        )
        old = harness.client.post(
            "/users/register", json={"email": existing["email"], "password": "short"}
        )
    finally:
        harness.client.patch(
            "/settings", json={"auth_password_policy": None}, headers=harness.admin
        )

    assert new.status_code == old.status_code == 400
    assert new.json() == old.json()


def test_verify_email_edge_cases(harness: Harness) -> None:
    empty = harness.client.get("/users/register/verify-email?token=", follow_redirects=False)
    missing = harness.client.get("/users/register/verify-email", follow_redirects=False)
    garbage = harness.client.get(
        "/users/register/verify-email?token=garbage", follow_redirects=False
    )

    assert (empty.status_code, empty.headers["location"]) == (302, "/admin/login")
    assert (missing.status_code, missing.json()["errors"][0]["extensions"]["code"]) == (
        403,
        "INVALID_TOKEN",
    )
    assert garbage.status_code == 403


def test_verifying_twice_is_an_invalid_code(harness: Harness, registration_on: None) -> None:
    email = unique_email()
    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})
    token = _token(harness, email)
    harness.client.get(
        "/users/register/verify-email", params={"token": token}, follow_redirects=False
    )

    again = harness.client.get(
        "/users/register/verify-email", params={"token": token}, follow_redirects=False
    )

    assert again.status_code == 400
    assert again.json()["errors"][0]["message"] == "Invalid payload. Invalid verification code."


def test_registered_users_get_the_configured_role(harness: Harness, registration_on: None) -> None:
    role = harness.create_role("Registered")
    harness.client.patch(
        "/settings",
        json={"public_registration_verify_email": False, "public_registration_role": role},
        headers=harness.admin,
    )
    email = unique_email()

    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})

    found = harness.client.get(
        "/users",
        params={"filter[email][_eq]": email, "fields": "role,status"},
        headers=harness.admin,
    )
    assert found.json()["data"] == [{"role": role, "status": "active"}]


def test_registrations_of_one_address_are_limited_silently(
    harness: Harness, registration_on: None
) -> None:
    email = unique_email()
    answers = [
        harness.client.post("/users/register", json={"email": email, "password": f"{PASSWORD}{i}"})
        for i in range(5)
    ]
    mails = [m for m in harness.outbox.sent if m.to == email]
    last_mailed = _token(harness, email)

    verified = harness.client.get(
        "/users/register/verify-email", params={"token": last_mailed}, follow_redirects=False
    )

    assert [a.status_code for a in answers] == [204] * 5
    assert len(mails) == 3
    # Past the limit nothing was written either: the third registration's link still works,
    # with the third registrant's password.
    assert verified.status_code == 302
    assert harness.login(email, f"{PASSWORD}2").status_code == 200
    assert harness.login(email, f"{PASSWORD}4").status_code == 401
