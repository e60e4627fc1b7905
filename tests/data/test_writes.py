"""Writes on /items: nested relations, batches, singletons, specials, field rules,
transactions, and the data model changing under them (/collections, /fields, /relations)."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from tests.data.conftest import World


def admin(world: World, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return world.as_(world.admin, method, path, **kwargs)


def test_o2m_lists_replace_the_set_and_change_sets_edit_it(world: World) -> None:
    author = admin(
        world,
        "POST",
        "/items/authors",
        json={"name": "Nested", "articles": [{"title": "N1"}, {"title": "N2"}]},
    ).json()["data"]
    first, second = author["articles"]

    replaced = admin(
        world,
        "PATCH",
        f"/items/authors/{author['id']}",
        json={"articles": [first, {"title": "N3"}]},
        params={"fields": "articles.title"},
    )
    changed = admin(
        world,
        "PATCH",
        f"/items/authors/{author['id']}",
        json={
            "articles": {
                "create": [{"title": "N4"}],
                "update": [{"id": first, "title": "N1!"}],
                "delete": [],
            }
        },
        params={"fields": "articles.title"},
    )
    orphan = admin(
        world, "GET", f"/items/articles/{second}", params={"fields": "title,author"}
    ).json()["data"]

    assert sorted(a["title"] for a in replaced.json()["data"]["articles"]) == ["N1", "N3"]
    assert sorted(a["title"] for a in changed.json()["data"]["articles"]) == ["N1!", "N3", "N4"]
    assert orphan == {"title": "N2", "author": None}  # deselected: nullified, not deleted


def test_a_failing_nested_write_leaves_nothing_behind(world: World) -> None:
    before = admin(world, "GET", "/items/authors", params={"aggregate[count]": "*"}).json()["data"][
        0
    ]["count"]

    response = admin(
        world,
        "POST",
        "/items/articles",
        json={"title": "Ok", "author": {"name": "Orphan"}, "rating": "not a number"},
    )

    assert response.status_code == 400
    after = admin(world, "GET", "/items/authors", params={"aggregate[count]": "*"}).json()["data"][
        0
    ]["count"]
    assert after == before


def test_batch_forms(world: World) -> None:
    created = admin(
        world, "POST", "/items/articles", json=[{"title": "B1"}, {"title": "B2"}, {"title": "B3"}]
    ).json()["data"]
    ids = [a["id"] for a in created]

    each = admin(
        world,
        "PATCH",
        "/items/articles",
        json=[{"id": ids[0], "rating": 1}, {"id": ids[1], "rating": 2}],
    )
    keys = admin(
        world, "PATCH", "/items/articles", json={"keys": ids, "data": {"status": "archived"}}
    )
    query = admin(
        world,
        "DELETE",
        "/items/articles",
        json={"query": {"filter": {"title": {"_in": ["B1", "B2"]}}}},
    )
    left = admin(
        world,
        "GET",
        "/items/articles",
        params={"filter": '{"title":{"_starts_with":"B"}}', "fields": "title,status"},
    ).json()["data"]
    admin(world, "DELETE", "/items/articles", json={"keys": [ids[2]]})

    assert [a["rating"] for a in each.json()["data"]] == [1, 2]
    assert {a["status"] for a in keys.json()["data"]} == {"archived"}
    assert query.status_code == 204
    assert left == [{"title": "B3", "status": "archived"}]


def test_specials_fill_themselves(world: World) -> None:
    admin(
        world,
        "POST",
        "/fields/articles",
        json={
            "field": "created_on",
            "type": "timestamp",
            "meta": {"special": ["date-created"]},
            "schema": {},
        },
    )
    admin(
        world,
        "POST",
        "/fields/articles",
        json={
            "field": "edited_by",
            "type": "uuid",
            "meta": {"special": ["user-updated"]},
            "schema": {},
        },
    )
    try:
        item = admin(world, "POST", "/items/articles", json={"title": "Stamped"}).json()["data"]
        edited = admin(
            world, "PATCH", f"/items/articles/{item['id']}", json={"title": "Stamped!"}
        ).json()["data"]
    finally:
        admin(world, "DELETE", "/fields/articles/created_on")
        admin(world, "DELETE", "/fields/articles/edited_by")
    me = admin(world, "GET", "/users/me", params={"fields": "id"}).json()["data"]["id"]

    assert item["created_on"].startswith("2026-11-28T12:00:00")
    assert item["created_on"].endswith("Z")
    assert item["edited_by"] is None
    assert edited["edited_by"] == me
    admin(world, "DELETE", f"/items/articles/{item['id']}")


def test_field_validation_from_the_data_model(world: World) -> None:
    admin(
        world,
        "POST",
        "/fields/articles",
        json={
            "field": "code",
            "type": "string",
            "schema": {},
            "meta": {"validation": {"code": {"_regex": "^[A-Z]{3}$"}}},
        },
    )
    try:
        bad = admin(world, "POST", "/items/articles", json={"title": "V", "code": "abc"})
        good = admin(world, "POST", "/items/articles", json={"title": "V", "code": "ABC"})
    finally:
        admin(world, "DELETE", "/fields/articles/code")

    assert bad.status_code == 400
    assert bad.json()["errors"][0] == {
        "message": 'Validation failed for field "code". Value doesn\'t have the correct format.',
        "extensions": {"field": "code", "type": "regex", "path": [], "code": "FAILED_VALIDATION"},
    }
    assert good.status_code == 200
    admin(world, "DELETE", f"/items/articles/{good.json()['data']['id']}")


def test_activity_and_revisions_record_each_write(world: World) -> None:
    # Article ids are reused on SQLite once deleted, so only activity from this test counts.
    since = world.harness.sql("SELECT COALESCE(MAX(id), 0) FROM directus_activity")[0][0]
    item = admin(world, "POST", "/items/articles", json={"title": "Audited"}).json()["data"]
    admin(world, "PATCH", f"/items/articles/{item['id']}", json={"rating": 4})
    admin(world, "DELETE", f"/items/articles/{item['id']}")

    rows = world.harness.sql(
        "SELECT a.action, r.delta FROM directus_activity a LEFT JOIN directus_revisions r ON r.activity = a.id"
        " WHERE a.collection = 'articles' AND a.item = :item AND a.id > :since ORDER BY a.id",
        item=str(item["id"]),
        since=since,
    )
    assert [r[0] for r in rows] == ["create", "update", "delete"]
    assert rows[0][1] is not None
    assert rows[1][1] is not None
    assert "4" in str(rows[1][1])


def test_singletons(world: World) -> None:
    admin(
        world,
        "POST",
        "/collections",
        json={
            "collection": "site",
            "meta": {"singleton": True},
            "fields": [{"field": "headline", "type": "string", "schema": {}}],
        },
    )
    try:
        empty = admin(world, "GET", "/items/site").json()["data"]
        saved = admin(world, "PATCH", "/items/site", json={"headline": "Hello"}).json()["data"]
        again = admin(world, "PATCH", "/items/site", json={"headline": "Hello again"}).json()[
            "data"
        ]
        post = admin(world, "POST", "/items/site", json={"headline": "x"})
        rows = admin(world, "GET", "/items/site", params={"fields": "headline"}).json()["data"]
    finally:
        admin(world, "DELETE", "/collections/site")

    assert empty == {"id": None, "headline": None}
    assert saved["headline"] == "Hello"
    assert again["id"] == saved["id"]
    assert post.status_code == 404
    assert rows == {"headline": "Hello again"}


def test_collections_fields_and_relations_change_real_tables(world: World) -> None:
    created = admin(
        world,
        "POST",
        "/collections",
        json={
            "collection": "tags",
            "fields": [
                {
                    "field": "label",
                    "type": "string",
                    "schema": {"max_length": 20, "is_nullable": False},
                }
            ],
        },
    )
    field = admin(
        world,
        "POST",
        "/fields/tags",
        json={"field": "weight", "type": "float", "schema": {"default_value": 1.5}},
    )
    item = admin(world, "POST", "/items/tags", json={"label": "red"}).json()["data"]
    too_long = admin(world, "POST", "/items/tags", json={"label": "x" * 21})
    described = admin(world, "GET", "/fields/tags/label").json()["data"]
    dropped = admin(world, "DELETE", "/fields/tags/weight")
    after = admin(world, "GET", f"/items/tags/{item['id']}").json()["data"]
    duplicate = admin(world, "POST", "/collections", json={"collection": "tags"})
    system = admin(world, "POST", "/collections", json={"collection": "directus_evil"})
    gone = admin(world, "DELETE", "/collections/tags")
    missing = admin(world, "GET", "/items/tags")

    assert created.status_code == 200
    assert field.status_code == 200
    assert item == {"id": item["id"], "label": "red", "weight": 1.5}
    assert too_long.json()["errors"][0]["extensions"]["code"] == "VALUE_TOO_LONG"
    assert described["type"] == "string"
    assert described["schema"]["is_nullable"] is False
    assert described["schema"]["max_length"] == 20
    assert dropped.status_code == 204
    assert after == {"id": item["id"], "label": "red"}
    assert duplicate.status_code == 400
    assert system.status_code == 400
    assert gone.status_code == 204
    assert missing.status_code == 403


def test_every_field_type_round_trips(world: World) -> None:
    fields: list[dict[str, Any]] = [
        {"field": "s", "type": "string"},
        {"field": "t", "type": "text"},
        {"field": "i", "type": "integer"},
        {"field": "b", "type": "bigInteger"},
        {"field": "f", "type": "float"},
        {"field": "d", "type": "decimal"},
        {"field": "flag", "type": "boolean"},
        {"field": "ts", "type": "timestamp"},
        {"field": "dt", "type": "dateTime"},
        {"field": "day", "type": "date"},
        {"field": "clock", "type": "time"},
        {"field": "j", "type": "json"},
        {"field": "c", "type": "csv", "meta": {"special": ["cast-csv"]}},
        {"field": "u", "type": "uuid"},
    ]
    admin(
        world,
        "POST",
        "/collections",
        json={"collection": "everything", "fields": [{**f, "schema": {}} for f in fields]},
    )
    payload = {
        "s": "str",
        "t": "text",
        "i": 42,
        "b": 9007199254740993,
        "f": 1.5,
        "d": 12.5,
        "flag": True,
        "ts": "2026-01-02T03:04:05.006Z",
        "dt": "2026-01-02T03:04:05",
        "day": "2026-01-02",
        "clock": "03:04:05",
        "j": {"a": [1, 2]},
        "c": ["x", "y"],
        "u": "0e4b4a1c-2f30-4a35-9a4e-0f2d5f1c2b3a",
    }
    try:
        item = admin(world, "POST", "/items/everything", json=payload).json()["data"]
        types = {
            f["field"]: f["type"] for f in admin(world, "GET", "/fields/everything").json()["data"]
        }
    finally:
        admin(world, "DELETE", "/collections/everything")

    expected = {**payload, "ts": "2026-01-02T03:04:05.006Z", "d": item["d"]}
    assert {k: item[k] for k in payload} == expected
    assert float(item["d"]) == 12.5
    assert types == {"id": "integer", **{f["field"]: f["type"] for f in fields}}


def test_a_field_type_change_that_the_rows_cannot_take_is_refused_whole(world: World) -> None:
    admin(
        world,
        "POST",
        "/collections",
        json={
            "collection": "retyped",
            "fields": [{"field": "code", "type": "string", "schema": {}}],
        },
    )
    try:
        admin(world, "POST", "/items/retyped", json=[{"code": "12"}, {"code": "not a number"}])
        changed = admin(
            world, "PATCH", "/fields/retyped/code", json={"type": "integer", "schema": {}}
        )
        described = admin(world, "GET", "/fields/retyped/code").json()["data"]
        rows = admin(
            world, "GET", "/items/retyped", params={"fields": "code", "sort": "id"}
        ).json()["data"]
        shorter = admin(world, "PATCH", "/fields/retyped/code", json={"schema": {"max_length": 3}})
        blank = admin(world, "POST", "/items/retyped", json={"code": None}).json()["data"]["id"]
        refused_null = admin(
            world, "PATCH", "/fields/retyped/code", json={"schema": {"is_nullable": False}}
        )
        admin(world, "DELETE", f"/items/retyped/{blank}")
        not_null = admin(
            world, "PATCH", "/fields/retyped/code", json={"schema": {"is_nullable": False}}
        )
        null_write = admin(world, "POST", "/items/retyped", json={"code": None})
    finally:
        admin(world, "DELETE", "/collections/retyped")

    assert changed.status_code == 400, changed.text
    assert changed.json()["errors"][0]["extensions"]["code"] in (
        "INVALID_PAYLOAD",
        "UNPROCESSABLE_CONTENT",
    )
    assert described["type"] == "string"
    assert rows == [{"code": "12"}, {"code": "not a number"}]
    assert shorter.status_code == 400, shorter.text  # "not a number" does not fit in 3
    assert refused_null.json()["errors"][0]["extensions"]["code"] == "NOT_NULL_VIOLATION"
    assert not_null.status_code == 200, not_null.text
    assert null_write.json()["errors"][0]["extensions"]["code"] == "FAILED_VALIDATION"


def test_a_field_type_change_converts_the_values(world: World) -> None:
    admin(
        world,
        "POST",
        "/collections",
        json={
            "collection": "converted",
            "fields": [{"field": "n", "type": "string", "schema": {}}],
        },
    )
    try:
        admin(world, "POST", "/items/converted", json=[{"n": "12"}, {"n": "-3"}, {"n": None}])
        changed = admin(world, "PATCH", "/fields/converted/n", json={"type": "integer"})
        rows = admin(
            world,
            "GET",
            "/items/converted",
            params={"fields": "n", "sort": "id", "filter[n][_gt]": "0"},
        ).json()["data"]
        bad_schema = admin(
            world, "PATCH", "/fields/converted/n", json={"schema": {"max_length": "ten"}}
        )
    finally:
        admin(world, "DELETE", "/collections/converted")

    assert changed.status_code == 200, changed.text
    assert rows == [{"n": 12}]
    assert bad_schema.status_code == 400


def test_a_key_outside_the_data_model_is_dropped_when_every_field_is_granted(
    world: World,
) -> None:
    # As Directus: the payload's keys are checked against the field list only when it has no
    # "*"; with "*" a key the data model does not know is not written.
    rules = [world.grant(world.app_policy, "articles", a) for a in ("create", "update", "read")]
    try:
        created = world.as_(world.app, "POST", "/items/articles", json={"title": "Kept", "nope": 1})
        key = created.json()["data"]["id"]
        updated = world.as_(
            world.app, "PATCH", f"/items/articles/{key}", json={"title": "Still", "nope": 2}
        )
    finally:
        for rule in rules:
            world.revoke(rule)
    listed = world.grant(world.app_policy, "articles", "create", fields=["title"])
    try:
        narrow = world.as_(world.app, "POST", "/items/articles", json={"title": "X", "nope": 1})
    finally:
        world.revoke(listed)

    assert created.status_code == 200, created.text
    assert "nope" not in created.json()["data"]
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["title"] == "Still"
    assert narrow.status_code == 403
    assert narrow.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
