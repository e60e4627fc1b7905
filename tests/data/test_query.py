"""The query language on /items: fields, filters (relational too), search, sort, paging,
meta, aggregates, deep, alias, SEARCH; every read one statement."""

from __future__ import annotations

from typing import Any

import pytest

from tests.data.conftest import World


def get(world: World, path: str, **params: Any) -> Any:
    response = world.as_(world.admin, "GET", path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def titles(body: Any) -> list[str]:
    return [item["title"] for item in body["data"]]


def test_default_fields_are_every_column_in_order(
    world: World, articles: list[dict[str, Any]]
) -> None:
    body = get(world, "/items/articles", limit="1")

    assert list(body["data"][0]) == [
        f["field"] for f in __import__("tests.data.conftest", fromlist=["x"]).ARTICLE_FIELDS
    ]
    assert "meta" not in body


def test_relational_fields_one_level_and_two(world: World, articles: list[dict[str, Any]]) -> None:
    body = get(
        world,
        "/items/articles",
        fields="title,author.name,author.articles.title",
        filter='{"title":{"_eq":"Alpha"}}',
    )

    assert body["data"] == [
        {"title": "Alpha", "author": {"name": "Ann", "articles": [{"title": "Alpha"}]}}
    ]


def test_star_star_expands_relations(world: World, articles: list[dict[str, Any]]) -> None:
    body = get(world, "/items/articles", fields="*.*", filter='{"title":{"_eq":"Beta"}}')

    item = body["data"][0]
    assert item["author"]["name"] == "Bob"
    assert item["owner"]["email"] == "admin@example.com"
    assert "password" in item["owner"]
    assert item["owner"]["password"] == "**********"


def test_o2m_without_subfields_lists_keys(world: World, articles: list[dict[str, Any]]) -> None:
    body = get(world, "/items/authors", fields="name,articles", filter='{"name":{"_eq":"Ann"}}')

    assert body["data"] == [{"name": "Ann", "articles": [articles[0]["id"]]}]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ('{"status":{"_eq":"published"}}', ["Alpha", "Gamma"]),
        ('{"rating":{"_gte":3}}', ["Alpha", "Beta"]),
        ('{"rating":{"_between":[2,4]}}', ["Beta"]),
        ('{"title":{"_in":["Alpha","Gamma"]}}', ["Alpha", "Gamma"]),
        ('{"body":{"_null":true}}', ["Beta"]),
        ('{"body":{"_contains":"100%"}}', ["Gamma"]),
        ('{"body":{"_contains":"e_t"}}', ["Gamma"]),
        ('{"_or":[{"rating":{"_eq":1}},{"title":{"_starts_with":"Be"}}]}', ["Beta", "Gamma"]),
        ('{"author":{"name":{"_eq":"Bob"}}}', ["Beta"]),
        ('{"author":{"_null":true}}', ["Gamma"]),
        ('{"owner":{"email":{"_eq":"admin@example.com"}}}', ["Alpha", "Beta", "Gamma"]),
    ],
)
def test_filters(
    world: World, articles: list[dict[str, Any]], spec: str, expected: list[str]
) -> None:
    body = get(world, "/items/articles", filter=spec, sort="title", fields="title")

    assert titles(body) == expected


def test_o2m_some_and_none(world: World, articles: list[dict[str, Any]]) -> None:
    some = get(
        world, "/items/authors", filter='{"articles":{"_some":{"rating":{"_eq":5}}}}', fields="name"
    )
    none = get(
        world,
        "/items/authors",
        filter='{"articles":{"_none":{"rating":{"_eq":5}}}}',
        fields="name",
        sort="name",
    )

    assert [a["name"] for a in some["data"]] == ["Ann"]
    assert "Ann" not in [a["name"] for a in none["data"]]
    assert "Bob" in [a["name"] for a in none["data"]]


def test_bracket_filters_and_dynamic_variables(
    world: World, articles: list[dict[str, Any]]
) -> None:
    mine = get(
        world,
        "/items/articles",
        **{"filter[owner][_eq]": "$CURRENT_USER", "fields": "title", "sort": "title"},
    )

    assert titles(mine) == ["Alpha", "Beta", "Gamma"]


def test_search_sort_paging_and_meta(world: World, articles: list[dict[str, Any]]) -> None:
    searched = get(world, "/items/articles", search="words", fields="title")
    sorted_ = get(
        world, "/items/articles", sort="-rating", fields="title", limit="2", page="2", meta="*"
    )
    by_author = get(
        world,
        "/items/articles",
        sort="author.name",
        fields="title",
        filter='{"author":{"_nnull":true}}',
    )

    assert titles(searched) == ["Alpha"]
    assert titles(sorted_) == ["Gamma"]
    assert sorted_["meta"] == {"total_count": 3, "filter_count": 3}
    assert titles(by_author) == ["Alpha", "Beta"]


def test_aggregates(world: World, articles: list[dict[str, Any]]) -> None:
    counted = get(world, "/items/articles", **{"aggregate[count]": "*"})
    grouped = get(
        world,
        "/items/articles",
        **{"aggregate[sum]": "rating", "aggregate[max]": "rating", "groupBy": "status"},
    )

    assert counted["data"] == [{"count": 3}]
    assert grouped["data"] == [
        {"sum": {"rating": 3}, "max": {"rating": 3}, "status": "draft"},
        {"sum": {"rating": 6}, "max": {"rating": 5}, "status": "published"},
    ]


def test_deep_limits_and_sorts_nested_items(world: World, articles: list[dict[str, Any]]) -> None:
    extra = world.as_(
        world.admin,
        "POST",
        "/items/articles",
        json={"title": "Delta", "author": articles[0]["author"], "rating": 9},
    ).json()["data"]
    try:
        body = get(
            world,
            "/items/authors",
            fields="name,articles.title",
            filter='{"name":{"_eq":"Ann"}}',
            **{"deep[articles][_sort]": "-rating", "deep[articles][_limit]": "1"},
        )
    finally:
        world.as_(world.admin, "DELETE", f"/items/articles/{extra['id']}")

    assert body["data"] == [{"name": "Ann", "articles": [{"title": "Delta"}]}]


def test_alias(world: World, articles: list[dict[str, Any]]) -> None:
    body = get(
        world,
        "/items/articles",
        fields="headline",
        alias='{"headline":"title"}',
        sort="title",
        limit="1",
    )

    assert body["data"] == [{"headline": "Alpha"}]


def test_search_verb(world: World, articles: list[dict[str, Any]]) -> None:
    response = world.as_(
        world.admin,
        "SEARCH",
        "/items/articles",
        json={"query": {"filter": {"rating": {"_lt": 2}}, "fields": ["title"]}},
    )

    assert response.json() == {"data": [{"title": "Gamma"}]}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"filter": '{"rating":{"_contains":"1"}}'},
            '"integer" field type does not contain the "_contains" filter operator',
        ),
        ({"filter": '{"title":{"_eq":{"x":1}}}'}, '"_eq" has to be a single value'),
        ({"limit": "abc"}, None),
        ({"aggregate[median]": "rating"}, '"median" is not an aggregate function'),
    ],
)
def test_invalid_queries(world: World, params: dict[str, str], reason: str | None) -> None:
    response = world.as_(world.admin, "GET", "/items/articles", params=params)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_QUERY"
    if reason:
        assert error["extensions"]["reason"] == reason


def test_missing_fields_and_collections_are_forbidden_like_forbidden_ones(
    world: World, articles: list[dict[str, Any]]
) -> None:
    field = world.as_(world.admin, "GET", "/items/articles", params={"fields": "nope"})
    collection = world.as_(world.admin, "GET", "/items/nope")
    item = world.as_(world.admin, "GET", "/items/articles/999999")
    system = world.as_(world.admin, "GET", "/items/directus_users")

    assert field.json()["errors"][0]["message"] == (
        'You don\'t have permission to access field "nope" in collection "articles" or it does not exist. Queried in root.'
    )
    assert collection.status_code == item.status_code == system.status_code == 403
    assert item.json()["errors"][0]["message"] == "You don't have permission to access this."


def test_one_statement_per_read(world: World, articles: list[dict[str, Any]]) -> None:
    db = world.harness.db
    world.as_(
        world.admin, "GET", "/items/articles", params={"fields": "*,author.*,author.articles.*"}
    )
    before = db.statements

    response = world.as_(
        world.admin,
        "GET",
        "/items/articles",
        params={
            "fields": "*,author.*,author.articles.*",
            "filter": '{"author":{"name":{"_nnull":true}}}',
        },
    )

    assert response.status_code == 200
    # the static token's user, the accountability (role tree, grants and epoch in one
    # statement), then the read itself, relations, permission rules and all
    assert db.statements - before == 3
