"""Empty lists in filters, as the reference Directus 12.4 answers them (asked side by side).

- In a permission rule, a list variable that is empty for the caller (``$CURRENT_ROLES`` of a
  role-less user or of anonymous) matches no row under ``_in`` and every row under ``_nin``;
  it was refused with 400 INVALID_QUERY, so a role-less user with app access could not even
  list ``/roles`` (the app's minimal rule ``{"id": {"_in": "$CURRENT_ROLES"}}``).
- In the caller's own filter an empty list is still refused (``_in: []``, and a variable that
  is empty once substituted), with the operator the caller wrote.
- ``_in: ""`` / ``[""]`` on a non-text field matches nothing and ``_nin: ""`` every row with a
  value (Directus compares the empty string and finds none); they were 400.
- In GraphQL a list operator written as a string in the query text is split on commas as in
  REST (``_in: "a,b"``); a list or a variable is not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from authgate.access.model import PUBLIC_POLICY_ID
from tests.conftest import PASSWORD, unique_email
from tests.data.conftest import TRANSPORTS, Caller, World, call

ITEMS = "/graphql"
SYSTEM = "/graphql/system"
ARRAY = "has to be an array of values"
COUNT = {"aggregate[count]": "*"}
META = {"meta": "*", "fields": "id"}


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _filter(spec: Any) -> dict[str, str]:
    return {"filter": json.dumps(spec)}


def _invalid(response: Any, operator: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_QUERY"
    assert error["message"] == f'Invalid query. "{operator}" {ARRAY}.'


@pytest.fixture(scope="module")
def roleless_with_policy(world: World) -> dict[str, Any]:
    """A role-less user holding two policies of its own: one without app access (its rules are
    set per test) and one with app access (the app's minimal rules)."""
    client, admin = world.harness.client, world.harness.admin
    policies = {}
    for name, app_access in (("own", False), ("app", True)):
        body = {"name": f"role-less {name}", "app_access": app_access, "admin_access": False}
        policies[name] = _ok(client.post("/policies", json=body, headers=admin))["id"]
    email = unique_email()
    user = world.harness.create_user(email, role=None)
    for policy in policies.values():
        _ok(client.post("/access", json={"user": user["id"], "policy": policy}, headers=admin))
    caller = Caller(email, world.harness.bearer(email, PASSWORD), user["id"], None)
    return {"caller": caller, **policies}


@pytest.fixture
def rows(world: World, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return articles


def _titles(response: Any) -> list[str]:
    return sorted(row["title"] for row in _ok(response))


# --------------------------------------------------------------- permission rules


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_empty_current_roles_in_a_rule_matches_nothing_under_in_everything_under_nin(
    world: World, roleless_with_policy: dict[str, Any], rows: list[dict[str, Any]], transport: str
) -> None:
    caller, policy = roleless_with_policy["caller"], roleless_with_policy["own"]
    rule = world.grant(policy, "articles", "read", permissions={"owner": {"_in": "$CURRENT_ROLES"}})
    try:
        listed = call(world, caller, transport, "GET", "/items/articles")
        counted = call(world, caller, transport, "GET", "/items/articles", params=COUNT)
        meta = call(world, caller, transport, "GET", "/items/articles", params=META)
        one = call(world, caller, transport, "GET", f"/items/articles/{rows[0]['id']}")
        graph = call(
            world, caller, transport, "POST", ITEMS, json={"query": "{ articles { title } }"}
        )
    finally:
        world.revoke(rule)
    assert _ok(listed) == []
    assert _ok(counted) == [{"count": 0}]
    assert meta.json() == {"data": [], "meta": {"total_count": 0, "filter_count": 0}}
    assert one.status_code == 403, one.text
    assert one.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert graph.json() == {"data": {"articles": []}}

    rule = world.grant(
        policy, "articles", "read", permissions={"owner": {"_nin": "$CURRENT_ROLES"}}
    )
    try:
        everything = call(world, caller, transport, "GET", "/items/articles")
        graph = call(
            world, caller, transport, "POST", ITEMS, json={"query": "{ articles { title } }"}
        )
    finally:
        world.revoke(rule)
    assert _titles(everything) == ["Alpha", "Beta", "Gamma"]
    assert sorted(a["title"] for a in graph.json()["data"]["articles"]) == [
        "Alpha",
        "Beta",
        "Gamma",
    ]


def test_an_empty_current_roles_in_a_public_rule_matches_nothing_for_anonymous(
    world: World, rows: list[dict[str, Any]]
) -> None:
    rule = world.grant(
        PUBLIC_POLICY_ID, "articles", "read", permissions={"owner": {"_in": "$CURRENT_ROLES"}}
    )
    try:
        listed = world.as_(world.anonymous, "GET", "/items/articles")
        graph = world.harness.client.post(ITEMS, json={"query": "{ articles { title } }"})
    finally:
        world.revoke(rule)
    assert _ok(listed) == []
    assert graph.json() == {"data": {"articles": []}}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_roleless_app_user_reads_no_roles_through_the_apps_minimal_rule(
    world: World, roleless_with_policy: dict[str, Any], transport: str
) -> None:
    caller = roleless_with_policy["caller"]
    other_role = world.app.role

    assert _ok(call(world, caller, transport, "GET", "/roles", params={"fields": "id,name"})) == []
    assert _ok(call(world, caller, transport, "GET", "/roles", params=COUNT)) == [{"count": 0}]
    one = call(world, caller, transport, "GET", f"/roles/{other_role}")
    assert one.status_code == 403, one.text
    me = call(world, caller, transport, "GET", "/users/me", params={"fields": "email,role.name"})
    assert _ok(me) == {"email": caller.name, "role": None}
    graph = call(world, caller, transport, "POST", SYSTEM, json={"query": "{ roles { name } }"})
    assert graph.json() == {"data": {"roles": []}}
    # The caller's own filter is still checked once its variables are substituted.
    own = call(
        world,
        caller,
        transport,
        "GET",
        "/roles",
        params=_filter({"id": {"_nin": "$CURRENT_ROLES"}}),
    )
    _invalid(own, "_nin")


# ------------------------------------------------------------------ caller filters


def test_an_empty_list_in_the_callers_own_filter_is_still_refused(
    world: World, rows: list[dict[str, Any]]
) -> None:
    for operator in ("_in", "_nin"):
        _invalid(
            world.as_(
                world.admin, "GET", "/items/articles", params=_filter({"id": {operator: []}})
            ),
            operator,
        )
        _invalid(
            world.as_(world.admin, "GET", "/users", params=_filter({"id": {operator: []}})),
            operator,
        )
        nested = _filter({"_or": [{"title": {operator: []}}, {"id": {"_eq": 1}}]})
        _invalid(world.as_(world.admin, "GET", "/items/articles", params=nested), operator)
        through = _filter({"owner": {"id": {operator: []}}})
        _invalid(world.as_(world.admin, "GET", "/items/articles", params=through), operator)


def test_an_empty_string_in_a_list_operator_of_a_non_text_field_matches_no_value(
    world: World, rows: list[dict[str, Any]]
) -> None:
    def ids(caller: Caller, path: str, spec: Any) -> Any:
        return _ok(world.as_(caller, "GET", path, params={"fields": "id", **_filter(spec)}))

    every_article = sorted(row["id"] for row in rows)
    for empty in ("", [""]):
        assert ids(world.admin, "/items/articles", {"id": {"_in": empty}}) == []
        assert (
            sorted(a["id"] for a in ids(world.admin, "/items/articles", {"id": {"_nin": empty}}))
            == every_article
        )
        assert ids(world.admin, "/users", {"id": {"_in": empty}}) == []
        assert {u["id"] for u in ids(world.admin, "/users", {"id": {"_nin": empty}})} >= {
            world.api.user_id,
            world.app.user_id,
        }
    bracket = world.as_(world.admin, "GET", "/users?fields=id&filter[id][_in]=")
    assert _ok(bracket) == []
    # Beside other values, it is one value that matches nothing.
    some = ids(world.admin, "/users", {"id": {"_in": f",{world.api.user_id}"}})
    assert some == [{"id": world.api.user_id}]


def test_graphql_splits_a_list_operator_written_as_a_string(
    world: World, rows: list[dict[str, Any]]
) -> None:
    def titles(query: str, variables: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        answer = world.as_(world.admin, "POST", ITEMS, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    written = titles(
        '{ articles(filter: {title: {_in: "Alpha,Beta"}}, sort: ["title"]) { title } }'
    )
    assert written == {"data": {"articles": [{"title": "Alpha"}, {"title": "Beta"}]}}
    nested = titles(
        '{ articles(filter: {_or: [{title: {_nin: "Alpha,Beta"}}]}, sort: ["title"]) { title } }'
    )
    assert nested == {"data": {"articles": [{"title": "Gamma"}]}}
    aggregated = titles(
        '{ articles_aggregated(filter: {title: {_in: "Alpha,Beta"}}) { count { id } } }'
    )
    assert aggregated == {"data": {"articles_aggregated": [{"count": {"id": 2}}]}}
    listed = titles('{ articles(filter: {title: {_in: ["Alpha,Beta"]}}) { title } }')
    assert listed == {"data": {"articles": []}}
    variable = titles(
        "query($f: articles_filter) { articles(filter: $f) { title } }",
        {"f": {"title": {"_in": "Alpha,Beta"}}},
    )
    assert variable == {"data": {"articles": []}}
    both = f"{world.api.user_id},{world.app.user_id}"
    users = world.as_(
        world.admin,
        "POST",
        SYSTEM,
        json={"query": f'{{ users(filter: {{id: {{_in: "{both}"}}}}) {{ id }} }}'},
    )
    assert sorted(u["id"] for u in users.json()["data"]["users"]) == sorted(both.split(","))
    empty = world.as_(
        world.admin, "POST", SYSTEM, json={"query": '{ users(filter: {id: {_in: ""}}) { id } }'}
    )
    assert empty.json() == {"data": {"users": []}}
    refused = titles("{ articles(filter: {id: {_in: []}}) { title } }")
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_QUERY"


def test_a_graphql_answer_whose_data_is_null_leaves_data_out(
    world: World, rows: list[dict[str, Any]]
) -> None:
    body = {"query": "{ articles(filter: {id: {_in: []}}) { title } }"}
    answer = world.as_(world.admin, "POST", ITEMS, json=body)

    assert answer.status_code == 200, answer.text
    assert "data" not in answer.json()
    assert answer.json()["errors"][0]["message"] == f'Invalid query. "_in" {ARRAY}.'
    assert answer.json()["errors"][0]["path"] == ["articles"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_empty_list_written_in_the_filter_is_refused_before_anything_else(
    world: World, rows: list[dict[str, Any]], transport: str
) -> None:
    """Directus checks the filter's lists first: before its fields, the caller's permissions
    and on single-record routes too (where the filter then selects nothing)."""
    empty: dict[str, Any] = {"id": {"_in": []}}
    cases = [
        (world.api, "/items/articles", {"nope": {"_in": []}}, "_in"),
        (world.roleless, "/items/articles", empty, "_in"),
        (world.api, "/users/me", empty, "_in"),
        (world.roleless, "/users/me", {"id": {"_nin": {}}}, "_nin"),
        (world.api, "/roles/me", empty, "_in"),
        (world.api, f"/items/articles/{rows[0]['id']}", empty, "_in"),
        (world.api, "/users/me", {"id": {"_between": []}}, "_between"),
        (world.api, "/users/me", {"_and": [{"_or": [{"id": {"_nbetween": []}}]}]}, "_nbetween"),
    ]
    for caller, path, spec, operator in cases:
        _invalid(call(world, caller, transport, "GET", path, params=_filter(spec)), operator)
    anonymous = world.harness.client.get("/items/articles", params=_filter(empty))
    _invalid(anonymous, "_in")
