"""One service layer: the same scenarios through REST and through GraphQL, for each kind of
caller, give the same outcome (the same data, or a refusal with the same code; a collection
the caller may not touch is absent from its GraphQL schema, where REST answers 403)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from authgate.access.model import PUBLIC_POLICY_ID
from tests.conftest import PASSWORD
from tests.graphql.conftest import ITEMS, SYSTEM, World, gql


@dataclass(frozen=True)
class Scenario:
    name: str
    caller: str  # admin | app | api | roleless | anonymous
    rest: tuple[str, str, dict[str, Any]]  # method, path, httpx keyword arguments
    graphql: str
    root: str  # the GraphQL field holding the answer
    path: str = ITEMS
    variables: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        "list with filter, sort and a relation",
        "admin",
        ("GET", "/items/articles", {"params": {
            "fields": "title,rating,author.name", "filter[status][_eq]": "published",
            "sort": "-rating"}}),
        '{ articles(filter: {status: {_eq: "published"}}, sort: ["-rating"]) '
        "{ title rating author { name } } }",
        "articles",
    ),
    Scenario(
        "one-to-many with limits",
        "admin",
        ("GET", "/items/authors", {"params": {
            "fields": "name,articles.title", "sort": "name", "deep[articles][_limit]": "1",
            "filter[name][_in]": "Ann,Bob"}}),
        '{ authors(sort: ["name"], filter: {name: {_in: ["Ann", "Bob"]}}) '
        "{ name articles(limit: 1) { title } } }",
        "authors",
    ),
    Scenario(
        "search and page",
        "admin",
        ("GET", "/items/articles", {"params": {
            "fields": "title", "search": "words", "limit": "1", "page": "1"}}),
        '{ articles(search: "words", limit: 1, page: 1) { title } }',
        "articles",
    ),
    Scenario(
        "aggregate by group",
        "admin",
        ("GET", "/items/articles", {"params": {
            "aggregate[countDistinct]": "rating", "groupBy": "status"}}),
        '{ articles_aggregated(groupBy: ["status"]) { countDistinct { rating } status: group } }',
        "articles_aggregated",
    ),
    Scenario(
        "the public policy's rows",
        "anonymous",
        ("GET", "/items/articles", {"params": {"fields": "title", "sort": "title"}}),
        '{ articles(sort: ["title"]) { title } }',
        "articles",
    ),
    Scenario(
        "a role's rows under its item rule",
        "app",
        ("GET", "/items/articles", {"params": {"fields": "title,rating", "sort": "title"}}),
        '{ articles(sort: ["title"]) { title rating } }',
        "articles",
    ),
    Scenario(
        "a collection the caller may not read",
        "api",
        ("GET", "/items/articles", {}),
        "{ articles { title } }",
        "articles",
    ),
    Scenario(
        "a field the caller may not read",
        "app",
        ("GET", "/items/articles", {"params": {"fields": "body"}}),
        "{ articles { body } }",
        "articles",
    ),
    Scenario(
        "an item that does not exist",
        "admin",
        ("GET", "/items/articles/987654", {}),
        "{ articles_by_id(id: 987654) { title } }",
        "articles_by_id",
    ),
    Scenario(
        "a write missing a required value",
        "admin",
        ("POST", "/items/articles", {"json": {"rating": 2}}),
        "mutation { create_articles_item(data: {rating: 2}) { title } }",
        "create_articles_item",
    ),
    Scenario(
        "a write outside the item rule",
        "app",
        ("PATCH", "/items/articles/{beta}", {"json": {"title": "Mine now"}}),
        'mutation { update_articles_item(id: {beta}, data: {title: "Mine now"}) { title } }',
        "update_articles_item",
    ),
    Scenario(
        "the current user",
        "app",
        ("GET", "/users/me", {"params": {"fields": "email,role.name"}}),
        "{ users_me { email role { name } } }",
        "users_me",
        SYSTEM,
    ),
    Scenario(  # GraphQL offers it only to callers who may read directus_policies
        "the caller's global flags",
        "admin",
        ("GET", "/policies/me/globals", {}),
        "{ policies_me_globals { app_access admin_access enforce_tfa } }",
        "policies_me_globals",
        SYSTEM,
    ),
    Scenario(
        "roles, as an app user",
        "app",
        ("GET", "/roles", {"params": {"fields": "name"}}),
        "{ roles { name } }",
        "roles",
        SYSTEM,
    ),
    Scenario(
        "settings, as an app user",
        "app",
        ("GET", "/settings", {"params": {"fields": "project_name,public_registration"}}),
        "{ settings { project_name public_registration } }",
        "settings",
        SYSTEM,
    ),
    Scenario(
        "a login with a wrong password",
        "anonymous",
        ("POST", "/auth/login", {"json": {"email": "{app_email}", "password": "wrong"}}),
        'mutation { auth_login(email: "{app_email}", password: "wrong") { expires } }',
        "auth_login",
        SYSTEM,
    ),
    Scenario(
        "a refresh with an unknown token",
        "anonymous",
        ("POST", "/auth/refresh", {"json": {"refresh_token": "x" * 64}}),
        'mutation { auth_refresh(refresh_token: "' + "x" * 64 + '") { expires } }',
        "auth_refresh",
        SYSTEM,
    ),
]  # fmt: skip


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_fill(v, names) for v in value)
    return value


def _normalised(value: Any) -> Any:
    """GraphQL sends ids as strings and numbers as floats in aggregates; compare meanings."""
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rest_outcome(response: Any) -> tuple[str, Any]:
    if response.status_code >= 400:
        return "refused", response.json()["errors"][0]["extensions"]["code"]
    return "data", _normalised(response.json()["data"])


def _graphql_outcome(response: Any, root: str) -> tuple[str, Any]:
    body = response.json()
    if response.status_code == 400:
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
        return "refused", "FORBIDDEN"  # not in the caller's schema: REST's 403
    assert response.status_code == 200, response.text
    if body.get("errors"):
        return "refused", body["errors"][0]["extensions"]["code"]
    value = body["data"][root]
    if root == "articles_aggregated":  # GraphQL nests the group: flatten it as REST sends it
        value = [
            {**{k: v for k, v in row.items() if k != "status"}, **row["status"]} for row in value
        ]
    return "data", _normalised(value)


@pytest.fixture(scope="module")
def granted(world: World) -> Iterator[None]:
    own = {"owner": {"_eq": "$CURRENT_USER"}}
    grants = [
        world.grant(PUBLIC_POLICY_ID, "articles", "read", fields=["title"],
                    permissions={"status": {"_eq": "published"}}),
        world.grant(world.app_policy, "articles", "read", fields=["title", "rating"],
                    permissions={"_or": [own, {"status": {"_eq": "published"}}]}),
        world.grant(world.app_policy, "articles", "update", permissions=own),
    ]  # fmt: skip
    yield
    for permission in grants:
        world.revoke(permission)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rest_and_graphql_agree(
    world: World, articles: list[dict[str, Any]], granted: None, scenario: Scenario
) -> None:
    caller = getattr(world, scenario.caller)
    names = {"beta": str(articles[1]["id"]), "app_email": world.app.name}
    method, path, kwargs = _fill(scenario.rest, names)
    client = world.harness.client

    rest = client.request(method, path, headers=caller.headers, **kwargs)
    graphql = gql(
        world.harness,
        _fill(scenario.graphql, names),
        scenario.variables or None,
        path=scenario.path,
        headers=caller.headers,
    )

    assert _graphql_outcome(graphql, scenario.root) == _rest_outcome(rest)


def test_a_login_through_either_answers_alike(world: World) -> None:
    rest = world.harness.client.post(
        "/auth/login", json={"email": world.app.name, "password": PASSWORD}
    ).json()["data"]
    login = "mutation L($e: String!, $p: String!) { auth_login(email: $e, password: $p) "
    login += "{ expires refresh_token access_token } }"
    graphql = gql(world.harness, login, {"e": world.app.name, "p": PASSWORD}).json()["data"][
        "auth_login"
    ]

    assert set(graphql) == set(rest)
    assert graphql["expires"] == str(rest["expires"])
    for token in (rest["access_token"], graphql["access_token"]):
        me = world.harness.client.get(
            "/users/me", params={"fields": "id"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert me.json()["data"]["id"] == world.app.user_id
