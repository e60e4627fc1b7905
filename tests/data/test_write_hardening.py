"""Writes after the security review: nested items go through their collection's rules, an
empty o2m list empties it, deleting an item leaves other collections to their foreign keys,
dynamic variables in validation rules and presets, and the last-admin guard with
``ip_access``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, unique_email
from tests.data.conftest import Caller, World


def admin(world: World, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return world.as_(world.admin, method, path, **kwargs)


def _error(response: Any) -> dict[str, Any]:
    assert response.status_code >= 400, response.text
    error: dict[str, Any] = response.json()["errors"][0]
    return error


@pytest.fixture
def editor(world: World) -> Caller:
    """A fresh user of the app role (tests here change users; world.app stays untouched)."""
    email = unique_email("editor")
    created = world.harness.create_user(email, role=world.app.role)
    return Caller(email, world.harness.bearer(email), created["id"], world.app.role)


# --------------------------------------------------------------- nested writes (finding 8)


@pytest.fixture
def nested_user_writes(world: World) -> Iterator[None]:
    """The app role may edit articles, update its own user record with Directus's recommended
    self-service fields (tfa_secret included), and create users."""
    granted = [
        world.grant(world.app_policy, "articles", "read"),
        world.grant(world.app_policy, "articles", "update"),
        world.grant(
            world.app_policy,
            "directus_users",
            "update",
            permissions={"id": {"_eq": "$CURRENT_USER"}},
            fields=["id", "email", "password", "tfa_secret", "first_name", "token"],
        ),
        world.grant(world.app_policy, "directus_users", "create"),
    ]
    yield
    for permission in granted:
        world.revoke(permission)


def test_a_nested_user_goes_through_the_users_rules(
    world: World, editor: Caller, nested_user_writes: None
) -> None:
    article = admin(world, "POST", "/items/articles", json={"title": "Nested owner"}).json()["data"]
    path = f"/items/articles/{article['id']}"
    own = {"id": editor.user_id}
    pre_hashed = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$QnQXYs1Cg1XTDbWPyJcWBg"

    tfa = world.as_(
        editor, "PATCH", path, json={"owner": {**own, "tfa_secret": "JBSWY3DPEHPK3PXP"}}
    )
    email = world.as_(editor, "PATCH", path, json={"owner": {**own, "email": "not an email"}})
    hashed = world.as_(editor, "PATCH", path, json={"owner": {**own, "password": pre_hashed}})
    provider = world.as_(
        editor,
        "PATCH",
        path,
        json={"owner": {"email": unique_email(), "provider": "corp-sso", "password": PASSWORD}},
    )
    bogus_status = world.as_(
        editor, "PATCH", path, json={"owner": {"email": unique_email(), "status": "weird"}}
    )
    token = world.as_(editor, "PATCH", path, json={"owner": {**own, "token": "plain-token-x"}})
    stored = world.harness.sql(
        "SELECT email, tfa_secret, password, token FROM directus_users WHERE id = :id",
        id=editor.user_id,
    )[0]
    admin(world, "DELETE", path)

    assert _error(tfa)["message"] == (
        'Invalid payload. You can\'t change the "tfa_secret" value manually.'
    )
    assert _error(email)["extensions"]["code"] == "FAILED_VALIDATION"
    assert _error(provider)["message"] == (
        'Invalid payload. You can\'t change the "provider" value manually.'
    )
    assert _error(bogus_status)["extensions"]["code"] == "INVALID_PAYLOAD"
    assert hashed.status_code == 200
    assert token.status_code == 200
    assert stored[0] == editor.name
    assert stored[1] is None
    # A hash sent as a password is a password like any other: hashed, never stored as given.
    assert stored[2].startswith("$argon2")
    assert stored[2] != pre_hashed
    assert world.harness.login(editor.name, pre_hashed).status_code == 200
    assert stored[3] not in (None, "plain-token-x")  # the static token's keyed hash
    assert world.harness.sql("SELECT count(*) FROM directus_users WHERE provider = 'corp-sso'") == [
        (0,)
    ]


def test_nested_access_model_items_go_through_their_rules(world: World) -> None:
    listed = admin(
        world,
        "POST",
        "/policies",
        json={"name": "Nested list", "permissions": [{"collection": "articles", "action": "x"}]},
    )
    change_set = admin(
        world,
        "POST",
        "/policies",
        json={
            "name": "Nested change set",
            "permissions": {
                "create": [{"collection": "articles", "action": "read", "validation": "bad"}],
                "update": [],
                "delete": [],
            },
        },
    )
    through_junction = admin(
        world,
        "POST",
        "/roles",
        json={"name": "Nested", "policies": [{"policy": {"name": "N", "ip_access": ["*"]}}]},
    )
    left = admin(
        world,
        "GET",
        "/policies",
        params={"filter[name][_in]": "Nested list,Nested change set,N", "fields": "id"},
    ).json()["data"]

    assert _error(listed)["message"] == (
        'Invalid payload. "action" must be one of [create, read, update, delete, share].'
    )
    assert _error(change_set)["message"] == 'Invalid payload. "validation" must be an object.'
    assert _error(through_junction)["message"].startswith(
        "Invalid payload. IP Access contains an incorrect value."
    )
    assert left == []


# ------------------------------------------------------------ empty o2m lists (finding 9)


def test_an_empty_o2m_list_deselects_every_child(world: World) -> None:
    role = admin(
        world,
        "POST",
        "/roles",
        json={"name": "Emptied", "policies": [{"policy": {"name": "Emptied policy"}}]},
    ).json()["data"]
    author = admin(
        world,
        "POST",
        "/items/authors",
        json={"name": "Emptied author", "articles": [{"title": "E1"}, {"title": "E2"}]},
    ).json()["data"]

    emptied_role = admin(
        world, "PATCH", f"/roles/{role['id']}", json={"policies": []}, params={"fields": "policies"}
    )
    emptied_author = admin(
        world,
        "PATCH",
        f"/items/authors/{author['id']}",
        json={"articles": []},
        params={"fields": "articles"},
    )
    access_rows = world.harness.sql(
        "SELECT count(*) FROM directus_access WHERE role = :r", r=role["id"]
    )
    orphans = admin(
        world, "GET", "/items/articles", params={"filter[title][_in]": "E1,E2", "fields": "author"}
    ).json()["data"]
    admin(world, "DELETE", f"/roles/{role['id']}")
    admin(world, "DELETE", "/items/articles", json=author["articles"])
    admin(world, "DELETE", f"/items/authors/{author['id']}")

    assert emptied_role.json()["data"] == {"policies": []}
    assert access_rows == [(0,)]  # roles.policies deselects by deleting the junction rows
    assert emptied_author.json()["data"] == {"articles": []}
    assert orphans == [{"author": None}, {"author": None}]  # nullified, not deleted


# ------------------------------------------------- deleting leaves others to FKs (finding 10)


@pytest.fixture
def tasks(world: World) -> Iterator[None]:
    """``tasks`` with three kinds of dependents: ``subtasks`` (ON DELETE RESTRICT, deselect
    action "delete"), ``notes`` (SET NULL, deselect action "delete") and ``steps`` (CASCADE)."""
    admin(
        world,
        "POST",
        "/collections",
        json={
            "collection": "tasks",
            "fields": [
                {"field": "label", "type": "string", "schema": {}},
                {
                    "field": "owner",
                    "type": "uuid",
                    "schema": {},
                    "meta": {"special": ["user-created"]},
                },
            ],
        },
    )
    for name, on_delete in (("subtasks", "RESTRICT"), ("notes", "SET NULL"), ("steps", "CASCADE")):
        admin(
            world,
            "POST",
            "/collections",
            json={
                "collection": name,
                "fields": [
                    {"field": "label", "type": "string", "schema": {}},
                    {"field": "task", "type": "integer", "schema": {}},
                ],
            },
        )
        created = admin(
            world,
            "POST",
            "/relations",
            json={
                "collection": name,
                "field": "task",
                "related_collection": "tasks",
                "schema": {"on_delete": on_delete},
                "meta": {"one_field": name, "one_deselect_action": "delete"},
            },
        )
        assert created.status_code in (200, 204), created.text
    yield
    for name in ("subtasks", "notes", "steps", "tasks"):
        admin(world, "DELETE", f"/collections/{name}")


def test_a_restrict_foreign_key_refuses_the_delete_whoever_asks(
    world: World, tasks: None, editor: Caller
) -> None:
    task = admin(
        world,
        "POST",
        "/items/tasks",
        json={"label": "T", "subtasks": [{"label": "S1"}, {"label": "S2"}]},
    ).json()["data"]
    granted = [
        world.grant(world.app_policy, "tasks", "read"),
        world.grant(world.app_policy, "tasks", "delete"),
    ]
    try:
        subtasks_forbidden = world.as_(editor, "GET", "/items/subtasks")
        as_editor = world.as_(editor, "DELETE", f"/items/tasks/{task['id']}")
    finally:
        for permission in granted:
            world.revoke(permission)
    as_admin = admin(world, "DELETE", f"/items/tasks/{task['id']}")
    left = admin(world, "GET", "/items/subtasks", params={"fields": "label,task"}).json()["data"]
    still = admin(world, "GET", f"/items/tasks/{task['id']}", params={"fields": "label"})

    assert subtasks_forbidden.status_code == 403
    for refused in (as_editor, as_admin):
        assert refused.status_code == 400, refused.text
        assert _error(refused) == {
            "message": 'Invalid foreign key for field "id" in collection "tasks".',
            "extensions": {"collection": "tasks", "field": "id", "code": "INVALID_FOREIGN_KEY"},
        }
    assert sorted(s["label"] for s in left) == ["S1", "S2"]
    assert all(s["task"] == task["id"] for s in left)
    assert still.json()["data"] == {"label": "T"}


def test_set_null_and_cascade_are_the_databases_not_the_deselect_action(
    world: World, tasks: None
) -> None:
    task = admin(
        world,
        "POST",
        "/items/tasks",
        json={"label": "T2", "notes": [{"label": "N"}], "steps": [{"label": "P"}]},
    ).json()["data"]

    deleted = admin(world, "DELETE", f"/items/tasks/{task['id']}")
    notes = admin(world, "GET", "/items/notes", params={"fields": "label,task"}).json()["data"]
    steps = admin(world, "GET", "/items/steps").json()["data"]

    assert deleted.status_code == 204
    assert notes == [{"label": "N", "task": None}]  # SET NULL: kept, unlinked
    assert steps == []  # CASCADE


def test_without_a_foreign_key_references_are_cleared_never_rows_deleted(world: World) -> None:
    # articles.owner -> directus_users has no foreign key (a system collection): emulated.
    owner = world.harness.create_user()
    article = admin(world, "POST", "/items/articles", json={"title": "Kept"}).json()["data"]
    # owner is "user-created" (stamped on create): set it afterwards
    admin(world, "PATCH", f"/items/articles/{article['id']}", json={"owner": owner["id"]})

    deleted = admin(world, "DELETE", f"/users/{owner['id']}")
    after = admin(
        world, "GET", f"/items/articles/{article['id']}", params={"fields": "title,owner"}
    )
    admin(world, "DELETE", f"/items/articles/{article['id']}")

    assert deleted.status_code == 204
    assert after.json()["data"] == {"title": "Kept", "owner": None}


def test_deleting_a_role_orphans_its_children(world: World) -> None:
    parent = admin(world, "POST", "/roles", json={"name": "Parent"}).json()["data"]
    child = admin(world, "POST", "/roles", json={"name": "Child", "parent": parent["id"]}).json()[
        "data"
    ]

    deleted = admin(world, "DELETE", f"/roles/{parent['id']}")
    after = admin(world, "GET", f"/roles/{child['id']}", params={"fields": "name,parent"})
    admin(world, "DELETE", f"/roles/{child['id']}")

    assert deleted.status_code == 204
    assert after.json()["data"] == {"name": "Child", "parent": None}


# ------------------------------------------ variables in validation and presets (finding 15)


@pytest.fixture
def reviewer_field(world: World) -> Iterator[None]:
    admin(
        world,
        "POST",
        "/fields/articles",
        json={"field": "reviewer", "type": "uuid", "schema": {}},
    )
    yield
    admin(world, "DELETE", "/fields/articles/reviewer")


def test_validation_rules_resolve_dynamic_variables(
    world: World, editor: Caller, reviewer_field: None
) -> None:
    create = world.grant(
        world.app_policy,
        "articles",
        "create",
        validation={
            "_and": [
                {"reviewer": {"_eq": "$CURRENT_USER"}},
                {"title": {"_neq": "$CURRENT_USER.email"}},
                {"body": {"_in": ["$CURRENT_USER.role.name", "no role"]}},
                {"published": {"_lte": "$NOW(+1 hour)"}},
            ]
        },
    )
    read = world.grant(world.app_policy, "articles", "read")
    good = {
        "title": "Reviewed",
        "reviewer": editor.user_id,
        "body": "Editors",
        "published": "2026-11-28T12:30:00Z",
    }
    try:
        passed = world.as_(editor, "POST", "/items/articles", json=good)
        other = world.as_(
            editor, "POST", "/items/articles", json={**good, "reviewer": world.app.user_id}
        )
        own_email = world.as_(
            editor, "POST", "/items/articles", json={**good, "title": editor.name}
        )
        role_name = world.as_(editor, "POST", "/items/articles", json={**good, "body": "Robots"})
        later = world.as_(
            editor, "POST", "/items/articles", json={**good, "published": "2026-11-28T13:30:01Z"}
        )
    finally:
        world.revoke(create)
        world.revoke(read)
    admin(world, "DELETE", f"/items/articles/{passed.json()['data']['id']}")

    assert passed.status_code == 200, passed.text
    assert _error(other)["message"] == (
        f'Validation failed for field "reviewer". Value has to be "{editor.user_id}".'
    )
    assert _error(own_email)["message"] == (
        f'Validation failed for field "title". Value can\'t be "{editor.name}".'
    )
    assert _error(role_name)["message"] == (
        'Validation failed for field "body". Value has to be one of "Editors", "no role".'
    )
    assert _error(later)["extensions"]["field"] == "published"


def test_a_between_rule_with_now_refuses_what_does_not_compare_and_mixes_literals(
    world: World, editor: Caller, reviewer_field: None
) -> None:
    create = world.grant(
        world.app_policy,
        "articles",
        "create",
        validation={"published": {"_between": ["$NOW(-1 year)", "2030-01-01T00:00:00Z"]}},
    )
    read = world.grant(world.app_policy, "articles", "read")
    base = {"title": "Dated", "reviewer": editor.user_id, "body": "x"}
    try:
        words = world.as_(editor, "POST", "/items/articles", json={**base, "published": "abc"})
        inside = world.as_(
            editor, "POST", "/items/articles", json={**base, "published": "2027-06-01T00:00:00Z"}
        )
        outside = world.as_(
            editor, "POST", "/items/articles", json={**base, "published": "2031-01-01T00:00:00Z"}
        )
    finally:
        world.revoke(create)
        world.revoke(read)
    if inside.status_code == 200:
        admin(world, "DELETE", f"/items/articles/{inside.json()['data']['id']}")

    assert words.status_code == 400, words.text  # was a 500: text against a datetime
    assert _error(words)["extensions"]["code"] in ("FAILED_VALIDATION", "INVALID_PAYLOAD")
    assert inside.status_code == 200, inside.text
    assert _error(outside)["extensions"]["field"] == "published"


def test_presets_resolve_dynamic_variables(
    world: World, editor: Caller, reviewer_field: None
) -> None:
    create = world.grant(
        world.app_policy,
        "articles",
        "create",
        presets={
            "reviewer": "$CURRENT_USER",
            "published": "$NOW",
            "body": "$CURRENT_USER.role.name",
            "featured": "true",
        },
    )
    read = world.grant(world.app_policy, "articles", "read")
    try:
        created = world.as_(editor, "POST", "/items/articles", json={"title": "Preset"})
    finally:
        world.revoke(create)
        world.revoke(read)
    item = created.json()["data"]
    admin(world, "DELETE", f"/items/articles/{item['id']}")

    assert created.status_code == 200, created.text
    assert item["reviewer"] == editor.user_id
    assert item["published"] == "2026-11-28T12:00:00.000Z"
    assert item["body"] == "Editors"
    assert item["featured"] is True


# ------------------------------------------------------------- low findings (finding 17)


def test_restricting_the_last_admin_policy_to_an_ip_is_refused(world: World) -> None:
    admin_role = admin(world, "GET", "/users/me", params={"fields": "role"}).json()["data"]["role"]
    policy = world.harness.sql("SELECT policy FROM directus_access WHERE role = :r", r=admin_role)[
        0
    ][0]

    restricted = admin(world, "PATCH", f"/policies/{policy}", json={"ip_access": ["203.0.113.7"]})
    globals_after = admin(world, "GET", "/policies/me/globals").json()["data"]

    assert restricted.status_code == 422, restricted.text
    assert _error(restricted)["message"] == (
        "Can't process content. Cannot remove the last admin user from the system."
    )
    assert globals_after["admin_access"] is True


def test_creating_users_needs_no_grant_on_provider(world: World, editor: Caller) -> None:
    create = world.grant(
        world.app_policy, "directus_users", "create", fields=["email", "password", "status"]
    )
    email = unique_email("created")
    try:
        response = world.as_(editor, "POST", "/users", json={"email": email, "password": PASSWORD})
    finally:
        world.revoke(create)
    stored = world.harness.sql(
        "SELECT provider, status FROM directus_users WHERE email = :e", e=email
    )

    assert response.status_code in (200, 204), response.text
    assert stored == [("default", "active")]
