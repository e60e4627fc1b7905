"""query/compile.py: filters through relations, logical nesting, variables, fields granted
under rules, sorts, and the nested JSON of related items, compiled into one statement and run
on a real SQLite database (tests/unit/query/world.py holds the rows)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from authgate.errors import AuthError, Code
from authgate.query.filter import FilterContext
from tests.unit.query.world import ARTICLES, AUTHORS, database, grant, lookup, read, titles


@pytest.fixture
def conn() -> Iterator[Connection]:
    with database() as connection:
        yield connection


def refused(conn: Connection, **query: Any) -> AuthError:
    with pytest.raises(AuthError) as raised:
        titles(conn, **query)
    return raised.value


# ----------------------------------------------------------------- relational filters


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"author": {"name": {"_eq": "Ann"}}}, ["Alpha", "Beta"]),
        ({"author": {"name": {"_neq": "Ann"}}}, ["Gamma"]),  # no author: no related row
        ({"author": {"_eq": 2}}, ["Gamma"]),  # an operator map compares the key itself
        ({"author": {"_null": True}}, ["Delta"]),
        ({"author": 1}, ["Alpha", "Beta"]),
    ],
)
def test_a_many_to_one_filter(conn: Connection, spec: dict[str, Any], expected: list[str]) -> None:
    assert titles(conn, filter=spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"comments": {"body": {"_eq": "spam"}}}, ["Alpha"]),  # "some" by default
        ({"comments": {"_some": {"approved": {"_eq": False}}}}, ["Alpha", "Gamma"]),
        ({"comments": {"_none": {"approved": {"_eq": False}}}}, ["Beta", "Delta"]),
        ({"comments": {"_none": {}}}, ["Beta", "Delta"]),  # no comment at all
        ({"comments": {"_some": {}}}, ["Alpha", "Gamma"]),
    ],
)
def test_a_one_to_many_filter(conn: Connection, spec: dict[str, Any], expected: list[str]) -> None:
    assert titles(conn, filter=spec) == expected


def test_relations_nest_in_both_directions(conn: Connection) -> None:
    """Authors with an article that has an unapproved comment saying "ok"; and articles
    whose author wrote a draft."""
    authors = read(
        conn,
        AUTHORS,
        fields=("name",),
        filter={"articles": {"comments": {"body": {"_eq": "ok"}, "approved": {"_eq": False}}}},
    )
    drafted = titles(conn, filter={"author": {"articles": {"status": {"_eq": "draft"}}}})

    assert authors == [{"name": "Bob"}]
    assert drafted == ["Alpha", "Beta"]


def test_a_one_to_many_filter_sees_only_the_related_rows_the_caller_may_read(
    conn: Connection,
) -> None:
    grants = lookup(
        {
            "articles": grant("articles", (None, ["*"])),
            "comments": grant("comments", ({"approved": {"_eq": True}}, ["*"])),
        }
    )

    as_admin = titles(conn, filter={"comments": {"body": {"_eq": "spam"}}})
    as_reader = titles(conn, filter={"comments": {"body": {"_eq": "spam"}}}, grants=grants)
    none_visible = titles(conn, filter={"comments": {"_none": {}}}, grants=grants)

    assert (as_admin, as_reader) == (["Alpha"], [])
    # Gamma's only comment is not approved: for this reader it has none.
    assert none_visible == ["Beta", "Gamma", "Delta"]


def test_a_many_to_one_filter_cannot_see_a_value_hidden_on_the_related_row(
    conn: Connection,
) -> None:
    """Authors are readable only where the name is Bob: Ann's name reads as null, so a filter
    on it finds nothing (it would otherwise tell what the hidden value is)."""
    grants = lookup(
        {
            "articles": grant("articles", (None, ["*"])),
            "authors": grant("authors", ({"name": {"_eq": "Bob"}}, ["*"])),
        }
    )

    ann = titles(conn, filter={"author": {"name": {"_eq": "Ann"}}}, grants=grants)
    bob = read(
        conn,
        ARTICLES,
        fields=("title", "author.name"),
        filter={"author": {"name": {"_eq": "Bob"}}},
        grants=grants,
    )
    everything = read(conn, ARTICLES, fields=("title", "author.name"), sort=("id",), grants=grants)

    assert ann == []
    assert bob == [{"title": "Gamma", "author": {"name": "Bob"}}]
    assert [row["author"] for row in everything] == [None, None, {"name": "Bob"}, None]


def test_a_filter_through_a_relation_needs_its_fields_to_be_readable(conn: Connection) -> None:
    grants = lookup(
        {
            "articles": grant("articles", (None, ["*"])),
            "authors": grant("authors", (None, ["id"])),
        }
    )

    error = refused(conn, filter={"author": {"name": {"_eq": "Ann"}}}, grants=grants)

    assert error.code == Code.FORBIDDEN
    assert 'field "name" in collection "authors"' in error.message
    assert 'Queried in "author"' in error.message


def test_a_filter_into_an_unreadable_collection_is_refused(conn: Connection) -> None:
    grants = lookup({"articles": grant("articles", (None, ["*"]))})

    error = refused(conn, filter={"comments": {"body": {"_eq": "nice"}}}, grants=grants)

    assert error.code == Code.FORBIDDEN
    assert 'collection "comments"' in error.message


# -------------------------------------------------------------------- logical nesting


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "_or": [
                    {"status": {"_eq": "draft"}},
                    {"_and": [{"rating": {"_gte": 5}}, {"author": {"name": {"_eq": "Ann"}}}]},
                ]
            },
            ["Alpha", "Beta"],
        ),
        ({"_and": [{"status": {"_eq": "published"}}, {"rating": {"_lt": 5}}]}, ["Gamma"]),
        ({"_or": [{"title": {"_eq": "Beta"}}, {}]}, ["Alpha", "Beta", "Gamma", "Delta"]),
        ({"_and": []}, ["Alpha", "Beta", "Gamma", "Delta"]),
        ({"_or": []}, ["Alpha", "Beta", "Gamma", "Delta"]),
        ({"status": {"_eq": "published"}, "rating": {"_gt": 1}}, ["Alpha"]),  # implicit and
        ({"rating": {"_or": [{"_eq": 1}, {"_eq": 3}]}}, ["Beta", "Gamma"]),  # inside a field
        (
            {"comments": {"_or": [{"body": {"_eq": "ok"}}, {"body": {"_eq": "nice"}}]}},
            ["Alpha", "Gamma"],
        ),
    ],
)
def test_and_or_nesting(conn: Connection, spec: dict[str, Any], expected: list[str]) -> None:
    assert titles(conn, filter=spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        {"_foo": []},
        {"_and": {"title": {"_eq": "x"}}},
        {"_or": "title"},
        {"author": {"_and": {"name": {"_eq": "Ann"}}}},
    ],
)
def test_malformed_filters_are_invalid_queries(conn: Connection, spec: dict[str, Any]) -> None:
    assert refused(conn, filter=spec).code == Code.INVALID_QUERY


def test_a_filter_that_is_not_an_object_is_an_invalid_query(conn: Connection) -> None:
    error = refused(conn, filter=[{"title": {"_eq": "Alpha"}}])

    assert error.code == Code.INVALID_QUERY
    assert "Filter has to be an object" in error.message


@pytest.mark.parametrize("name", ["nope", "divider"])
def test_a_filter_on_an_unknown_or_presentation_field_is_forbidden(
    conn: Connection, name: str
) -> None:
    error = refused(conn, filter={name: {"_eq": "x"}})

    assert error.code == Code.FORBIDDEN
    assert f'field "{name}" in collection "articles"' in error.message


# -------------------------------------------------------------------------- variables


def test_current_user_is_a_parameter_the_same_statement_serves_every_caller(
    conn: Connection,
) -> None:
    spec = {"owner": {"_eq": "$CURRENT_USER"}}

    ann = titles(conn, filter=spec, context=FilterContext(user="u-ann"))
    bob = titles(conn, filter=spec, context=FilterContext(user="u-bob"))
    nobody = titles(conn, filter=spec, context=FilterContext(user=None))

    assert (ann, bob) == (["Alpha", "Beta"], ["Gamma"])
    assert nobody == ["Delta"]  # no user: compared as null, as Directus does


def test_current_user_through_a_relation_and_in_a_list(conn: Connection) -> None:
    context = FilterContext(user="u-bob", roles=("r1",), policies=("u-ann", "u-bob"))

    through = read(
        conn,
        AUTHORS,
        fields=("name",),
        filter={"articles": {"owner": {"_eq": "$CURRENT_USER"}}},
        context=context,
    )
    listed = titles(conn, filter={"owner": {"_in": "$CURRENT_POLICIES"}}, context=context)
    excluded = titles(conn, filter={"owner": {"_nin": "$CURRENT_POLICIES"}}, context=context)

    assert through == [{"name": "Bob"}]
    assert listed == ["Alpha", "Beta", "Gamma"]
    assert excluded == []  # null owner: NOT IN is never true for it


def test_now_and_its_offsets_use_the_contexts_clock(conn: Connection) -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    context = FilterContext(now=now)

    past_week = titles(conn, filter={"published_at": {"_gte": "$NOW(-7 days)"}}, context=context)
    past_month = titles(
        conn, filter={"published_at": {"_between": ["$NOW(-1 month)", "$NOW"]}}, context=context
    )

    assert past_week == ["Gamma"]
    assert past_month == ["Beta", "Gamma"]


def test_a_record_path_variable_is_read_from_the_context(conn: Connection) -> None:
    context = FilterContext(user="u-ann", records={"$CURRENT_USER.name": "Bob"})

    assert titles(
        conn, filter={"author": {"name": {"_eq": "$CURRENT_USER.name"}}}, context=context
    ) == ["Gamma"]


# ------------------------------------------------------------ fields granted under rules


def test_a_field_granted_only_under_a_rule_is_null_elsewhere_and_cannot_be_filtered_on(
    conn: Connection,
) -> None:
    grants = lookup(
        {
            "articles": grant(
                "articles",
                (None, ["id", "title"]),
                ({"status": {"_eq": "published"}}, ["rating"]),
            )
        }
    )

    rows = read(conn, ARTICLES, fields=("title", "rating"), sort=("id",), grants=grants)
    hidden = titles(conn, filter={"rating": {"_eq": 3}}, grants=grants)
    sorted_by_rating = titles(conn, sort=("-rating", "id"), grants=grants)

    assert rows == [
        {"title": "Alpha", "rating": 5},
        {"title": "Beta", "rating": None},  # a draft: the rating is not readable on it
        {"title": "Gamma", "rating": 1},
        {"title": "Delta", "rating": None},
    ]
    assert hidden == []
    # Beta's 3 would sort it between Alpha and Gamma; hidden, it sorts with the nulls.
    assert sorted_by_rating.index("Beta") > sorted_by_rating.index("Gamma")


def test_the_item_rule_limits_the_rows(conn: Connection) -> None:
    grants = lookup({"articles": grant("articles", ({"owner": {"_eq": "$CURRENT_USER"}}, ["*"]))})

    mine = titles(conn, grants=grants, context=FilterContext(user="u-ann"))

    assert mine == ["Alpha", "Beta"]


# ------------------------------------------------------------------------------ sorts


def test_sort_through_a_many_to_one(conn: Connection) -> None:
    assert titles(conn, sort=("-author.name", "id"), filter={"author": {"_nnull": True}}) == [
        "Gamma",
        "Alpha",
        "Beta",
    ]


@pytest.mark.parametrize(
    ("sort", "message"),
    [
        (("comments.body",), "can only be sorted through many-to-one relations"),
        (("author.pin",), "is concealed and can't be sorted on"),
    ],
)
def test_sorts_that_are_refused(conn: Connection, sort: tuple[str, ...], message: str) -> None:
    error = refused(conn, sort=sort)

    assert error.code == Code.INVALID_QUERY
    assert message in error.message


# ------------------------------------------------------------------- related items


def test_related_items_are_nested_json_under_each_side_rules(conn: Connection) -> None:
    grants = lookup(
        {
            "articles": grant("articles", (None, ["*"])),
            "authors": grant("authors", (None, ["id", "name"])),
            "comments": grant("comments", ({"approved": {"_eq": True}}, ["id", "body"])),
        }
    )

    rows = read(
        conn,
        ARTICLES,
        fields=("title", "author.name", "comments.body"),
        sort=("id",),
        grants=grants,
    )

    assert rows == [
        {"title": "Alpha", "author": {"name": "Ann"}, "comments": [{"body": "nice"}]},
        {"title": "Beta", "author": {"name": "Ann"}, "comments": []},
        {"title": "Gamma", "author": {"name": "Bob"}, "comments": []},
        {"title": "Delta", "author": None, "comments": []},
    ]


def test_deep_filters_limits_and_sorts_the_nested_items(conn: Connection) -> None:
    rows = read(
        conn,
        AUTHORS,
        fields=("name", "articles.title"),
        sort=("id",),
        deep={"articles": {"_filter": {"status": {"_eq": "published"}}, "_sort": "-title"}},
    )
    limited = read(
        conn,
        AUTHORS,
        fields=("name", "articles.title"),
        filter={"id": {"_eq": 1}},
        deep={"articles": {"_limit": 1, "_sort": "title"}},
    )

    assert rows == [
        {"name": "Ann", "articles": [{"title": "Alpha"}]},
        {"name": "Bob", "articles": [{"title": "Gamma"}]},
        {"name": "Cy", "articles": []},
    ]
    assert limited == [{"name": "Ann", "articles": [{"title": "Alpha"}]}]
