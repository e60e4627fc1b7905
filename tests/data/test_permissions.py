"""Permissions on the data API, for every kind of caller: private by default, the public
policy, item rules, field cases, validation, presets, and hiding what may not be seen."""

from __future__ import annotations

from typing import Any

from tests.data.conftest import Caller, World
from tests.support.directus import APP_SETTINGS_FIELDS as DIRECTUS_APP_SETTINGS_FIELDS


def forbidden_collection(name: str, where: str = "root") -> str:
    return f'You don\'t have permission to access collection "{name}" or it does not exist. Queried in {where}.'


def status(world: World, caller: Caller, method: str, path: str, **kwargs: Any) -> int:
    code: int = world.as_(caller, method, path, **kwargs).status_code
    return code


def test_everything_is_private_by_default(world: World, articles: list[dict[str, Any]]) -> None:
    for caller in (world.app, world.api, world.roleless, world.anonymous):
        response = world.as_(caller, "GET", "/items/articles")

        assert response.status_code == 403, caller.name
        assert response.json()["errors"][0]["message"] == forbidden_collection("articles")


def test_the_public_policy_opens_data_to_anonymous_and_roleless_callers_only(
    world: World, articles: list[dict[str, Any]]
) -> None:
    from authgate.access.model import PUBLIC_POLICY_ID

    granted = world.grant(
        PUBLIC_POLICY_ID,
        "articles",
        "read",
        permissions={"status": {"_eq": "published"}},
        fields=["id", "title"],
    )
    try:
        anonymous = world.as_(world.anonymous, "GET", "/items/articles", params={"sort": "title"})
        roleless = world.as_(world.roleless, "GET", "/items/articles", params={"sort": "title"})
        with_role = world.as_(world.app, "GET", "/items/articles")
    finally:
        world.revoke(granted)
    after = world.as_(world.anonymous, "GET", "/items/articles")

    assert anonymous.json() == {
        "data": [
            {"id": articles[0]["id"], "title": "Alpha"},
            {"id": articles[2]["id"], "title": "Gamma"},
        ]
    }
    assert roleless.json() == anonymous.json()
    assert with_role.status_code == 403
    assert after.status_code == 403


def test_item_rules_with_the_current_user(world: World) -> None:
    rule = world.grant(
        world.app_policy, "articles", "read", permissions={"owner": {"_eq": "$CURRENT_USER"}}
    )
    create = world.grant(world.app_policy, "articles", "create")
    try:
        mine = world.as_(world.app, "POST", "/items/articles", json={"title": "Mine"}).json()[
            "data"
        ]
        theirs = world.as_(world.admin, "POST", "/items/articles", json={"title": "Theirs"}).json()[
            "data"
        ]
        listed = world.as_(world.app, "GET", "/items/articles", params={"fields": "title"})
        other = world.as_(world.app, "GET", f"/items/articles/{theirs['id']}")
    finally:
        world.revoke(rule)
        world.revoke(create)
        world.as_(world.admin, "DELETE", "/items/articles", json=[mine["id"], theirs["id"]])

    assert mine["owner"] == world.app.user_id
    assert listed.json() == {"data": [{"title": "Mine"}]}
    assert other.status_code == 403
    assert other.json()["errors"][0]["message"] == "You don't have permission to access this."


def test_field_cases_null_fields_on_rows_only_other_rules_show(
    world: World, articles: list[dict[str, Any]]
) -> None:
    public = world.grant(
        world.app_policy,
        "articles",
        "read",
        permissions={"status": {"_eq": "published"}},
        fields=["id", "title", "status"],
    )
    ratings = world.grant(
        world.app_policy,
        "articles",
        "read",
        permissions={"rating": {"_gte": 3}},
        fields=["id", "title", "rating"],
    )
    try:
        response = world.as_(
            world.app,
            "GET",
            "/items/articles",
            params={"fields": "title,status,rating", "sort": "title"},
        )
        only_status = world.as_(
            world.app, "GET", "/items/articles", params={"fields": "title,status", "sort": "title"}
        )
    finally:
        world.revoke(public)
        world.revoke(ratings)

    assert response.json()["data"] == [
        {"title": "Alpha", "status": "published", "rating": 5},
        {"title": "Beta", "status": None, "rating": 3},
        {"title": "Gamma", "status": "published", "rating": None},
    ]
    # Which rows come back depends on the fields asked for (both rules grant title).
    assert [a["title"] for a in only_status.json()["data"]] == ["Alpha", "Beta", "Gamma"]


def test_named_forbidden_fields_are_refused_and_star_shrinks(
    world: World, articles: list[dict[str, Any]]
) -> None:
    rule = world.grant(world.app_policy, "articles", "read", fields=["id", "title"])
    try:
        star = world.as_(world.app, "GET", "/items/articles", params={"limit": "1"})
        named = world.as_(
            world.app, "GET", "/items/articles", params={"fields": "title,body,rating"}
        )
        filtered = world.as_(
            world.app, "GET", "/items/articles", params={"filter": '{"rating":{"_gt":1}}'}
        )
        searched = world.as_(world.app, "GET", "/items/articles", params={"search": "words"})
    finally:
        world.revoke(rule)

    assert list(star.json()["data"][0]) == ["id", "title"]
    assert named.status_code == 403
    assert named.json()["errors"][0]["message"] == (
        'You don\'t have permission to access fields "body", "rating" in collection "articles" or they do not exist. Queried in root.'
    )
    assert filtered.status_code == 403
    assert searched.json()["data"] == []  # search never looks at fields the caller may not read


def test_related_collections_need_their_own_read_permission(
    world: World, articles: list[dict[str, Any]]
) -> None:
    rule = world.grant(world.app_policy, "articles", "read")
    try:
        denied = world.as_(
            world.app,
            "GET",
            "/items/articles",
            params={"fields": "title,author.name", "sort": "title"},
        )
        filtered = world.as_(
            world.app,
            "GET",
            "/items/articles",
            params={"fields": "title", "filter": '{"author":{"name":{"_eq":"Ann"}}}'},
        )
        authors = world.grant(
            world.app_policy, "authors", "read", permissions={"name": {"_eq": "Ann"}}
        )
        allowed = world.as_(
            world.app,
            "GET",
            "/items/articles",
            params={"fields": "title,author.name", "sort": "title"},
        )
        world.revoke(authors)
    finally:
        world.revoke(rule)

    # Followed into a collection the caller may not read, the relation is left out (Directus
    # 12.4); filtering through it is refused.
    assert denied.json()["data"] == [{"title": "Alpha"}, {"title": "Beta"}, {"title": "Gamma"}]
    assert filtered.json()["errors"][0]["message"] == forbidden_collection("authors", '"author"')
    assert allowed.json()["data"] == [
        {"title": "Alpha", "author": {"name": "Ann"}},
        {"title": "Beta", "author": None},  # Bob is not visible
        {"title": "Gamma", "author": None},
    ]


def test_create_with_presets_validation_and_field_limits(world: World) -> None:
    create = world.grant(
        world.app_policy,
        "articles",
        "create",
        fields=["title", "rating", "status"],
        presets={"status": "review"},
        validation={"rating": {"_lte": 5}},
    )
    second_rule = world.grant(
        world.app_policy,
        "articles",
        "create",
        fields=["title"],
        validation={"title": {"_nempty": True}},
    )
    read = world.grant(world.app_policy, "articles", "read")
    try:
        created = world.as_(
            world.app, "POST", "/items/articles", json={"title": "Fine", "rating": 4}
        )
        too_high = world.as_(
            world.app, "POST", "/items/articles", json={"title": "Bad", "rating": 9}
        )
        empty_title = world.as_(
            world.app, "POST", "/items/articles", json={"title": "", "rating": 2}
        )
        body = world.as_(
            world.app, "POST", "/items/articles", json={"title": "X", "body": "not allowed"}
        )
    finally:
        for permission in (create, second_rule, read):
            world.revoke(permission)
    created_item = created.json()["data"]
    world.as_(world.admin, "DELETE", f"/items/articles/{created_item['id']}")

    assert created_item["status"] == "review"
    assert too_high.status_code == 400
    assert too_high.json()["errors"][0] == {
        "message": 'Validation failed for field "rating". Value has to be less than or equal to "5".',
        "extensions": {
            "field": "rating",
            "type": "lte",
            "path": [],
            "valid": 5,
            "code": "FAILED_VALIDATION",
        },
    }
    assert (
        empty_title.json()["errors"][0]["extensions"]["field"] == "title"
    )  # rules of both rows apply
    assert body.status_code == 403


def test_a_write_the_caller_may_not_read_back_answers_204(world: World) -> None:
    create = world.grant(world.app_policy, "articles", "create")
    try:
        response = world.as_(world.app, "POST", "/items/articles", json={"title": "Blind"})
    finally:
        world.revoke(create)
    created = world.as_(
        world.admin,
        "GET",
        "/items/articles",
        params={"filter": '{"title":{"_eq":"Blind"}}', "fields": "id"},
    ).json()["data"]
    world.as_(world.admin, "DELETE", "/items/articles", json=[c["id"] for c in created])

    assert response.status_code == 204
    assert len(created) == 1


def test_update_and_delete_check_every_target(world: World, articles: list[dict[str, Any]]) -> None:
    update = world.grant(
        world.app_policy,
        "articles",
        "update",
        permissions={"status": {"_eq": "draft"}},
        fields=["title"],
    )
    delete = world.grant(
        world.app_policy, "articles", "delete", permissions={"status": {"_eq": "draft"}}
    )
    read = world.grant(world.app_policy, "articles", "read")
    draft, published = articles[1]["id"], articles[0]["id"]
    try:
        ok = world.as_(world.app, "PATCH", f"/items/articles/{draft}", json={"title": "Beta 2"})
        refused = world.as_(
            world.app,
            "PATCH",
            "/items/articles",
            json={"keys": [draft, published], "data": {"title": "Nope"}},
        )
        field = world.as_(world.app, "PATCH", f"/items/articles/{draft}", json={"rating": 1})
        gone = world.as_(world.app, "DELETE", f"/items/articles/{published}")
    finally:
        for permission in (update, delete, read):
            world.revoke(permission)

    assert ok.json()["data"]["title"] == "Beta 2"
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"] == (
        'You don\'t have permission to perform "update" for collection "articles" or it does not exist.'
    )
    assert field.status_code == 403
    assert gone.status_code == 403
    unchanged = world.as_(
        world.admin, "GET", f"/items/articles/{published}", params={"fields": "title"}
    )
    assert unchanged.json()["data"]["title"] == "Alpha"


def test_field_granted_only_on_some_targets(world: World, articles: list[dict[str, Any]]) -> None:
    base = world.grant(world.app_policy, "articles", "update", fields=["title"])
    rating = world.grant(
        world.app_policy,
        "articles",
        "update",
        permissions={"status": {"_eq": "draft"}},
        fields=["rating"],
    )
    try:
        response = world.as_(
            world.app,
            "PATCH",
            "/items/articles",
            json={"keys": [articles[0]["id"], articles[1]["id"]], "data": {"rating": 2}},
        )
    finally:
        world.revoke(base)
        world.revoke(rating)

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        'You don\'t have permissions to perform "update" for the field(s) "rating" in collection "articles" or it does not exist.'
    )


def test_policies_reach_through_the_role_tree(world: World, articles: list[dict[str, Any]]) -> None:
    harness = world.harness
    parent = world.as_(
        world.admin,
        "POST",
        "/roles",
        json={"name": "Parent", "policies": [{"policy": {"name": "Parent policy"}}]},
    ).json()["data"]
    child = world.as_(
        world.admin, "POST", "/roles", json={"name": "Child", "parent": parent["id"]}
    ).json()["data"]
    access = world.as_(
        world.admin, "GET", "/access", params={"filter": f'{{"role":{{"_eq":"{parent["id"]}"}}}}'}
    ).json()["data"][0]
    world.grant(access["policy"], "articles", "read", fields=["title"])
    from tests.conftest import PASSWORD, unique_email

    email = unique_email()
    harness.create_user(email, role=child["id"])
    response = harness.client.get(
        "/items/articles", params={"sort": "title"}, headers=harness.bearer(email, PASSWORD)
    )

    assert [a["title"] for a in response.json()["data"]] == ["Alpha", "Beta", "Gamma"]
    cycle = world.as_(world.admin, "PATCH", f"/roles/{parent['id']}", json={"parent": child["id"]})
    itself = world.as_(
        world.admin, "PATCH", f"/roles/{parent['id']}", json={"parent": parent["id"]}
    )
    assert (
        cycle.json()["errors"][0]["message"]
        == "Invalid payload. A role cannot have a parent that is already a descendant of itself."
    )
    assert (
        itself.json()["errors"][0]["message"]
        == "Invalid payload. A role cannot be a parent of itself."
    )


def test_ip_access_policies_apply_only_from_their_networks(
    world: World, articles: list[dict[str, Any]]
) -> None:
    policy = world.as_(
        world.admin,
        "POST",
        "/policies",
        json={
            "name": "Office only",
            "ip_access": ["10.0.0.0/8"],
            "roles": [{"role": world.app.role}],
        },
    ).json()["data"]
    world.grant(policy["id"], "articles", "read")
    try:
        response = world.as_(world.app, "GET", "/items/articles")
    finally:
        world.as_(world.admin, "DELETE", f"/policies/{policy['id']}")
    bad = world.as_(
        world.admin, "POST", "/policies", json={"name": "Bad", "ip_access": ["10.0.0.*"]}
    )

    assert response.status_code == 403  # requests come from 127.0.0.1
    assert bad.json()["errors"][0]["message"] == (
        "Invalid payload. IP Access contains an incorrect value. Valid values are: IP addresses, IP ranges and CIDR blocks."
    )


def test_schema_changes_are_for_administrators(world: World) -> None:
    for caller in (world.app, world.api, world.anonymous):
        assert status(world, caller, "POST", "/collections", json={"collection": "sneaky"}) == 403
        assert (
            status(world, caller, "POST", "/fields/articles", json={"field": "x", "type": "string"})
            == 403
        )


def test_fields_and_collections_are_listed_under_read_permissions(world: World) -> None:
    # An API-only user reads the data model once a policy lets it read the system collections
    # it is kept in (as app access does); what it lists then follows its read permissions.
    rules = [
        world.grant(world.api_policy, "articles", "read", fields=["id", "title"]),
        world.grant(world.api_policy, "directus_collections", "read"),
        world.grant(world.api_policy, "directus_fields", "read"),
    ]
    try:
        collections = world.as_(world.api, "GET", "/collections").json()["data"]
        fields = world.as_(world.api, "GET", "/fields/articles").json()["data"]
        authors = world.as_(world.api, "GET", "/fields/authors")
    finally:
        for rule in rules:
            world.revoke(rule)

    assert [c["collection"] for c in collections] == ["articles"]
    assert [f["field"] for f in fields] == ["id", "title"]
    assert authors.status_code == 403


def test_permissions_me_and_globals(world: World) -> None:
    rule = world.grant(
        world.app_policy,
        "articles",
        "read",
        permissions={"status": {"_eq": "published"}},
        fields=["id", "title"],
    )
    try:
        mine = world.as_(world.app, "GET", "/permissions/me").json()["data"]
        anonymous = world.as_(world.anonymous, "GET", "/permissions/me")
    finally:
        world.revoke(rule)
    globals_app = world.as_(world.app, "GET", "/policies/me/globals").json()["data"]
    globals_anon = world.as_(world.anonymous, "GET", "/policies/me/globals").json()["data"]
    roles = world.as_(world.app, "GET", "/roles/me", params={"fields": "name"}).json()["data"]

    assert mine["articles"]["read"] == {"access": "partial", "fields": ["id", "title"]}
    assert mine["articles"]["update"] == {"access": "none"}
    assert anonymous.status_code == 403
    assert globals_app == {"app_access": True, "admin_access": False, "enforce_tfa": False}
    assert globals_anon == {"app_access": False}
    assert roles == [{"name": "Editors"}]


# Directus 12.4's built-in rows for app access (@directus/system-data appAccessMinimalPermissions).
_MINE = {"_eq": "$CURRENT_USER"}
APP_SETTINGS_FIELDS = list(DIRECTUS_APP_SETTINGS_FIELDS)
APP_ROWS = [
    ("directus_collections", "read"),
    ("directus_fields", "read"),
    ("directus_relations", "read"),
    ("directus_translations", "read"),
    ("directus_activity", "read"),
    ("directus_comments", "read"),
    ("directus_comments", "create"),
    ("directus_comments", "update"),
    ("directus_comments", "delete"),
    ("directus_presets", "read"),
    ("directus_presets", "create"),
    ("directus_presets", "update"),
    ("directus_presets", "delete"),
    ("directus_roles", "read"),
    ("directus_settings", "read"),
    ("directus_translations", "read"),
    ("directus_notifications", "read"),
    ("directus_notifications", "update"),
    ("directus_shares", "read"),
    ("directus_users", "read"),
]


def _token_params(caller: Caller) -> dict[str, str]:
    """The caller's token as ``?access_token=`` instead of a header."""
    return {"access_token": caller.headers["Authorization"].removeprefix("Bearer ")}


def test_permissions_me_answers_as_directus_for_each_caller(world: World) -> None:
    plain = world.grant(world.app_policy, "articles", "read", fields=["id"])
    ruled = world.grant(
        world.app_policy,
        "articles",
        "read",
        permissions={"status": {"_eq": "published"}},
        fields=["title"],
    )
    preset = world.grant(world.app_policy, "articles", "create", presets={"status": "draft"})
    api_rule = world.grant(world.api_policy, "articles", "read")
    try:
        app = world.as_(world.app, "GET", "/permissions/me").json()["data"]
        app_by_query = world.harness.client.get(
            "/permissions/me", params=_token_params(world.app)
        ).json()["data"]
        api = world.as_(world.api, "GET", "/permissions/me").json()["data"]
        admin = world.as_(world.admin, "GET", "/permissions/me").json()["data"]
        roleless = world.as_(world.roleless, "GET", "/permissions/me").json()["data"]
        anonymous = world.as_(world.anonymous, "GET", "/permissions/me")
    finally:
        for rule in (plain, ruled, preset, api_rule):
            world.revoke(rule)

    # partial once any row has a rule; presets only where a row has some
    assert app["articles"]["read"] == {"access": "partial", "fields": ["id", "title"]}
    assert app["articles"]["create"] == {
        "access": "full",
        "fields": ["*"],
        "presets": {"status": "draft"},
    }
    assert app["directus_comments"] == {
        "read": {"access": "partial", "fields": ["*"]},
        "create": {"access": "full", "fields": ["*"]},
        "update": {"access": "partial", "fields": ["comment"]},
        "delete": {"access": "partial", "fields": ["*"]},
        "share": {"access": "none"},
    }
    assert app["directus_notifications"]["update"] == {"access": "partial", "fields": ["status"]}
    assert app["directus_settings"]["read"] == {"access": "full", "fields": APP_SETTINGS_FIELDS}
    assert sorted(app) == sorted({"articles", *(c for c, _ in APP_ROWS)})
    assert app_by_query == app
    assert api == {
        "articles": {
            "read": {"access": "full", "fields": ["*"]},
            "create": {"access": "none"},
            "update": {"access": "none"},
            "delete": {"access": "none"},
            "share": {"access": "none"},
        }
    }
    assert admin["directus_comments"]["share"] == {"access": "full", "fields": ["*"]}
    assert admin["articles"]["read"] == {"access": "full", "fields": ["*"]}
    assert {"directus_files", "directus_oauth_tokens", "directus_users"} <= set(admin)
    assert roleless == {}
    assert anonymous.status_code == 403


def test_permission_lists_end_with_directus_built_in_app_rows(world: World) -> None:
    listed = world.as_(
        world.admin,
        "GET",
        "/permissions",
        params={"fields": "collection,action", "sort": "collection"},
    ).json()["data"]
    filtered = world.as_(
        world.admin,
        "GET",
        "/permissions",
        params={"filter": '{"collection":{"_eq":"directus_comments"}}'},
    ).json()["data"]

    system = [r for r in listed if r.get("system")]
    assert [(r["collection"], r["action"]) for r in system] == APP_ROWS
    assert listed[-len(APP_ROWS) :] == system
    assert all("id" not in r and r["policy"] is None and r["presets"] is None for r in system)
    settings = next(r for r in system if r["collection"] == "directus_settings")
    assert settings["fields"] == APP_SETTINGS_FIELDS
    assert settings["permissions"] == {}
    assert settings["validation"] is None
    assert [r["action"] for r in filtered] == ["read", "create", "update", "delete"]
    assert filtered[1]["validation"] == {"comment": {"_nnull": True}}
    assert filtered[2]["fields"] == ["comment"]
    assert filtered[0]["permissions"] == {"user_created": _MINE}


def test_permission_lists_include_the_built_in_app_rows(world: World) -> None:
    rows = world.as_(world.admin, "GET", "/permissions", params={"limit": "1"}).json()["data"]

    system = [r for r in rows if r.get("system")]
    assert any(r["collection"] == "directus_users" and r["action"] == "read" for r in system)
    assert len(rows) > 1  # never paginated


def test_the_last_admin_survives_access_model_changes(world: World) -> None:
    admin_role = world.as_(world.admin, "GET", "/users/me", params={"fields": "role"}).json()[
        "data"
    ]["role"]
    admin_access = world.as_(
        world.admin,
        "GET",
        "/access",
        params={"filter": f'{{"role":{{"_eq":"{admin_role}"}}}}', "fields": "id,policy"},
    ).json()["data"][0]

    unlink = world.as_(world.admin, "DELETE", f"/access/{admin_access['id']}")
    demote = world.as_(
        world.admin, "PATCH", f"/policies/{admin_access['policy']}", json={"admin_access": False}
    )
    drop_role = world.as_(world.admin, "DELETE", f"/roles/{admin_role}")

    for response in (unlink, demote, drop_role):
        assert response.status_code == 422, response.text
    assert world.as_(world.admin, "GET", "/users/me").status_code == 200


def test_deleting_a_role_suspends_its_users(world: World) -> None:
    harness = world.harness
    role = world.as_(world.admin, "POST", "/roles", json={"name": "Temporary"}).json()["data"]
    from tests.conftest import unique_email

    user = harness.create_user(unique_email(), role=role["id"])

    response = world.as_(world.admin, "DELETE", f"/roles/{role['id']}")

    assert response.status_code == 204
    after = world.as_(
        world.admin, "GET", f"/users/{user['id']}", params={"fields": "role,status"}
    ).json()["data"]
    assert after == {"role": None, "status": "suspended"}


def test_graphql_permissions_me_is_the_rest_summary_for_those_who_may_read_permissions(
    world: World,
) -> None:
    rule = world.grant(world.app_policy, "articles", "read", fields=["id"])
    reader = world.grant(world.api_policy, "directus_permissions", "read")
    query = {"query": "{ permissions_me }"}
    try:
        admin = world.as_(world.admin, "POST", "/graphql/system", json=query)
        admin_rest = world.as_(world.admin, "GET", "/permissions/me").json()["data"]
        api = world.as_(world.api, "POST", "/graphql/system", json=query)
        api_rest = world.as_(world.api, "GET", "/permissions/me").json()["data"]
        app = world.as_(world.app, "POST", "/graphql/system", json=query)
        roleless = world.as_(world.roleless, "POST", "/graphql/system", json=query)
        anonymous = world.as_(world.anonymous, "POST", "/graphql/system", json=query)
    finally:
        world.revoke(rule)
        world.revoke(reader)

    assert admin.status_code == 200, admin.text
    assert admin.json() == {"data": {"permissions_me": admin_rest}}
    assert api.json() == {"data": {"permissions_me": api_rest}}
    assert api_rest["directus_permissions"]["read"] == {"access": "full", "fields": ["*"]}
    not_served = 'Cannot query field "permissions_me" on type "Query".'
    for refused in (app, roleless, anonymous):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["errors"][0]["message"] == not_served


def test_a_missing_required_value_is_type_required(world: World) -> None:
    """As Directus (Joi's ``any.required``): ``type`` is "required", for the data model's
    required fields and for a permission's ``_submitted`` validation alike."""
    policy = world.as_(world.admin, "POST", "/policies", json={})
    permission = world.harness.client.post(
        "/permissions",
        json={"collection": "articles", "fields": ["*"]},
        params=_token_params(world.admin),
    )
    rule = world.grant(
        world.app_policy, "articles", "create", validation={"body": {"_submitted": True}}
    )
    try:
        missing_body = world.as_(world.app, "POST", "/items/articles", json={"title": "x"})
    finally:
        world.revoke(rule)

    def failures(response: Any) -> list[tuple[str, str, str]]:
        assert response.status_code == 400, response.text
        return [
            (e["extensions"]["code"], e["extensions"]["field"], e["extensions"]["type"])
            for e in response.json()["errors"]
        ]

    assert failures(policy) == [("FAILED_VALIDATION", "name", "required")]
    assert failures(permission) == [
        ("FAILED_VALIDATION", "action", "required"),
        ("FAILED_VALIDATION", "policy", "required"),
    ]
    assert failures(missing_body) == [("FAILED_VALIDATION", "body", "required")]
    assert policy.json()["errors"][0]["message"] == (
        'Validation failed for field "name". Value is required.'
    )
