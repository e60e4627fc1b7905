"""Passkeys with the rest of the second-factor work: a passkey is a second factor for the
API's two-factor enforcement (``users/factors.py``), and adding or removing one mails the
owner (``users/notices.py``). Through HTTP, on SQLite and PostgreSQL + Redis."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, Harness
from tests.http.test_passkeys import Member
from tests.support.factors import tfa_role

ENV = {"IP_TRUST_PROXY": "true"}


@pytest.fixture(scope="module")
def enforcing(harness: Harness) -> str:
    """A custom policy (no app access) that enforces two-factor and may read users."""
    role = tfa_role(harness, "Enforced, passkeys", enforce_tfa=True)
    harness.grant(role, "directus_users", "read", fields="id,email")
    return role


def _code(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_a_passkey_lifts_the_enforcement_for_the_token_already_held(
    harness: Harness, enforcing: str
) -> None:
    member = Member(harness, role=enforcing)
    held_back = harness.client.get("/users", headers=member.headers)
    assert held_back.status_code == 403
    assert _code(held_back) == "TFA_SETUP_REQUIRED"

    member.enrol()  # the enrolment routes are open to it

    after = harness.client.get("/users", headers=member.headers)
    assert after.status_code == 200, after.text


def test_removing_the_last_passkey_brings_the_enforcement_back(
    harness: Harness, enforcing: str
) -> None:
    member = Member(harness, role=enforcing)
    passkey = member.enrol()
    assert harness.client.get("/users", headers=member.headers).status_code == 200

    removed = harness.client.request(
        "DELETE",
        f"/users/me/passkeys/{passkey['id']}",
        json={"password": PASSWORD},
        headers=member.headers,
    )
    assert removed.status_code == 204, removed.text

    again = harness.client.get("/users", headers=member.headers)
    assert again.status_code == 403
    assert _code(again) == "TFA_SETUP_REQUIRED"


def _notices(harness: Harness, to: str) -> list[Any]:
    return [m for m in harness.outbox.sent if m.to == to and m.template.startswith("security-")]


def test_adding_and_removing_a_passkey_mails_the_owner(harness: Harness) -> None:
    member = Member(harness)
    passkey = member.enrol(name="Laptop <b>")
    added = _notices(harness, member.email)
    assert [m.template for m in added] == ["security-passkey-added"]
    assert "Laptop &lt;b&gt;" in added[0].html

    removed = harness.client.request(
        "DELETE",
        f"/users/me/passkeys/{passkey['id']}",
        json={"password": PASSWORD},
        headers=member.headers,
    )
    assert removed.status_code == 204, removed.text
    templates = [m.template for m in _notices(harness, member.email)]
    assert templates == ["security-passkey-added", "security-passkey-removed"]
    for mail in _notices(harness, member.email):
        assert PASSWORD not in mail.text
        assert "token" not in mail.text.lower()


def test_a_refused_registration_mails_nothing(harness: Harness) -> None:
    member = Member(harness)
    member.enrol()
    options = member.options()
    credential = member.authenticator.create(options.json()["data"])  # the same authenticator
    again = harness.client.post(
        "/users/me/passkeys",
        json={"credential": credential, "name": "Again"},
        headers=member.headers,
    )
    assert again.status_code == 400
    assert [m.template for m in _notices(harness, member.email)] == ["security-passkey-added"]
