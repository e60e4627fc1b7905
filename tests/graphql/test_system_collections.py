"""``/graphql/system``: users, roles, policies, permissions and settings as queries and
mutations (Directus's names), under the same permissions and rules as their REST routes."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from tests.conftest import PASSWORD, unique_email
from tests.graphql.conftest import Caller, World, code, data, error, gql


def _as(
    world: World, caller: Caller, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return gql(world.harness, query, variables, headers=caller.headers)


def _admin(world: World, query: str, variables: dict[str, Any] | None = None) -> Any:
    return data(_as(world, world.admin, query, variables))


def test_users_queries_and_mutations(world: World) -> None:
    role = _admin(world, '{ roles(filter: {name: {_eq: "Editors"}}) { id } }')["roles"][0]["id"]
    email = unique_email("gql-user")

    created = _admin(
        world,
        """mutation C($email: String!, $password: Hash!, $role: ID!) {
          create_users_item(data: {email: $email, password: $password, role: {id: $role}}) {
            email password status role { name }
          }
        }""",
        {"email": email, "password": PASSWORD, "role": role},
    )["create_users_item"]
    found = _admin(
        world, "query F($e: String!) { users(filter: {email: {_eq: $e}}) { id } }", {"e": email}
    )
    user_id = found["users"][0]["id"]
    updated = _admin(
        world,
        'mutation U($id: ID!) { update_users_item(id: $id, data: {first_name: "Gee"}) { first_name } }',
        {"id": user_id},
    )
    by_id = _admin(
        world, "query B($id: ID!) { users_by_id(id: $id) { first_name } }", {"id": user_id}
    )
    counted = _admin(world, '{ users_aggregated(filter: {first_name: {_eq: "Gee"}}) { countAll } }')
    deleted = _admin(
        world, "mutation D($id: ID!) { delete_users_item(id: $id) { id } }", {"id": user_id}
    )

    assert created == {
        "email": email,
        "password": "**********",
        "status": "active",
        "role": {"name": "Editors"},
    }
    assert updated == {"update_users_item": {"first_name": "Gee"}}
    assert by_id == {"users_by_id": {"first_name": "Gee"}}
    assert counted == {"users_aggregated": [{"countAll": 1}]}
    assert deleted == {"delete_users_item": {"id": user_id}}
    assert world.as_(world.admin, "GET", f"/users/{user_id}").status_code == 403


def test_the_users_rules_of_rest_hold(world: World) -> None:
    duplicate = _as(
        world,
        world.admin,
        """mutation { create_users_items(data: [{email: "twice@example.com"}, {email: "TWICE@example.com"}]) { id } }""",
    )
    tfa_by_hand = _as(
        world,
        world.admin,
        f'mutation {{ update_users_item(id: "{world.app.user_id}", data: {{tfa_secret: "X"}}) {{ id }} }}',
    )

    assert error(duplicate)["extensions"]["code"] == "RECORD_NOT_UNIQUE"
    assert error(tfa_by_hand)["message"] == (
        'Invalid payload. You can\'t change the "tfa_secret" value manually.'
    )
    assert world.as_(
        world.admin, "GET", "/users", params={"filter[email][_icontains]": "twice@"}
    ).json() == {"data": []}


def test_app_users_see_themselves_and_their_role_only(world: World) -> None:
    found = data(_as(world, world.app, "{ users { id } roles { name } }"))
    no_create = _as(
        world, world.app, 'mutation { create_users_item(data: {email: "x@example.com"}) { id } }'
    )
    hidden_field = _as(world, world.app, "{ users { token } }")

    assert found == {"users": [{"id": world.app.user_id}], "roles": [{"name": "Editors"}]}
    assert code(no_create) == "GRAPHQL_VALIDATION"
    assert code(hidden_field) == "GRAPHQL_VALIDATION"


def test_callers_without_app_access_have_no_system_collections(world: World) -> None:
    for caller in (world.api, world.roleless, world.anonymous):
        response = _as(world, caller, "{ users { id } }")

        assert (response.status_code, code(response)) == (400, "GRAPHQL_VALIDATION"), caller.name


def test_roles_and_policies_with_nested_writes(world: World) -> None:
    created = _admin(
        world,
        """mutation {
          create_roles_item(data: {
            name: "GraphQL writers",
            policies: [{policy: {name: "GraphQL writers policy", app_access: true}}]
          }) { id name policies { policy { name app_access } } }
        }""",
    )["create_roles_item"]
    policies = _admin(
        world,
        '{ policies(filter: {name: {_eq: "GraphQL writers policy"}}) { id roles { role { name } } } }',
    )
    deleted = _admin(
        world, "mutation D($id: ID!) { delete_roles_item(id: $id) { id } }", {"id": created["id"]}
    )
    _admin(
        world,
        "mutation D($id: ID!) { delete_policies_item(id: $id) { id } }",
        {"id": policies["policies"][0]["id"]},
    )

    assert created["policies"] == [
        {"policy": {"name": "GraphQL writers policy", "app_access": True}}
    ]
    assert policies["policies"][0]["roles"] == [{"role": {"name": "GraphQL writers"}}]
    assert deleted == {"delete_roles_item": {"id": created["id"]}}


def test_a_role_cannot_be_its_own_parent(world: World) -> None:
    role = _admin(world, 'mutation { create_roles_item(data: {name: "Loop"}) { id } }')[
        "create_roles_item"
    ]["id"]
    try:
        response = _as(
            world,
            world.admin,
            f'mutation {{ update_roles_item(id: "{role}", data: {{parent: {{id: "{role}"}}}}) {{ id }} }}',
        )
    finally:
        _admin(world, f'mutation {{ delete_roles_item(id: "{role}") {{ id }} }}')

    assert error(response)["message"] == "Invalid payload. A role cannot be a parent of itself."


def test_permissions_list_the_built_in_app_rows_as_rest_does(world: World) -> None:
    query = '{ permissions(filter: {collection: {_eq: "directus_settings"}}) { collection action policy { id } } }'

    listed = _admin(world, query)
    rest = world.as_(
        world.admin, "GET", "/permissions", params={"filter[collection][_eq]": "directus_settings"}
    )

    assert listed == {
        "permissions": [{"collection": "directus_settings", "action": "read", "policy": None}]
    }
    assert [(r["collection"], r["action"], r["policy"]) for r in rest.json()["data"]] == [
        ("directus_settings", "read", None)
    ]


def test_permission_rows_are_written_through_graphql(world: World) -> None:
    created = _admin(
        world,
        """mutation P($policy: ID!) {
          create_permissions_item(data: {policy: {id: $policy}, collection: "authors", action: "read", fields: ["name"]}) {
            id fields
          }
        }""",
        {"policy": world.api_policy},
    )["create_permissions_item"]
    try:
        readable = gql(
            world.harness, "{ authors { name } }", path="/graphql", headers=world.api.headers
        )
    finally:
        _admin(
            world,
            "mutation D($id: ID!) { delete_permissions_item(id: $id) { id } }",
            {"id": created["id"]},
        )
    afterwards = gql(
        world.harness, "{ authors { name } }", path="/graphql", headers=world.api.headers
    )

    assert created["fields"] == ["name"]
    assert readable.status_code == 200
    assert code(afterwards) == "GRAPHQL_VALIDATION"


def test_settings(world: World) -> None:
    before = _admin(world, "{ settings { project_name auth_login_attempts } }")["settings"]
    updated = _admin(
        world,
        'mutation { update_settings(data: {project_name: "GraphQL Co", project_url:'
        ' "https://graphql.example"}) { project_name } }',
    )
    # Directus 12.4's app rows grant project_url but not project_name (it is public in
    # /server/info).
    as_app = data(_as(world, world.app, "{ settings { project_url } }"))
    app_no_name = _as(world, world.app, "{ settings { project_name } }")
    app_cannot_see = _as(world, world.app, "{ settings { auth_login_attempts } }")
    app_cannot_write = _as(
        world, world.app, 'mutation { update_settings(data: {project_name: "x"}) { id } }'
    )
    bad_value = _as(
        world, world.admin, "mutation { update_settings(data: {auth_login_attempts: 0}) { id } }"
    )
    _admin(
        world,
        "mutation R($name: String) { update_settings(data: {project_name: $name}) { id } }",
        {"name": before["project_name"]},
    )

    assert before["auth_login_attempts"] == 25
    assert updated == {"update_settings": {"project_name": "GraphQL Co"}}
    assert as_app == {"settings": {"project_url": "https://graphql.example"}}
    assert code(app_no_name) == "GRAPHQL_VALIDATION"
    assert code(app_cannot_see) == "GRAPHQL_VALIDATION"
    assert code(app_cannot_write) == "GRAPHQL_VALIDATION"
    assert code(bad_value) == "INVALID_PAYLOAD"
