"""A GraphQL read costs the database round trips of its REST twin: the schema and the
permission rows are cached by the epoch, and the selection becomes one SQL statement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authgate.access.model import PUBLIC_POLICY_ID
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness
from tests.graphql.conftest import ITEMS, SYSTEM, gql


def _statements(harness: Harness, call: Callable[[], Any]) -> int:
    before = harness.db.statements
    response = call()
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return harness.db.statements - before


def _steady(harness: Harness, call: Callable[[], Any]) -> int:
    _statements(harness, call)  # the first request may build the schema and load the rows
    return _statements(harness, call)


def _notes(harness: Harness) -> None:
    harness.client.post(
        "/collections",
        json={
            "collection": "counted_gql_notes",
            "fields": [
                {"field": "body", "type": "string"},
                {"field": "owner", "type": "uuid", "meta": {"special": ["user-created"]}},
            ],
        },
        headers=harness.admin,
    )


def test_items_under_a_permission_filter(harness: Harness) -> None:
    _notes(harness)
    role = harness.create_role("Counted GraphQL items", app=True)
    harness.grant(role, "counted_gql_notes", "read", rule={"owner": {"_eq": "$CURRENT_USER"}})
    harness.grant(role, "counted_gql_notes", "create")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    harness.client.post("/items/counted_gql_notes", json={"body": "mine"}, headers=headers)

    rest = _steady(
        harness,
        lambda: harness.client.get(
            "/items/counted_gql_notes", params={"fields": "body"}, headers=headers
        ),
    )
    graphql = _steady(
        harness, lambda: gql(harness, "{ counted_gql_notes { body } }", path=ITEMS, headers=headers)
    )

    # the accountability (grants, role tree and epoch), then the read itself
    assert (rest, graphql) == (2, 2)


def test_anonymous_items_through_the_public_policy(harness: Harness) -> None:
    _notes(harness)
    granted = harness.client.post(
        "/permissions",
        json={
            "policy": PUBLIC_POLICY_ID,
            "collection": "counted_gql_notes",
            "action": "read",
            "fields": ["body"],
        },
        headers=harness.admin,
    ).json()["data"]
    try:
        rest = _steady(harness, lambda: harness.client.get("/items/counted_gql_notes"))
        graphql = _steady(
            harness, lambda: gql(harness, "{ counted_gql_notes { body } }", path=ITEMS)
        )
    finally:
        harness.client.delete(f"/permissions/{granted['id']}", headers=harness.admin)

    # the public policy's facts and the epoch, then the read; REST reads the facts twice (once
    # to tell whether the collection is a singleton, once to read it)
    assert (rest, graphql) == (3, 2)


def test_users_me(harness: Harness) -> None:
    headers = harness.bearer(ADMIN_EMAIL, ADMIN_PASSWORD)

    rest = _steady(harness, lambda: harness.client.get("/users/me", headers=headers))
    graphql = _steady(harness, lambda: gql(harness, "{ users_me { id email } }", headers=headers))

    assert (rest, graphql) == (2, 2)


def test_login_and_refresh(harness: Harness) -> None:
    user = harness.create_user()
    login = (
        f'mutation {{ auth_login(email: "{user["email"]}", password: "{PASSWORD}") '
        "{ refresh_token } }"
    )

    gql(harness, "{ server_ping }")  # the anonymous system schema, built once
    rest_login = _statements(harness, lambda: harness.login(user["email"]))
    graphql_login = _statements(harness, lambda: gql(harness, login, path=SYSTEM))
    token = gql(harness, login).json()["data"]["auth_login"]["refresh_token"]
    rest_token = harness.tokens(user["email"])["refresh_token"]
    rest_refresh = _statements(
        harness, lambda: harness.client.post("/auth/refresh", json={"refresh_token": rest_token})
    )
    graphql_refresh = _statements(
        harness,
        lambda: gql(
            harness, f'mutation {{ auth_refresh(refresh_token: "{token}") {{ expires }} }}'
        ),
    )

    # an anonymous caller's schema needs the public facts and the epoch (one statement more
    # than REST, which reads nothing about an anonymous caller's access here)
    assert graphql_login == rest_login + 1
    assert graphql_refresh == rest_refresh + 1
