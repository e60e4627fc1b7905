"""The database round trips of the hot paths, pinned: a change that adds one must say so."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_TOKEN, Harness


def _statements(harness: Harness, call: Callable[[], httpx.Response]) -> int:
    before = harness.db.statements
    response = call()
    assert response.status_code == 200, response.text
    return harness.db.statements - before


def test_users_me_with_a_jwt_as_admin(harness: Harness) -> None:
    admin = harness.client.get(
        "/users/me", params={"fields": "email"}, headers=harness.admin
    ).json()["data"]
    from tests.conftest import ADMIN_PASSWORD

    headers = harness.bearer(admin["email"], ADMIN_PASSWORD)

    # the accountability (role tree, grants and the token's user and session in one
    # statement), then the user read
    assert _statements(harness, lambda: harness.client.get("/users/me", headers=headers)) == 2


def test_users_me_with_a_jwt_under_permissions(harness: Harness) -> None:
    role = harness.create_role("Counted", app=True)
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])

    # the accountability, the permission rows, the user read
    assert _statements(harness, lambda: harness.client.get("/users/me", headers=headers)) == 3


def test_users_me_as_admin_with_a_static_token(harness: Harness) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    # token lookup, accountability, the user read
    assert _statements(harness, lambda: harness.client.get("/users/me", headers=headers)) == 3


def test_login(harness: Harness) -> None:
    user = harness.create_user()

    count = _statements(harness, lambda: harness.login(user["email"]))

    # settings + user + grants; the lockout's reservation (its rows made sure of, read under
    # a lock, two written back: always in the database, Redis or not); then one transaction:
    # last_access (only while still active with that password), the address row cleared and
    # the account row's reservation returned, the session's public identity and its first row
    # (sessions/own.py), two purges, activity.
    assert count == 15


def test_refresh(harness: Harness) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["refresh_token"]

    count = _statements(
        harness, lambda: harness.client.post("/auth/refresh", json={"refresh_token": token})
    )

    # lock row, user, rotate, the session's last use (sessions/own.py), insert successor,
    # grants, last_access
    assert count == 7


@pytest.mark.parametrize("mode", ["session"])
def test_users_me_with_a_session_token(harness: Harness, mode: str) -> None:
    role = harness.create_role("Counted sessions", app=True)
    user = harness.create_user(role=role)
    harness.login(user["email"], mode=mode)

    # the session row, the user's status and role and the grants (one statement), the
    # permission rows, the user read
    assert _statements(harness, lambda: harness.client.get("/users/me")) == 3


def test_items_read_under_a_permission_filter(harness: Harness) -> None:
    harness.client.post(
        "/collections",
        json={
            "collection": "counted_notes",
            "fields": [
                {"field": "body", "type": "string"},
                {"field": "owner", "type": "uuid", "meta": {"special": ["user-created"]}},
            ],
        },
        headers=harness.admin,
    )
    role = harness.create_role("Counted items", app=True)
    harness.grant(role, "counted_notes", "read", rule={"owner": {"_eq": "$CURRENT_USER"}})
    harness.grant(role, "counted_notes", "create")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    harness.client.post("/items/counted_notes", json={"body": "mine"}, headers=headers)

    def read() -> httpx.Response:
        return harness.client.get(
            "/items/counted_notes", params={"fields": "body"}, headers=headers
        )

    first = _statements(harness, read)
    steady = _statements(harness, read)

    # the accountability (grants, role tree and epoch in one statement), then the read itself
    # (the permission filter compiled into it); the permission rows and the schema are cached
    # by the epoch, so even the first read after the create loads nothing else
    assert (first, steady) == (2, 2)
    assert read().json() == {"data": [{"body": "mine"}]}


def test_users_me_with_an_api_key(harness: Harness) -> None:
    user = harness.create_user()
    headers = harness.bearer(user["email"])
    key = harness.client.post("/users/me/keys", json={"name": "counted"}, headers=headers)
    auth = {"Authorization": f"Bearer {key.json()['data']['token']}"}

    def me():  # type: ignore[no-untyped-def]
        harness.client.cookies.clear()
        return harness.client.get("/users/me", headers=auth)

    first = _statements(harness, me)
    steady = _statements(harness, me)
    harness.clock.advance(61)
    a_minute_later = _statements(harness, me)

    # the key with its user's status and role, the grants (a role-less user may not read its
    # own record: /users/me answers {"id"} without reading it); the first request also loads
    # the permission rows and writes last_used, and the first a minute later writes it again:
    # no other request writes anything
    assert (first, steady, a_minute_later) == (4, 2, 3)
