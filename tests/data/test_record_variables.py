"""Record paths (``$CURRENT_USER.email``, ``$CURRENT_USER.role.name``, ``$CURRENT_ROLE.name``,
``$CURRENT_ROLES.0``, ...) inside a permission's item rule are the caller's values, read with
administrator rights (spec §3.7), in reads, updates and deletes, over REST and GraphQL, for
every token transport; they were compared as literal strings.

Directus 12 without a license refuses such permission rows, so these follow the spec and
Directus's source (``fetchDynamicVariableData`` + ``processPermissions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authgate.access.model import PUBLIC_POLICY_ID
from tests.data.conftest import TRANSPORTS, Caller, World, call


@pytest.fixture
def authors(world: World) -> Iterator[dict[str, int]]:
    """One author per caller, under the caller's email, and one of nobody's (by name)."""
    client, admin = world.harness.client, world.harness.admin
    rows = [
        {"name": "api", "email": world.api.name},
        {"name": "app", "email": world.app.name},
        {"name": "roleless", "email": world.roleless.name},
        {"name": "Robots", "email": "nobody@example.com"},
        {"name": "Editors", "email": "nobody-else@example.com"},
    ]
    response = client.post("/items/authors", json=rows, headers=admin)
    assert response.status_code == 200, response.text
    created = {row["name"]: row["id"] for row in response.json()["data"]}
    yield created
    client.request("DELETE", "/items/authors", json=list(created.values()), headers=admin)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(row["name"] for row in response.json()["data"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_read_rules_with_the_current_users_record(
    world: World, authors: dict[str, int], transport: str
) -> None:
    rule = world.grant(
        world.api_policy,
        "authors",
        "read",
        permissions={"email": {"_eq": "$CURRENT_USER.email"}},
    )
    try:
        response = call(world, world.api, transport, "GET", "/items/authors")
        one = call(world, world.api, transport, "GET", f"/items/authors/{authors['api']}")
        other = call(world, world.api, transport, "GET", f"/items/authors/{authors['app']}")
    finally:
        world.revoke(rule)

    assert names(response) == ["api"]
    assert one.json()["data"]["email"] == world.api.name
    assert other.status_code == 403


@pytest.mark.parametrize(
    "rule",
    [
        {"name": {"_eq": "$CURRENT_USER.role.name"}},
        {"name": {"_eq": "$CURRENT_ROLE.name"}},
        {"name": {"_in": ["$CURRENT_ROLES.0.name", "nothing"]}},
        {"_or": [{"name": {"_eq": "$CURRENT_ROLE.name"}}, {"email": "$CURRENT_USER.email"}]},
    ],
)
def test_paths_through_the_role(world: World, authors: dict[str, int], rule: Any) -> None:
    granted = world.grant(world.api_policy, "authors", "read", permissions=rule)
    try:
        response = world.as_(world.api, "GET", "/items/authors")
    finally:
        world.revoke(granted)

    expected = ["Robots", "api"] if "_or" in rule else ["Robots"]
    assert names(response) == expected


def test_rules_through_relations_and_on_system_collections(
    world: World, authors: dict[str, int], articles: list[dict[str, Any]]
) -> None:
    client, admin = world.harness.client, world.harness.admin
    client.patch(
        f"/items/articles/{articles[1]['id']}", json={"author": authors["api"]}, headers=admin
    )
    rules = [
        world.grant(
            world.api_policy,
            "articles",
            "read",
            permissions={"author": {"email": {"_eq": "$CURRENT_USER.email"}}},
        ),
        world.grant(
            world.api_policy,
            "directus_users",
            "read",
            permissions={"email": {"_eq": "$CURRENT_USER.email"}},
        ),
    ]
    try:
        mine = world.as_(world.api, "GET", "/items/articles", params={"fields": "title"})
        users = world.as_(world.api, "GET", "/users", params={"fields": "email"})
        me = world.as_(world.api, "GET", "/users/me", params={"fields": "id,email"})
    finally:
        for rule in rules:
            world.revoke(rule)

    assert mine.json() == {"data": [{"title": "Beta"}]}
    assert users.json() == {"data": [{"email": world.api.name}]}
    assert me.json() == {"data": {"id": world.api.user_id, "email": world.api.name}}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_update_and_delete_rules_with_record_paths(
    world: World, authors: dict[str, int], transport: str
) -> None:
    own = {"email": {"_eq": "$CURRENT_USER.email"}}
    rules = [
        world.grant(world.api_policy, "authors", "read", permissions=own),
        world.grant(world.api_policy, "authors", "update", permissions=own),
        world.grant(world.api_policy, "authors", "delete", permissions=own),
    ]
    try:
        updated = call(
            world,
            world.api,
            transport,
            "PATCH",
            f"/items/authors/{authors['api']}",
            json={"name": "api"},
        )
        refused = call(
            world,
            world.api,
            transport,
            "PATCH",
            f"/items/authors/{authors['app']}",
            json={"name": "taken"},
        )
        not_deleted = call(
            world, world.api, transport, "DELETE", f"/items/authors/{authors['Robots']}"
        )
        deleted = call(world, world.api, transport, "DELETE", f"/items/authors/{authors['api']}")
    finally:
        for rule in rules:
            world.revoke(rule)
    left = world.as_(world.admin, "GET", "/items/authors", params={"fields": "name"})

    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["email"] == world.api.name
    assert refused.status_code == 403
    assert not_deleted.status_code == 403
    assert deleted.status_code == 204
    assert sorted(r["name"] for r in left.json()["data"] if r["name"] != "Ann") == [
        "Editors",
        "Robots",
        "app",
        "roleless",
    ]


def test_app_users_and_role_less_users(world: World, authors: dict[str, int]) -> None:
    rules = [
        world.grant(
            world.app_policy, "authors", "read", permissions={"name": {"_eq": "$CURRENT_ROLE.name"}}
        ),
        world.grant(
            PUBLIC_POLICY_ID, "authors", "read", permissions={"email": "$CURRENT_USER.email"}
        ),
    ]
    try:
        app = world.as_(world.app, "GET", "/items/authors")
        roleless = world.as_(world.roleless, "GET", "/items/authors")
        anonymous = world.as_(world.anonymous, "GET", "/items/authors")
    finally:
        for rule in rules:
            world.revoke(rule)

    assert names(app) == ["Editors"]
    assert names(roleless) == ["roleless"]
    assert names(anonymous) == []  # no user: the path is null, and no email is null here


def test_each_caller_gets_its_own_values(world: World, authors: dict[str, int]) -> None:
    """A statement compiled for one caller's values is never reused for another's."""
    rule = world.grant(
        world.app_policy, "authors", "read", permissions={"email": "$CURRENT_USER.email"}
    )
    other_email = f"second-{world.app.name}"
    second = world.harness.create_user(other_email, role=world.app.role)
    headers = world.harness.bearer(other_email)
    extra = world.as_(
        world.admin, "POST", "/items/authors", json={"name": "second", "email": other_email}
    ).json()["data"]
    try:
        first = world.as_(world.app, "GET", "/items/authors")
        again = world.harness.client.get("/items/authors", headers=headers)
        first_again = world.as_(world.app, "GET", "/items/authors")
    finally:
        world.revoke(rule)
        world.as_(world.admin, "DELETE", f"/items/authors/{extra['id']}")
        world.as_(world.admin, "DELETE", f"/users/{second['id']}")

    assert names(first) == ["app"]
    assert names(again) == ["second"]
    assert names(first_again) == ["app"]


# ----------------------------------------------------------------------------- GraphQL


def gql(world: World, caller: Caller, transport: str, query: str) -> Any:
    response = call(world, caller, transport, "POST", "/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_graphql_reads_and_writes_under_record_paths(
    world: World, authors: dict[str, int], transport: str
) -> None:
    own = {"email": {"_eq": "$CURRENT_USER.email"}}
    rules = [
        world.grant(world.api_policy, "authors", "read", permissions=own),
        world.grant(world.api_policy, "authors", "update", permissions=own),
    ]
    try:
        listed = gql(world, world.api, transport, "{ authors { name email } }")
        updated = gql(
            world,
            world.api,
            transport,
            f'mutation {{ update_authors_item(id: {authors["api"]}, data: {{name: "api"}}) '
            "{ id name } }",
        )
        refused = gql(
            world,
            world.api,
            transport,
            f'mutation {{ update_authors_item(id: {authors["app"]}, data: {{name: "x"}}) '
            "{ id } }",
        )
    finally:
        for rule in rules:
            world.revoke(rule)

    assert listed == {"data": {"authors": [{"name": "api", "email": world.api.name}]}}
    assert updated == {"data": {"update_authors_item": {"id": str(authors["api"]), "name": "api"}}}
    assert refused["data"] == {"update_authors_item": None}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_callers_own_filter_may_use_record_paths(
    world: World, authors: dict[str, int], transport: str
) -> None:
    """As Directus 12.4 answers ``/users?filter[email][_eq]=$CURRENT_USER.email``: read under
    the caller's own permissions (a field or relation it may not read is null), never with
    administrator rights, so a filter cannot probe what the caller may not read."""
    rules = [
        world.grant(world.api_policy, "authors", "read"),
        world.grant(world.api_policy, "directus_users", "read", fields=["id", "email"]),
    ]
    mine = {"filter": '{"email":{"_eq":"$CURRENT_USER.email"}}'}
    try:
        rest = call(world, world.api, transport, "GET", "/items/authors", params=mine)
        graphql = gql(
            world,
            world.api,
            transport,
            '{ authors(filter: {email: {_eq: "$CURRENT_USER.email"}}) { name } }',
        )
        counted = call(
            world,
            world.api,
            transport,
            "GET",
            "/items/authors",
            params={
                "aggregate[count]": "id",
                # the role's name is not readable by this caller: null, matching nothing
                "filter": '{"name":{"_in":["$CURRENT_USER.role.name","$CURRENT_ROLE.name","api"]}}',
            },
        )
        world.revoke(rules.pop())
        unreadable = call(world, world.api, transport, "GET", "/items/authors", params=mine)
    finally:
        for rule in rules:
            world.revoke(rule)

    assert names(rest) == ["api"]
    assert graphql == {"data": {"authors": [{"name": "api"}]}}
    assert counted.json() == {"data": [{"count": {"id": 1}}]}
    assert names(unreadable) == []
