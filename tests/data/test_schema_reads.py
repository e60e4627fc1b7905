"""Reading the data model (/collections, /fields, /relations): who may, the refusals Directus
gives (whose read is missing, in its words), and the shape of what it answers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.data.conftest import Caller, World


def _message(response: Any) -> str:
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    return str(errors[0]["message"])


def _perform(collection: str) -> str:
    return f'You don\'t have permission to perform "read" for collection "{collection}" or it does not exist.'


def _access(collection: str) -> str:
    return f'You don\'t have permission to access collection "{collection}" or it does not exist. Queried in root.'


def _transports(world: World, caller: Caller) -> list[dict[str, Any]]:
    """The same caller by Bearer header, session cookie and ?access_token=."""
    client = world.harness.client
    token = caller.headers["Authorization"].split(" ", 1)[1]
    session = client.post(
        "/auth/login", json={"email": caller.name, "password": PASSWORD, "mode": "session"}
    )
    assert session.status_code == 200, session.text
    cookie = session.cookies["directus_session_token"]
    client.cookies.clear()
    return [
        {"headers": caller.headers},
        {"headers": {"Cookie": f"directus_session_token={cookie}"}},
        {"params": {"access_token": token}},
    ]


def test_an_api_only_user_may_not_read_the_data_model(world: World) -> None:
    # Reading articles is not enough: the data model lives in directus_collections,
    # directus_fields and directus_relations, which only app access (or a policy) opens.
    rule = world.grant(world.api_policy, "articles", "read")
    try:
        for transport in _transports(world, world.api):
            client = world.harness.client
            listed = client.get("/collections", **transport)
            one = client.get("/collections/articles", **transport)
            unknown = client.get("/collections/nope", **transport)
            fields = client.get("/fields/articles", **transport)
            relations = client.get("/relations/articles", **transport)
            every_relation = client.get("/relations", **transport)

            assert listed.status_code == 403
            assert _message(listed) == _access("directus_collections")
            assert one.status_code == 403
            assert _message(one) == _access("directus_collections")
            assert unknown.status_code == 403
            assert _message(unknown) == _perform("nope")
            assert fields.status_code == 403
            assert _message(fields) == _perform("directus_fields")
            assert relations.status_code == 403
            assert _message(relations) == _perform("directus_relations")
            assert _message(every_relation) == _perform("directus_relations")
    finally:
        world.revoke(rule)


@pytest.mark.parametrize("who", ["roleless", "anonymous"])
def test_callers_without_app_access_are_refused_in_directus_words(world: World, who: str) -> None:
    caller: Caller = getattr(world, who)
    one = world.as_(caller, "GET", "/collections/articles")
    unknown = world.as_(caller, "GET", "/collections/nope")
    fields = world.as_(caller, "GET", "/fields/articles")
    unknown_fields = world.as_(caller, "GET", "/fields/nope")
    relations = world.as_(caller, "GET", "/relations/articles")
    unknown_relations = world.as_(caller, "GET", "/relations/nope")

    assert _message(one) == _perform("articles")
    assert _message(unknown) == _perform("nope")
    assert _message(fields) == _perform("directus_fields")
    assert _message(unknown_fields) == _access("nope")
    assert relations.status_code == 403
    assert _message(relations) == _perform("directus_relations")
    assert _message(unknown_relations) == _access("nope")


def test_app_users_and_administrators_read_it(world: World) -> None:
    rule = world.grant(world.app_policy, "articles", "read")
    try:
        app_unknown = world.as_(world.app, "GET", "/collections/nope")
        app_one = world.as_(world.app, "GET", "/collections/articles")
        app_relations = world.as_(world.app, "GET", "/relations/articles")
    finally:
        world.revoke(rule)
    admin_unknown = world.as_(world.admin, "GET", "/collections/nope")

    assert _message(app_unknown) == _perform("nope")
    assert app_one.status_code == 200
    assert app_one.json()["data"]["collection"] == "articles"
    assert {r["field"] for r in app_relations.json()["data"]} == {"author", "owner"}
    # An administrator is only told no, without a reason (Directus's plain ForbiddenError).
    assert admin_unknown.status_code == 403
    assert admin_unknown.json()["errors"] == [
        {
            "message": "You don't have permission to access this.",
            "extensions": {"code": "FORBIDDEN"},
        }
    ]


def test_one_field_needs_only_the_read_of_its_collection(world: World) -> None:
    # As Directus: GET /fields/<collection>/<field> checks the collection, not directus_fields.
    rule = world.grant(world.api_policy, "articles", "read")
    try:
        api = world.as_(world.api, "GET", "/fields/articles/title")
        api_list = world.as_(world.api, "GET", "/fields/articles")
    finally:
        world.revoke(rule)
    roleless = world.as_(world.roleless, "GET", "/fields/articles/title")
    unknown_collection = world.as_(world.roleless, "GET", "/fields/nope/title")
    unknown_field = world.as_(world.admin, "GET", "/fields/articles/nope")

    assert api.status_code == 200
    assert api.json()["data"]["field"] == "title"
    assert _message(api_list) == _perform("directus_fields")
    assert _message(roleless) == _perform("articles")
    assert _message(unknown_collection) == _access("nope")
    assert unknown_field.status_code == 403
    assert (
        unknown_field.json()["errors"][0]["message"] == "You don't have permission to access this."
    )


def test_the_data_model_reads_as_the_database_describes_it(world: World) -> None:
    admin = world.harness.admin
    client = world.harness.client
    sqlite = world.harness.backend == "sqlite"
    created = client.post(
        "/collections",
        json={
            "collection": "shapes",
            "meta": {"icon": "shapes"},
            "schema": {},
            "fields": [
                {
                    "field": "id",
                    "type": "integer",
                    "meta": {"hidden": True},
                    "schema": {"is_primary_key": True, "has_auto_increment": True},
                },
                {"field": "title", "type": "string", "meta": {"interface": "input"}, "schema": {}},
                {"field": "status", "type": "string", "schema": {"default_value": "draft"}},
                {"field": "flag", "type": "boolean", "schema": {"default_value": True}},
                {"field": "code", "type": "string", "schema": {"is_unique": True}},
                {"field": "writer", "type": "integer", "meta": {"note": "n"}, "schema": {}},
            ],
        },
        headers=admin,
    )
    assert created.status_code == 200, created.text
    try:
        relation = client.post(
            "/relations",
            json={
                "collection": "shapes",
                "field": "writer",
                "related_collection": "authors",
                "schema": {"on_delete": "CASCADE"},
            },
            headers=admin,
        )
        fields = client.get("/fields/shapes", headers=admin).json()["data"]
        one = client.get("/collections/shapes", headers=admin).json()["data"]
        relations = client.get("/relations/shapes", headers=admin).json()["data"]
    finally:
        client.request("DELETE", "/collections/shapes", headers=admin)

    assert relation.status_code == 200, relation.text
    assert created.json()["data"]["meta"]["status"] == "active"
    assert one["meta"]["autosave_revision_interval"] is None
    if sqlite:
        assert one["schema"]["name"] == "shapes"
        assert one["schema"]["sql"].startswith("CREATE TABLE")
    else:
        assert one["schema"] == {"name": "shapes", "schema": "public", "comment": None}

    by_name = {f["field"]: f for f in fields}
    # A field created without meta has none; the others are sorted in the order given.
    assert by_name["status"]["meta"] is None
    assert by_name["code"]["meta"] is None
    assert [by_name[n]["meta"]["sort"] for n in ("id", "title", "writer")] == [1, 2, 3]
    varchar = "varchar" if sqlite else "character varying"
    assert {n: f["schema"]["data_type"] for n, f in by_name.items()} == {
        "id": "integer",
        "title": varchar,
        "status": varchar,
        "flag": "boolean",
        "code": varchar,
        "writer": "integer",
    }
    assert by_name["status"]["schema"]["default_value"] == "draft"
    assert by_name["flag"]["schema"]["default_value"] is True
    assert by_name["title"]["schema"]["is_indexed"] is False
    assert by_name["code"]["schema"]["is_unique"] is True
    assert by_name["code"]["schema"]["is_indexed"] is True
    # SQLite's integer primary key is the rowid: no index, not "unique" (PostgreSQL's is both).
    assert by_name["id"]["schema"]["is_unique"] is (not sqlite)
    assert all(("comment" in f["schema"]) is (not sqlite) for f in fields)

    assert relations[0]["schema"] == {
        "table": "shapes",
        "column": "writer",
        "foreign_key_table": "authors",
        "foreign_key_column": "id",
        "on_update": "NO ACTION",
        "on_delete": "CASCADE",
        "constraint_name": None if sqlite else "fk_shapes_writer_authors",
    }


def test_system_relations_carry_every_meta_key(world: World) -> None:
    relations = world.as_(world.admin, "GET", "/relations/directus_users").json()["data"]

    role = next(r for r in relations if r["field"] == "role")
    assert role["meta"]["one_collection_field"] is None
    assert role["meta"]["one_allowed_collections"] is None
    assert role["meta"]["one_collection"] == "directus_roles"
