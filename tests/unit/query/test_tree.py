"""query/tree.py: the ``fields`` parameter as a tree of columns and relations, with the caller's
permissions checked on the way (pure: no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from authgate.access.grants import Grant
from authgate.errors import AuthError, Code
from authgate.query.tree import MAX_RELATIONS, GrantLookup, Link, Node, build_tree
from tests.unit.query.world import ADMIN, ARTICLES, OVERVIEW, grant, lookup


def tree(
    *requested: str,
    grants: GrantLookup = ADMIN,
    alias: Mapping[str, str] | None = None,
    deep: Mapping[str, Any] | None = None,
    max_depth: int = 10,
    budget: list[int] | None = None,
) -> Node:
    return build_tree(
        OVERVIEW,
        ARTICLES,
        requested,
        grants,
        alias=alias,
        deep=deep,
        max_depth=max_depth,
        budget=budget,
    )


def scalars(node: Node) -> list[str]:
    return [name for name, _ in node.scalars]


def link(node: Node, name: str) -> Link:
    found = [candidate for candidate in node.relations if candidate.name == name]
    assert len(found) == 1, [candidate.name for candidate in node.relations]
    return found[0]


def refused(*requested: str, grants: GrantLookup = ADMIN) -> AuthError:
    with pytest.raises(AuthError) as raised:
        tree(*requested, grants=grants)
    return raised.value


def reader(**grants: Grant | None) -> GrantLookup:
    return lookup(grants)


# ------------------------------------------------------------------------------ *


def test_star_is_every_column_in_order_with_m2o_keys_and_o2m_key_lists() -> None:
    node = tree("*")

    assert node.order == [
        "id",
        "title",
        "status",
        "rating",
        "author",
        "owner",
        "published_at",
        "comments",
    ]  # "divider" holds no data
    assert scalars(node) == ["id", "title", "status", "rating", "author", "owner", "published_at"]
    comments = link(node, "comments")
    assert (comments.kind, comments.child) == ("o2m", None)


def test_star_is_only_the_fields_the_caller_may_read() -> None:
    grants = reader(articles=grant("articles", (None, ["id", "title"]), ({"a": 1}, ["status"])))

    node = tree("*", grants=grants)

    assert node.order == ["id", "title", "status"]
    assert node.requested == ["id", "title", "status"]


def test_star_star_follows_every_relation_one_level() -> None:
    node = tree("*.*")

    author, comments = link(node, "author"), link(node, "comments")
    assert author.kind == "m2o"
    assert author.child is not None
    assert scalars(author.child) == ["id", "name", "pin"]
    assert [r.name for r in author.child.relations] == ["articles"]  # a key list, not followed
    assert author.child.relations[0].child is None
    assert comments.child is not None
    assert scalars(comments.child) == ["id", "article", "body", "approved"]
    # "*.*" asks for the relations' fields, and every own column as "*" would
    assert "title" in scalars(node)


def test_star_dot_name_asks_for_that_field_under_every_relation() -> None:
    node = tree("title", "*.id")

    author, comments = link(node, "author"), link(node, "comments")
    assert author.child is not None
    assert comments.child is not None
    assert (scalars(author.child), scalars(comments.child)) == (["id"], ["id"])


# ------------------------------------------------------------------------ nesting


def test_a_dotted_field_nests_and_keeps_the_order_asked_for() -> None:
    node = tree("author.name", "title", "comments.body", "author.id")

    assert node.order == ["author", "title", "comments"]
    author = link(node, "author")
    assert author.child is not None
    assert scalars(author.child) == ["name", "id"]
    assert author.child.path == "author"


def test_nesting_through_both_directions_names_each_path() -> None:
    node = tree("author.articles.comments.body")

    articles = link(node, "author").child
    assert articles is not None
    comments = link(articles, "articles").child
    assert comments is not None
    body = link(comments, "comments").child
    assert body is not None
    assert (body.path, scalars(body)) == ("author.articles.comments", ["body"])


def test_a_plain_many_to_one_is_its_key() -> None:
    node = tree("author")

    assert scalars(node) == ["author"]
    assert node.relations == []


def test_a_presentation_alias_alone_reads_the_primary_key() -> None:
    node = tree("divider")

    assert (scalars(node), node.order) == (["id"], ["id"])


# ------------------------------------------------------------------------- aliases


def test_an_alias_names_the_output_and_reads_the_field() -> None:
    node = tree("writer.name", "heading", alias={"writer": "author", "heading": "title"})

    writer = link(node, "writer")
    assert writer.field.name == "author"
    assert node.scalars[0][0] == "heading"
    assert node.scalars[0][1].name == "title"
    assert node.order == ["writer", "heading"]


def test_an_alias_inside_a_relation_comes_from_deep() -> None:
    node = tree("author.who", deep={"author": {"_alias": {"who": "name"}}})

    author = link(node, "author")
    assert author.child is not None
    assert [(out, f.name) for out, f in author.child.scalars] == [("who", "name")]


def test_deep_options_are_kept_on_the_link_without_the_aliases() -> None:
    deep = {"comments": {"_limit": 2, "_alias": {"text": "body"}}}

    node = tree("comments.text", deep=deep)

    comments = link(node, "comments")
    assert comments.deep == deep["comments"]
    assert comments.child is not None
    assert scalars(comments.child) == ["text"]


# ----------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        (("nope",), 'field "nope" in collection "articles" or it does not exist. Queried in root'),
        (("author.nope",), 'field "nope" in collection "authors"'),
        (("author.nope",), 'Queried in "author"'),
        (("nope", "other"), 'fields "nope", "other" in collection "articles"'),
    ],
)
def test_an_unknown_field_is_refused_as_a_forbidden_one(
    requested: Sequence[str], message: str
) -> None:
    error = refused(*requested)

    assert error.code == Code.FORBIDDEN
    assert message in error.message


def test_a_field_the_caller_may_not_read_is_refused_exactly_like_an_unknown_one() -> None:
    grants = reader(articles=grant("articles", (None, ["id", "title"])))

    forbidden = refused("status", grants=grants)
    unknown = refused("nope", grants=grants)

    assert forbidden.message == unknown.message.replace('"nope"', '"status"')


def test_a_collection_the_caller_may_not_read_is_refused() -> None:
    error = refused("title", grants=reader(authors=None))

    assert error.code == Code.FORBIDDEN
    assert 'collection "articles"' in error.message


def test_relations_into_an_unreadable_collection_are_left_out() -> None:
    """As Directus's parseFields: an o2m however it is asked for, an m2o whenever it is
    followed; a plainly asked m2o still answers its key."""
    grants = reader(articles=grant("articles", (None, ["*"])))

    star = tree("*", grants=grants)
    star_star = tree("*.*", grants=grants)
    followed = tree("title", "author.name", "comments.body", grants=grants)
    plain = tree("author", grants=grants)
    plain_and_followed = tree("author", "author.name", grants=grants)

    assert "comments" not in star.order
    assert "author" in scalars(star)
    assert star_star.relations == []
    assert "author" not in star_star.order
    assert followed.order == ["title"]
    assert scalars(plain) == ["author"]
    assert (scalars(plain_and_followed), plain_and_followed.relations) == (["author"], [])


def test_too_deep_a_tree_is_an_invalid_query() -> None:
    tree("author.articles.title", max_depth=2)

    with pytest.raises(AuthError) as raised:
        tree("author.articles.title", max_depth=1)

    assert raised.value.code == Code.INVALID_QUERY
    assert "Max relational depth (1) exceeded" in raised.value.message


def test_every_relation_spends_the_shared_budget() -> None:
    tree("author.name", "comments.body", budget=[2])

    with pytest.raises(AuthError) as raised:
        tree("author.name", "comments.body", budget=[1])

    assert raised.value.code == Code.INVALID_QUERY
    assert f"more than {MAX_RELATIONS} related fields" in raised.value.message
