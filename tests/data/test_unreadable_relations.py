"""Relations into collections the caller may not read, as Directus 12.4 answers them.

The most common custom setup: a role whose policy reads ``directus_users`` with ``*``, no app
access, nothing on ``directus_access`` or ``directus_roles``. ``*`` (and ``*.*``, ``x.*``,
``policies``, ``role.name``) leaves such relations out instead of refusing the read: an o2m
alias always, a many-to-one when it is followed (asked for plainly it answers its key).
Filters and sorts through them stay ``403``. Checked against the reference Directus with the
same requests (users, and a user-made m2o/o2m pair).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authgate.access.model import PUBLIC_POLICY_ID
from tests.data.conftest import TRANSPORTS, Caller, World, call


@pytest.fixture(scope="module")
def custom(world: World) -> Iterator[World]:
    """The API user's policy reads and updates ``directus_users`` (``*``), nothing else."""
    granted = [
        world.grant(world.api_policy, "directus_users", "read"),
        world.grant(world.api_policy, "directus_users", "update"),
    ]
    yield world
    for permission in granted:
        world.revoke(permission)


def admin_view(world: World, user_id: str) -> dict[str, Any]:
    response = world.as_(world.admin, "GET", f"/users/{user_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def forbidden_collection(name: str, where: str) -> dict[str, Any]:
    message = (
        f'You don\'t have permission to access collection "{name}" or it does not exist. '
        f"Queried in {where}."
    )
    return {
        "errors": [{"message": message, "extensions": {"reason": message, "code": "FORBIDDEN"}}]
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_users_me_answers_every_column_but_unreadable_relations(
    custom: World, transport: str
) -> None:
    world = custom
    response = call(world, world.api, transport, "GET", "/users/me")

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    expected = set(admin_view(world, world.api.user_id or "")) - {"policies"}
    assert set(data) == expected
    assert data["id"] == world.api.user_id
    assert data["email"] == world.api.name
    assert data["role"] == world.api.role  # a many-to-one asked for through * answers its key
    assert data["password"] == "**********"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_users_list_leaves_out_the_unreadable_relations(custom: World, transport: str) -> None:
    world = custom
    response = call(world, world.api, transport, "GET", "/users", params={"limit": "-1"})

    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    assert world.api.user_id in [row["id"] for row in rows]
    assert all("policies" not in row and "role" in row for row in rows)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # *.* follows every relation: the unreadable ones go, keys and all (Directus)
        ("*.*", lambda full: {k: v for k, v in full.items() if k not in ("role", "policies")}),
        ("*,policies.*", lambda full: {k: v for k, v in full.items() if k != "policies"}),
        ("*.*.*", lambda full: {k: v for k, v in full.items() if k not in ("role", "policies")}),
        ("id,policies", lambda full: {"id": full["id"]}),
        ("id,policies.policy.name", lambda full: {"id": full["id"]}),
        ("id,role.name", lambda full: {"id": full["id"]}),
        ("id,role.*", lambda full: {"id": full["id"]}),
        ("id,role", lambda full: {"id": full["id"], "role": full["role"]}),
        ("id,role,role.name", lambda full: {"id": full["id"], "role": full["role"]}),
    ],
)
def test_fields_through_unreadable_relations(custom: World, fields: str, expected: Any) -> None:
    world = custom
    full = world.as_(world.api, "GET", "/users/me").json()["data"]

    response = world.as_(world.api, "GET", "/users/me", params={"fields": fields})
    listed = world.as_(
        world.api,
        "GET",
        "/users",
        params={"fields": fields, "filter": f'{{"id":{{"_eq":"{world.api.user_id}"}}}}'},
    )
    one = world.as_(world.api, "GET", f"/users/{world.api.user_id}", params={"fields": fields})

    assert response.status_code == 200, response.text
    want = expected(full)
    for answer in (response.json()["data"], listed.json()["data"][0], one.json()["data"]):
        assert {k: v for k, v in answer.items() if k != "last_access"} == {
            k: v for k, v in want.items() if k != "last_access"
        }


def test_filters_and_sorts_through_unreadable_relations_stay_refused(custom: World) -> None:
    world = custom
    by_role = world.as_(
        world.api,
        "GET",
        "/users",
        params={"fields": "id", "filter": '{"role":{"name":{"_eq":"x"}}}'},
    )
    by_policy = world.as_(
        world.api,
        "GET",
        "/users",
        params={"fields": "id", "filter": '{"policies":{"_some":{"policy":{"_nnull":true}}}}'},
    )
    sorted_by_role = world.as_(
        world.api, "GET", "/users", params={"fields": "id", "sort": "role.name"}
    )

    assert by_role.status_code == 403
    assert by_role.json() == forbidden_collection("directus_roles", '"role"')
    assert by_policy.json() == forbidden_collection("directus_access", '"policies"')
    assert sorted_by_role.json() == forbidden_collection("directus_roles", '"role"')


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_patch_users_me_answers_the_updated_user(custom: World, transport: str) -> None:
    world = custom
    response = call(
        world, world.api, transport, "PATCH", "/users/me", json={"last_name": f"Star-{transport}"}
    )
    narrowed = call(
        world,
        world.api,
        transport,
        "PATCH",
        "/users/me",
        params={"fields": "id,last_name,policies,role.name"},
        json={"title": "Pilot"},
    )

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["last_name"] == f"Star-{transport}"
    assert data["email"] == world.api.name
    assert "policies" not in data
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json() == {"data": {"id": world.api.user_id, "last_name": f"Star-{transport}"}}
    assert admin_view(world, world.api.user_id or "")["title"] == "Pilot"


def test_patch_users_me_without_read_permission_answers_204(world: World) -> None:
    """Directus writes the change and then answers 403 (its read-back fails); authgate answers
    204, as every other write the caller may not read back (README, Differences)."""
    role = world.harness.create_role("Writers only")
    world.harness.grant(role, "directus_users", "update")
    email = f"writer-{world.api.name}"
    created = world.harness.create_user(email, role=role)
    headers = world.harness.bearer(email)

    response = world.harness.client.patch("/users/me", json={"last_name": "Blind"}, headers=headers)

    assert response.status_code == 204
    assert admin_view(world, created["id"])["last_name"] == "Blind"


def test_app_users_follow_the_relations_they_may_read(custom: World) -> None:
    world = custom
    me = world.as_(world.app, "GET", "/users/me", params={"fields": "id,role.name,policies"})
    star = world.as_(world.app, "GET", "/users/me", params={"fields": "*.*"})
    update = world.grant(
        world.app_policy,
        "directus_users",
        "update",
        fields=["first_name"],
        permissions={"id": {"_eq": "$CURRENT_USER"}},
    )
    try:
        patched = world.as_(world.app, "PATCH", "/users/me", json={"first_name": "Appy"})
    finally:
        world.revoke(update)

    assert me.status_code == 200, me.text
    assert me.json()["data"] == {"id": world.app.user_id, "role": {"name": "Editors"}}
    assert star.json()["data"]["role"]["id"] == world.app.role
    assert "policies" not in star.json()["data"]
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["first_name"] == "Appy"
    assert "token" not in patched.json()["data"]  # read back under the app's own fields


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_role_less_users_under_the_public_policy(world: World, transport: str) -> None:
    granted = world.grant(PUBLIC_POLICY_ID, "directus_users", "read")
    try:
        response = call(world, world.roleless, transport, "GET", "/users/me")
        followed = call(
            world, world.roleless, transport, "GET", "/users/me", params={"fields": "*.*"}
        )
    finally:
        world.revoke(granted)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == set(admin_view(world, world.roleless.user_id or "")) - {"policies"}
    assert data["role"] is None
    assert followed.status_code == 200, followed.text
    assert "role" not in followed.json()["data"]
    assert "policies" not in followed.json()["data"]


def test_user_made_collections_leave_out_unreadable_relations(
    custom: World, articles: list[dict[str, Any]]
) -> None:
    world = custom
    read_articles = world.grant(world.api_policy, "articles", "read")
    try:
        plain = world.as_(world.api, "GET", "/items/articles", params={"sort": "title"})
        followed = world.as_(
            world.api, "GET", "/items/articles", params={"sort": "title", "fields": "*.*"}
        )
        named = world.as_(
            world.api,
            "GET",
            "/items/articles",
            params={"sort": "title", "fields": "title,author.name"},
        )
        kept_key = world.as_(
            world.api,
            "GET",
            "/items/articles",
            params={"sort": "title", "fields": "*,author.articles.*"},
        )
        filtered = world.as_(
            world.api,
            "GET",
            "/items/articles",
            params={"fields": "title", "filter": '{"author":{"name":{"_eq":"Ann"}}}'},
        )
    finally:
        world.revoke(read_articles)
    read_authors = world.grant(world.api_policy, "authors", "read")
    try:
        authors = world.as_(world.api, "GET", "/items/authors", params={"sort": "name"})
        nested = world.as_(
            world.api,
            "GET",
            "/items/authors",
            params={"sort": "name", "fields": "name,articles.title"},
        )
        star_nested = world.as_(
            world.api,
            "GET",
            "/items/authors",
            params={"sort": "name", "fields": "*,articles.*"},
        )
    finally:
        world.revoke(read_authors)

    assert plain.status_code == 200, plain.text
    assert [row["author"] is not None for row in plain.json()["data"]] == [True, True, False]
    assert followed.status_code == 200, followed.text
    first = followed.json()["data"][0]
    assert "author" not in first
    admin_id = world.as_(world.admin, "GET", "/users/me").json()["data"]["id"]
    assert first["owner"]["id"] == admin_id
    assert "policies" not in first["owner"]
    assert named.json() == {"data": [{"title": "Alpha"}, {"title": "Beta"}, {"title": "Gamma"}]}
    assert [row["author"] for row in kept_key.json()["data"]] == [
        row["author"] for row in plain.json()["data"]
    ]
    assert filtered.json() == forbidden_collection("authors", '"author"')
    assert authors.status_code == 200, authors.text
    assert [sorted(row) for row in authors.json()["data"]] == [["email", "id", "name"]] * 2
    assert nested.json() == {"data": [{"name": "Ann"}, {"name": "Bob"}]}
    assert star_nested.json() == authors.json()


# ----------------------------------------------------------------------------- GraphQL


def graphql(
    world: World, caller: Caller, transport: str, query: str, *, path: str = "/graphql/system"
) -> Any:
    response = call(world, caller, transport, "POST", path, json={"query": query})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_graphql_users_me_and_update_users_me(custom: World, transport: str) -> None:
    world = custom
    me = graphql(world, world.api, transport, "{ users_me { id email role policies } }")
    updated = graphql(
        world,
        world.api,
        transport,
        'mutation { update_users_me(data: {last_name: "Gql"}) { id last_name email } }',
    )
    users = graphql(world, world.api, transport, "{ users(limit: -1) { id role } }")

    assert me == {
        # an o2m into a collection the caller may not read: a String answering null (Directus)
        "users_me": {
            "id": world.api.user_id,
            "email": world.api.name,
            "role": world.api.role,
            "policies": None,
        }
    }
    assert updated == {
        "update_users_me": {"id": world.api.user_id, "last_name": "Gql", "email": world.api.name}
    }
    assert {"id": world.api.user_id, "role": world.api.role} in users["users"]


def test_graphql_types_unreadable_relations_as_scalars(
    custom: World, articles: list[dict[str, Any]]
) -> None:
    world = custom
    read_articles = world.grant(world.api_policy, "articles", "read")
    try:
        plain = graphql(
            world,
            world.api,
            "header",
            '{ articles(sort: ["title"]) { title author } }',
            path="/graphql",
        )
        followed = call(
            world,
            world.api,
            "header",
            "POST",
            "/graphql",
            json={"query": "{ articles { title author { name } } }"},
        )
    finally:
        world.revoke(read_articles)
    read_authors = world.grant(world.api_policy, "authors", "read")
    try:
        authors = graphql(
            world,
            world.api,
            "header",
            '{ authors(sort: ["name"]) { name articles } }',
            path="/graphql",
        )
    finally:
        world.revoke(read_authors)

    assert authors == {
        "authors": [{"name": "Ann", "articles": None}, {"name": "Bob", "articles": None}]
    }
    assert [row["title"] for row in plain["articles"]] == ["Alpha", "Beta", "Gamma"]
    assert plain["articles"][2]["author"] is None
    assert followed.status_code == 400
    assert followed.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
