"""Invitations: created by those who may create users; accepted once through the mail link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.conftest import PASSWORD, Harness, unique_email


def _admin_role(harness: Harness) -> str:
    role: str = harness.client.get(
        "/users/me", params={"fields": "role"}, headers=harness.admin
    ).json()["data"]["role"]
    return role


def _token(harness: Harness, email: str) -> str:
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    return parse_qs(urlsplit(mail.data["url"]).query)["token"][0]


def test_invite_mail_and_accept(harness: Harness) -> None:
    role = harness.create_role("Invited people")
    email = unique_email()

    invited = harness.client.post(
        "/users/invite", json={"email": email, "role": role}, headers=harness.admin
    )
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    accepted = harness.client.post(
        "/users/invite/accept", json={"token": _token(harness, email), "password": PASSWORD}
    )
    again = harness.client.post(
        "/users/invite/accept", json={"token": _token(harness, email), "password": PASSWORD}
    )

    assert invited.status_code == 204
    assert mail.subject == "You've been invited"
    assert mail.data["url"].startswith("http://authgate.test/admin/accept-invite?token=")
    assert accepted.status_code == 204
    assert harness.login(email).status_code == 200
    assert again.status_code == 400
    assert again.json()["errors"][0] == {
        "message": "This invite is no longer valid.",
        "extensions": {"code": "INVALID_INVITE"},
    }


def test_invite_many_and_custom_url(harness: Harness) -> None:
    emails = [unique_email(), unique_email()]

    response = harness.client.post(
        "/users/invite",
        json={
            "email": emails,
            "role": _admin_role(harness),
            "invite_url": "http://example.com/invite",
        },
        headers=harness.admin,
    )

    assert response.status_code == 204
    for email in emails:
        mail = [m for m in harness.outbox.sent if m.to == email][-1]
        assert mail.data["url"].startswith("http://example.com/invite?token=")


def test_validation(harness: Harness) -> None:
    not_v4 = harness.client.post(
        "/users/invite",
        json={"email": unique_email(), "role": "11111111-1111-1111-1111-111111111111"},
        headers=harness.admin,
    )
    bad_url = harness.client.post(
        "/users/invite",
        json={
            "email": unique_email(),
            "role": _admin_role(harness),
            "invite_url": "http://evil.test/i",
        },
        headers=harness.admin,
    )
    unknown_key = harness.client.post(
        "/users/invite/accept", json={"token": "x", "password": "y", "z": 1}
    )

    assert not_v4.json()["errors"][0]["message"] == 'Invalid payload. "role" must be a valid GUID.'
    assert (
        bad_url.json()["errors"][0]["message"]
        == 'Invalid payload. URL "http://evil.test/i" can\'t be used to invite users.'
    )
    assert unknown_key.json()["errors"][0]["message"] == 'Invalid payload. "z" is not allowed.'


def test_an_anonymous_invite_is_silently_ignored(harness: Harness) -> None:
    email = unique_email()

    response = harness.client.post(
        "/users/invite", json={"email": email, "role": _admin_role(harness)}
    )

    assert response.status_code == 204
    assert not [m for m in harness.outbox.sent if m.to == email]
    assert (
        harness.client.get(
            "/users", params={"filter[email][_eq]": email}, headers=harness.admin
        ).json()["data"]
        == []
    )


def test_active_users_are_not_invited_again(harness: Harness) -> None:
    user = harness.create_user()

    harness.client.post(
        "/users/invite",
        json={"email": user["email"], "role": _admin_role(harness)},
        headers=harness.admin,
    )

    assert not [m for m in harness.outbox.sent if m.to == user["email"]]
    read = harness.client.get(
        f"/users/{user['id']}", params={"fields": "status,role"}, headers=harness.admin
    )
    assert read.json()["data"] == {"status": "active", "role": None}
