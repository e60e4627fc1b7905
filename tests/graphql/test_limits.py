"""The document limits, measured without a schema (pure): depth, complexity with fragments
expanded (a fragment bomb is measured, not expanded), aliases, root fields, single-use
mutations."""

from __future__ import annotations

from graphql import get_introspection_query, parse

from authgate.config.graphql import GraphQLSettings
from authgate.graphql.limits import check_document

LIMITS = GraphQLSettings(max_depth=3, max_complexity=20, max_aliases=2, max_root_fields=3)


def _messages(text: str, limits: GraphQLSettings = LIMITS) -> list[str]:
    return [error.message for error in check_document(parse(text), limits)]


def test_a_small_document_breaks_nothing() -> None:
    assert _messages("{ a { b { c } } d }") == []


def test_depth_counts_nesting_through_fragments() -> None:
    text = "query { a { ...F } } fragment F on T { b { c { d } } }"

    assert _messages(text) == ["The query nests fields too deeply: 4, at most 3 are allowed."]


def test_introspection_is_left_to_its_own_rule() -> None:
    assert _messages("{ __schema { types { fields { type { name } } } } }") == []


def test_the_standard_introspection_query_fits_the_default_limits() -> None:
    assert _messages(get_introspection_query(), GraphQLSettings()) == []


def test_a_fragment_bomb_is_measured_without_expanding_it() -> None:
    levels = ["fragment F0 on T { leaf }"]
    for n in range(1, 40):
        levels.append(f"fragment F{n} on T {{ a: x {{ ...F{n - 1} }} b: x {{ ...F{n - 1} }} }}")
    text = "query { x { ...F39 } } " + " ".join(levels)

    messages = _messages(text, GraphQLSettings(max_depth=100, max_aliases=10**15))

    assert len(messages) == 1
    assert messages[0].startswith("The query selects too many fields: ")
    assert int(messages[0].split(": ")[1].split(",")[0]) > 2**39


def test_aliases_are_counted_once_per_use() -> None:
    text = "query { ...F ...F } fragment F on T { a: x b: y }"

    assert _messages(text, GraphQLSettings(max_aliases=3)) == [
        "The query uses too many aliases: 4, at most 3 are allowed."
    ]


def test_root_fields_are_the_batch() -> None:
    assert _messages("{ a b c d }") == [
        "The query asks for too many root fields: 4, at most 3 are allowed."
    ]


def test_single_use_mutations_count_aliases_and_fragments() -> None:
    text = (
        'mutation { auth_login(email: "a", password: "b") { expires } ...M } '
        'fragment M on Mutation { again: auth_login(email: "a", password: "b") { expires } }'
    )

    assert _messages(text, GraphQLSettings()) == ['"auth_login" can only be used once per request']


def test_other_mutations_may_repeat() -> None:
    text = 'mutation { a: auth_logout(refresh_token: "x") b: auth_logout(refresh_token: "y") }'

    assert _messages(text, GraphQLSettings()) == []


def test_cyclic_fragments_do_not_loop() -> None:
    text = "query { ...A } fragment A on T { x ...B } fragment B on T { y ...A }"

    assert _messages(text, GraphQLSettings()) == []  # NoFragmentCycles reports it later
