"""``/graphql``: the project's collections as queries and mutations, with the query language
(filter, sort, limit, offset, page, search), relations both ways, aliases, fragments,
aggregation, and the same permission engine as REST."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from authgate.access.model import PUBLIC_POLICY_ID
from tests.graphql.conftest import ITEMS, Caller, World, code, data, error, gql


def _as(
    world: World, caller: Caller, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return gql(world.harness, query, variables, path=ITEMS, headers=caller.headers)


def _admin(world: World, query: str, variables: dict[str, Any] | None = None) -> Any:
    return data(_as(world, world.admin, query, variables))


def _titles(rows: list[dict[str, Any]]) -> list[str]:
    return [row["title"] for row in rows]


# ----------------------------------------------------------------------- reads


def test_filter_sort_limit_offset_page_search(world: World, articles: list[dict[str, Any]]) -> None:
    found = _admin(
        world,
        """{
          published: articles(filter: {status: {_eq: "published"}}, sort: ["-title"]) { title }
          second: articles(sort: ["title"], limit: 1, offset: 1) { title }
          page: articles(sort: ["title"], limit: 2, page: 2) { title }
          search: articles(search: "pure") { title }
          rated: articles(filter: {_or: [{rating: {_gte: 5}}, {rating: {_lte: 1}}]}, sort: "rating")
            { title rating }
        }""",
    )

    assert _titles(found["published"]) == ["Gamma", "Alpha"]
    assert _titles(found["second"]) == ["Beta"]
    assert _titles(found["page"]) == ["Gamma"]
    assert _titles(found["search"]) == ["Gamma"]
    assert found["rated"] == [{"title": "Gamma", "rating": 1}, {"title": "Alpha", "rating": 5}]


def test_filters_through_relations(world: World, articles: list[dict[str, Any]]) -> None:
    found = _admin(
        world,
        """{
          by_author: articles(filter: {author: {name: {_eq: "Ann"}}}) { title }
          with_drafts: authors(filter: {articles: {_some: {status: {_eq: "draft"}}}}) { name }
        }""",
    )

    assert _titles(found["by_author"]) == ["Alpha"]
    assert found["with_drafts"] == [{"name": "Bob"}]


def test_relations_both_ways_with_arguments_and_nested_aliases(
    world: World, articles: list[dict[str, Any]]
) -> None:
    found = _admin(
        world,
        """{
          articles(sort: ["title"], limit: 2) { title author { name } }
          authors(filter: {name: {_in: ["Ann", "Bob"]}}, sort: ["name"]) {
            name
            first: articles(sort: ["title"], limit: 1) { t: title }
            drafts: articles(filter: {status: {_eq: "draft"}}) { title }
          }
        }""",
    )

    assert found["articles"] == [
        {"title": "Alpha", "author": {"name": "Ann"}},
        {"title": "Beta", "author": {"name": "Bob"}},
    ]
    assert found["authors"] == [
        {"name": "Ann", "first": [{"t": "Alpha"}], "drafts": []},
        {"name": "Bob", "first": [{"t": "Beta"}], "drafts": [{"title": "Beta"}]},
    ]


def test_fragments_directives_and_typename(world: World, articles: list[dict[str, Any]]) -> None:
    found = _admin(
        world,
        """query Q($withRating: Boolean!) {
          articles(sort: ["title"], limit: 1) { ...Parts __typename ... on articles { status } }
        }
        fragment Parts on articles { title rating @include(if: $withRating) }""",
        {"withRating": False},
    )

    assert found == {
        "articles": [{"title": "Alpha", "__typename": "articles", "status": "published"}]
    }


def test_filters_offer_the_operators_the_field_type_has(
    world: World, articles: list[dict[str, Any]]
) -> None:
    graphql = _as(world, world.admin, '{ articles(filter: {title: {_gt: "B"}}) { id } }')
    rest = world.as_(world.admin, "GET", "/items/articles", params={"filter[title][_gt]": "B"})
    numbers = _admin(world, '{ articles(filter: {rating: {_gt: 2}}, sort: "title") { title } }')

    assert graphql.status_code == 400
    assert code(graphql) == "GRAPHQL_VALIDATION"
    assert (rest.status_code, rest.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "INVALID_QUERY",
    )
    assert _titles(numbers["articles"]) == ["Alpha", "Beta"]


def test_by_id(world: World, articles: list[dict[str, Any]]) -> None:
    alpha = articles[0]["id"]

    found = _admin(world, f"{{ articles_by_id(id: {alpha}) {{ id title }} }}")
    missing = _as(world, world.admin, "{ articles_by_id(id: 999999) { id } }")

    assert found == {"articles_by_id": {"id": str(alpha), "title": "Alpha"}}
    assert error(missing)["extensions"]["code"] == "FORBIDDEN"
    assert missing.json()["data"] == {"articles_by_id": None}


def test_aggregated(world: World, articles: list[dict[str, Any]]) -> None:
    found = _admin(
        world,
        """{
          all: articles_aggregated { countAll count { id } sum { rating } avg { rating } max { rating } }
          by_status: articles_aggregated(groupBy: ["status"]) { group countAll min { rating } }
          filtered: articles_aggregated(filter: {status: {_eq: "draft"}}) { countAll }
        }""",
    )

    assert found["all"] == [
        {"countAll": 3, "count": {"id": 3}, "sum": {"rating": 9.0}, "avg": {"rating": 3.0},
         "max": {"rating": 5.0}}
    ]  # fmt: skip
    assert found["by_status"] == [
        {"group": {"status": "draft"}, "countAll": 1, "min": {"rating": 3.0}},
        {"group": {"status": "published"}, "countAll": 2, "min": {"rating": 1.0}},
    ]
    assert found["filtered"] == [{"countAll": 1}]


# ---------------------------------------------------------------------- writes


def test_create_update_delete(world: World) -> None:
    created = _admin(
        world,
        """mutation {
          one: create_articles_item(data: {title: "One", rating: 2, author: {name: "Cy"}}) {
            id title author { name }
          }
          many: create_articles_items(data: [{title: "Two"}, {title: "Three", status: "published"}]) {
            id title status
          }
        }""",
    )
    one = created["one"]
    two, three = created["many"]
    updated = _admin(
        world,
        """mutation U($one: ID!, $ids: [ID]!, $three: ID!) {
          single: update_articles_item(id: $one, data: {rating: 4}) { title rating }
          several: update_articles_items(ids: $ids, data: {status: "archived"}) { title status }
          batch: update_articles_batch(data: [{id: $three, title: "Tres"}]) { title }
        }""",
        {"one": one["id"], "ids": [one["id"], two["id"]], "three": three["id"]},
    )
    deleted = _admin(
        world,
        """mutation D($one: ID!, $ids: [ID]!) {
          one: delete_articles_item(id: $one) { id }
          rest: delete_articles_items(ids: $ids) { ids }
        }""",
        {"one": one["id"], "ids": [two["id"], three["id"]]},
    )
    world.harness.client.request(
        "DELETE",
        "/items/authors",
        json={"query": {"filter": {"name": {"_eq": "Cy"}}}},
        headers=world.admin.headers,
    )

    assert one["title"] == "One"
    assert one["author"] == {"name": "Cy"}
    assert [(r["title"], r["status"]) for r in created["many"]] == [
        ("Two", "draft"),
        ("Three", "published"),
    ]
    assert updated == {
        "single": {"title": "One", "rating": 4},
        "several": [
            {"title": "One", "status": "archived"},
            {"title": "Two", "status": "archived"},
        ],
        "batch": [{"title": "Tres"}],
    }
    assert deleted == {"one": {"id": one["id"]}, "rest": {"ids": [two["id"], three["id"]]}}
    left = world.as_(
        world.admin, "GET", "/items/articles", params={"filter[title][_in]": "One,Two,Tres"}
    )
    assert left.json() == {"data": []}


def test_a_missing_required_value_is_refused_by_the_service_as_over_rest(world: World) -> None:
    graphql = _as(world, world.admin, "mutation { create_articles_item(data: {rating: 1}) { id } }")
    rest = world.as_(world.admin, "POST", "/items/articles", json={"rating": 1})

    assert error(graphql)["extensions"] == rest.json()["errors"][0]["extensions"]
    assert error(graphql)["message"] == rest.json()["errors"][0]["message"]


def test_a_service_error_keeps_its_code_and_extensions(world: World) -> None:
    response = _as(
        world,
        world.admin,
        'mutation { create_articles_item(data: {title: "x", published: "not a date"}) { id } }',
    )

    first = error(response)
    assert first["extensions"]["code"] == "INVALID_PAYLOAD"
    assert first["path"] == ["create_articles_item"]


# ----------------------------------------------------------------- permissions


def test_the_schema_follows_the_permissions(world: World, articles: list[dict[str, Any]]) -> None:
    read = world.grant(
        world.app_policy,
        "articles",
        "read",
        fields=["id", "title", "owner"],
        permissions={"status": {"_eq": "published"}},
    )
    try:
        listed = _as(world, world.app, '{ articles(sort: ["title"]) { title } }')
        hidden_field = _as(world, world.app, "{ articles { rating } }")
        no_mutation = _as(
            world, world.app, 'mutation { create_articles_item(data: {title: "x"}) { id } }'
        )
        other_collection = _as(world, world.app, "{ authors { name } }")
    finally:
        world.revoke(read)

    assert data(listed) == {"articles": [{"title": "Alpha"}, {"title": "Gamma"}]}
    for refused in (hidden_field, no_mutation, other_collection):
        assert refused.status_code == 400
        assert code(refused) == "GRAPHQL_VALIDATION"


def test_item_rules_with_the_current_user(world: World) -> None:
    own = {"owner": {"_eq": "$CURRENT_USER"}}
    grants = [
        world.grant(world.app_policy, "articles", "read", permissions=own),
        world.grant(world.app_policy, "articles", "create"),
        world.grant(world.app_policy, "articles", "update", permissions=own),
    ]
    theirs = world.as_(world.admin, "POST", "/items/articles", json={"title": "Theirs"}).json()[
        "data"
    ]
    try:
        mine = data(
            _as(
                world,
                world.app,
                'mutation { create_articles_item(data: {title: "Mine"}) { id owner { id } } }',
            )
        )
        listed = data(_as(world, world.app, "{ articles { title } }"))
        by_filter = data(
            _as(
                world,
                world.app,
                '{ articles(filter: {owner: {id: {_eq: "$CURRENT_USER"}}}) { title } }',
            )
        )
        taken = _as(
            world,
            world.app,
            f'mutation {{ update_articles_item(id: {theirs["id"]}, data: {{title: "Taken"}}) {{ id }} }}',
        )
    finally:
        for granted in grants:
            world.revoke(granted)
        world.as_(
            world.admin,
            "DELETE",
            "/items/articles",
            json={"query": {"filter": {"title": {"_in": ["Mine", "Theirs"]}}}},
        )

    assert mine["create_articles_item"]["owner"] == {"id": world.app.user_id}
    assert listed == {"articles": [{"title": "Mine"}]}
    assert by_filter == listed
    assert code(taken) == "FORBIDDEN"


def test_a_write_the_caller_cannot_read_back_answers_true(world: World) -> None:
    create = world.grant(world.api_policy, "articles", "create")
    try:
        response = _as(
            world, world.api, 'mutation { create_articles_item(data: {title: "Blind"}) }'
        )
    finally:
        world.revoke(create)
        world.as_(
            world.admin,
            "DELETE",
            "/items/articles",
            json={"query": {"filter": {"title": {"_eq": "Blind"}}}},
        )

    assert data(response) == {"create_articles_item": True}


def test_anonymous_callers_get_what_the_public_policy_opens(
    world: World, articles: list[dict[str, Any]]
) -> None:
    before = _as(world, world.anonymous, "{ articles { title } }")
    granted = world.grant(
        PUBLIC_POLICY_ID,
        "articles",
        "read",
        fields=["title"],
        permissions={"status": {"_eq": "draft"}},
    )
    try:
        during = _as(world, world.anonymous, "{ articles { title } }")
    finally:
        world.revoke(granted)

    assert code(before) == "GRAPHQL_VALIDATION"
    assert data(during) == {"articles": [{"title": "Beta"}]}


def test_singletons(world: World) -> None:
    client, admin = world.harness.client, world.admin.headers
    created = client.post(
        "/collections",
        json={
            "collection": "site",
            "meta": {"singleton": True},
            "fields": [{"field": "motto", "type": "string"}],
        },
        headers=admin,
    )
    assert created.status_code == 200, created.text
    try:
        empty = _admin(world, "{ site { motto } }")
        updated = _admin(world, 'mutation { update_site(data: {motto: "Hi"}) { motto } }')
        again = _admin(world, "{ site { motto } }")
        no_list_operations = _as(world, world.admin, "{ site_by_id(id: 1) { motto } }")
    finally:
        client.delete("/collections/site", headers=admin)

    assert empty == {"site": {"motto": None}}
    assert updated == {"update_site": {"motto": "Hi"}}
    assert again == {"site": {"motto": "Hi"}}
    assert code(no_list_operations) == "GRAPHQL_VALIDATION"
