"""Invitations: created by those who may create users; accepted once through the mail link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, Harness, unique_email


def _admin_role(harness: Harness) -> str:
    role: str = harness.client.get(
        "/users/me", params={"fields": "role"}, headers=harness.admin
    ).json()["data"]["role"]
    return role


def _token(harness: Harness, email: str) -> str:
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    url: str = mail.data["url"]
    return parse_qs(urlsplit(url).query)["token"][0]


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


@pytest.mark.parametrize("email", [None, 1, True, {"a": "b@example.com"}])
def test_an_email_of_another_type_names_the_types_taken(harness: Harness, email: object) -> None:
    response = harness.client.post(
        "/users/invite", json={"email": email, "role": _admin_role(harness)}, headers=harness.admin
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": 'Invalid payload. "email" must be one of [string, array].',
        "extensions": {
            "reason": '"email" must be one of [string, array]',
            "code": "INVALID_PAYLOAD",
        },
    }


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


def _policy_of(harness: Harness, role: str) -> str:
    policy: str = harness.sql("SELECT policy FROM directus_access WHERE role = :r", r=role)[0][0]
    return str(policy)


def _allow(harness: Harness, role: str, action: str, **row: object) -> None:
    body = {"collection": "directus_users", "action": action, "policy": _policy_of(harness, role)}
    response = harness.client.post("/permissions", json={**body, **row}, headers=harness.admin)
    assert response.status_code == 200, response.text


def _invited(harness: Harness, email: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = harness.client.get(
        "/users",
        params={"filter[email][_eq]": email, "fields": "role,status,first_name"},
        headers=harness.admin,
    ).json()["data"]
    return found


def test_an_inviter_is_held_to_the_validation_and_presets_of_its_create_permission(
    harness: Harness,
) -> None:
    editors = harness.create_role("Editors to invite")
    delegates = harness.create_role("Delegates", app=True)
    _allow(
        harness,
        delegates,
        "create",
        fields=["email", "role", "status"],
        validation={"role": {"_eq": editors}},
        presets={"first_name": "Invited by a delegate"},
    )
    delegate = harness.create_user(role=delegates)
    headers = harness.bearer(delegate["email"])
    mallory, editor = unique_email("mallory"), unique_email("editor")

    as_admin = harness.client.post(
        "/users/invite", json={"email": mallory, "role": _admin_role(harness)}, headers=headers
    )
    as_editor = harness.client.post(
        "/users/invite", json={"email": editor, "role": editors}, headers=headers
    )

    assert as_admin.status_code == 400, as_admin.text
    assert as_admin.json()["errors"][0]["extensions"]["code"] == "FAILED_VALIDATION"
    assert as_admin.json()["errors"][0]["extensions"]["field"] == "role"
    assert _invited(harness, mallory) == []
    assert not [m for m in harness.outbox.sent if m.to == mallory]
    assert as_editor.status_code == 204
    assert _invited(harness, editor) == [
        {"role": editors, "status": "invited", "first_name": "Invited by a delegate"}
    ]
    assert [m for m in harness.outbox.sent if m.to == editor]


def test_moving_an_invited_user_to_another_role_needs_the_update_permission(
    harness: Harness,
) -> None:
    editors = harness.create_role("Editors to move")
    others = harness.create_role("Others")
    delegates = harness.create_role("Movers", app=True)
    _allow(harness, delegates, "create", fields=["*"], validation={"role": {"_eq": editors}})
    delegate = harness.create_user(role=delegates)
    headers = harness.bearer(delegate["email"])
    waiting = unique_email("waiting")
    harness.client.post(
        "/users/invite", json={"email": waiting, "role": others}, headers=harness.admin
    )
    mails_before = len([m for m in harness.outbox.sent if m.to == waiting])

    # Without an update permission the move is forbidden (and, as for any forbidden invite,
    # silently answered); with one, its validation applies.
    forbidden = harness.client.post(
        "/users/invite", json={"email": waiting, "role": editors}, headers=headers
    )
    role_after_forbidden = _invited(harness, waiting)[0]["role"]
    _allow(harness, delegates, "update", fields=["role"], validation={"role": {"_eq": editors}})
    to_admin = harness.client.post(
        "/users/invite", json={"email": waiting, "role": _admin_role(harness)}, headers=headers
    )
    to_editors = harness.client.post(
        "/users/invite", json={"email": waiting, "role": editors}, headers=headers
    )

    assert forbidden.status_code == 204
    assert role_after_forbidden == others
    assert to_admin.status_code == 400
    assert to_admin.json()["errors"][0]["extensions"]["code"] == "FAILED_VALIDATION"
    assert to_editors.status_code == 204
    assert _invited(harness, waiting)[0]["role"] == editors
    assert len([m for m in harness.outbox.sent if m.to == waiting]) == mails_before + 1
