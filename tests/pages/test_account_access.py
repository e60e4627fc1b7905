"""``/admin/account``'s sessions and API keys: the list with the current session marked, "End"
and "Sign out everywhere else", making a key (shown once) and revoking it; every form behind
the CSRF check."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, Harness
from tests.pages.conftest import Pages, csrf_of, notice_of, problem_of, title_of

_SESSION_IDS = re.compile(r'name="session" value="([0-9a-f-]{36})"')
_KEY = re.compile(r'<code id="api-key" class="secret token">([^<]+)</code>')


@pytest.fixture
def member(pages: Pages, member_role: str) -> dict[str, Any]:
    user = pages.user(role=member_role)
    pages.sign_in(user["email"], PASSWORD)
    return user


def _elsewhere(harness: Harness, email: str) -> dict[str, str]:
    """A session of the same person on another device (an API login), as a Bearer header."""
    cookies = dict(harness.client.cookies)
    response = harness.client.post(
        "/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": "Phone/1.0"},
    )
    harness.client.cookies.clear()
    for name, value in cookies.items():
        harness.client.cookies.set(name, value, path="/" if "csrf" not in name else "/admin")
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def _me(harness: Harness, headers: dict[str, str]) -> int:
    code: int = harness.client.get("/users/me", headers=headers).status_code
    return code


def test_the_page_lists_the_sessions_with_this_one_marked(
    pages: Pages, harness: Harness, member: dict[str, Any]
) -> None:
    _elsewhere(harness, member["email"])

    page = pages.get("/admin/account")

    assert page.status_code == 200
    assert "This session" in page.text
    assert "Phone/1.0" in page.text
    assert len(_SESSION_IDS.findall(page.text)) == 1  # an End button for the other one only
    assert "Sign out everywhere else" in page.text


def test_end_signs_the_other_session_out(
    pages: Pages, harness: Harness, member: dict[str, Any]
) -> None:
    phone = _elsewhere(harness, member["email"])
    page = pages.get("/admin/account")
    (target,) = _SESSION_IDS.findall(page.text)

    ended = pages.post("/admin/account/sessions/end", {"session": target}, on=page)

    assert ended.headers["location"] == "/admin/account?notice=other-session-ended"
    after = pages.follow(ended)
    assert notice_of(after.text) == "That session is ended: its tokens no longer work."
    assert _SESSION_IDS.findall(after.text) == []
    assert _me(harness, phone) == 401


def test_ending_a_session_that_is_not_ones_own_changes_nothing(
    pages: Pages, harness: Harness, member: dict[str, Any], member_role: str
) -> None:
    other = pages.user(role=member_role)
    theirs = _elsewhere(harness, other["email"])
    listed = harness.client.get("/users/me/sessions", headers=theirs).json()["data"]

    response = pages.post(
        "/admin/account/sessions/end", {"session": listed[0]["id"]}, on="/admin/account"
    )

    assert response.headers["location"] == "/admin/account?notice=session-gone"
    assert _me(harness, theirs) == 200


def test_sign_out_everywhere_else_keeps_this_session(
    pages: Pages, harness: Harness, member: dict[str, Any]
) -> None:
    phones = [_elsewhere(harness, member["email"]) for _ in range(2)]

    response = pages.post("/admin/account/sessions/end-others", {}, on="/admin/account")

    assert response.headers["location"] == "/admin/account?notice=sessions-ended"
    after = pages.follow(response)
    assert title_of(after.text) == "Your account"
    assert "This session" in after.text
    assert "Sign out everywhere else" not in after.text
    for phone in phones:
        assert _me(harness, phone) == 401


@pytest.mark.parametrize("path", ["/admin/account/sessions/end-others", "/admin/account/keys"])
def test_a_forged_post_ends_and_makes_nothing(
    pages: Pages, harness: Harness, member: dict[str, Any], path: str
) -> None:
    phone = _elsewhere(harness, member["email"])

    response = harness.client.post(
        path, data={"csrf": "0" * 64, "name": "forged"}, follow_redirects=False
    )

    assert response.status_code == 403
    assert title_of(response.text) == "This form can't be sent"
    assert _me(harness, phone) == 200
    assert harness.client.get("/users/me/keys", headers=phone).json() == {"data": []}


def test_a_key_is_made_shown_once_and_revoked(
    pages: Pages, harness: Harness, member: dict[str, Any]
) -> None:
    created = pages.post(
        "/admin/account/keys",
        {"name": "Nightly export", "expires": "2999-12-31"},
        on="/admin/account",
    )

    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = _KEY.search(created.text)
    assert found is not None
    notices = [m for m in harness.outbox.sent if m.to == member["email"]]
    assert [(m.template, m.data["name"]) for m in notices] == [
        ("security-api-key-added", "Nightly export")
    ]
    assert found.group(1) not in notices[0].html + notices[0].text
    key = {"Authorization": f"Bearer {found.group(1)}"}
    harness.client.cookies.clear()
    assert harness.client.get("/users/me", headers=key).json()["data"]["id"] == member["id"]
    pages.sign_in(member["email"], PASSWORD)
    account = pages.get("/admin/account")
    assert found.group(1) not in account.text
    assert "Nightly export" in account.text
    assert "2999-12-31 23:59 UTC" in account.text
    key_id = re.search(r'name="key" value="([0-9a-f-]{36})"', account.text)
    assert key_id is not None

    revoked = pages.post("/admin/account/keys/revoke", {"key": key_id.group(1)}, on=account)

    assert revoked.headers["location"] == "/admin/account?notice=key-revoked"
    assert "Nightly export" not in pages.follow(revoked).text
    harness.client.cookies.clear()
    assert harness.client.get("/users/me", headers=key).status_code == 401


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"name": ""}, '"name" is required'),
        ({"name": "old", "expires": "2001-01-01"}, '"expires" must be in the future'),
        ({"name": "odd", "expires": "someday"}, '"expires" must be a valid date'),
    ],
)
def test_a_key_that_cannot_be_made_is_explained(
    pages: Pages, harness: Harness, member: dict[str, Any], fields: dict[str, str], problem: str
) -> None:
    response = pages.post("/admin/account/keys", fields, on="/admin/account")

    assert response.status_code == 400
    assert problem_of(response.text) == problem
    assert csrf_of(response.text)
    assert harness.sql(
        'SELECT count(*) FROM authgate_api_keys WHERE "user" = :user', user=member["id"]
    ) == [(0,)]
