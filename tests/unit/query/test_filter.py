"""query/filter.py on one collection's own fields: the operators each field type offers, how
operands are cast and checked, and how variables compile (bound parameters the same statement
reuses, or values that make it this caller's own); run on a real SQLite database.
query/evaluate.py (the in-memory evaluator) is held to the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, Table, select

from authgate.errors import AuthError, Code
from authgate.query.evaluate import matches
from authgate.query.filter import OPERATORS_BY_TYPE, FilterContext, compile_filter, is_parametric
from authgate.schema.columns import value_type
from authgate.schema.model import Collection, Field, FieldType
from tests.unit.query.world import ARTICLES, ARTICLES_TABLE, AUTHORS, AUTHORS_TABLE, ROWS, database


@pytest.fixture
def conn() -> Iterator[Connection]:
    with database() as connection:
        yield connection


def ids(conn: Connection, spec: dict[str, Any], context: FilterContext | None = None) -> list[int]:
    context = context or FilterContext()
    clause = compile_filter(spec, ARTICLES, ARTICLES_TABLE, context)
    statement = select(ARTICLES_TABLE.c.id).where(clause).order_by(ARTICLES_TABLE.c.id)
    return list(conn.execute(statement, context.parameters()).scalars())


def invalid(spec: dict[str, Any], context: FilterContext | None = None) -> AuthError:
    with pytest.raises(AuthError) as raised:
        compile_filter(spec, ARTICLES, ARTICLES_TABLE, context or FilterContext())
    return raised.value


# --------------------------------------------------------------- operator families


@pytest.mark.parametrize(
    ("kind", "operator"),
    [
        ("integer", "_contains"),
        ("integer", "_starts_with"),
        ("integer", "_empty"),
        ("string", "_gt"),
        ("string", "_between"),
        ("boolean", "_in"),
        ("boolean", "_lt"),
        ("uuid", "_contains"),
        ("json", "_eq"),
        ("hash", "_eq"),
        ("timestamp", "_contains"),
    ],
)
def test_an_operator_the_field_type_lacks_is_an_invalid_query(
    kind: FieldType, operator: str
) -> None:
    probe = Collection("probe", (Field("id", "integer", primary_key=True), Field("v", kind)))
    table = Table("probe", MetaData(), Column("id", Integer), Column("v", value_type(kind)))

    with pytest.raises(AuthError) as raised:
        compile_filter({"v": {operator: "1"}}, probe, table, FilterContext())

    assert operator not in OPERATORS_BY_TYPE[kind]
    assert raised.value.code == Code.INVALID_QUERY
    assert f'"{kind}" field type does not contain the "{operator}"' in raised.value.message


def test_a_concealed_field_offers_only_the_presence_operators() -> None:
    clause_for = {
        operator: compile_filter({"pin": {operator: True}}, AUTHORS, AUTHORS_TABLE, FilterContext())
        for operator in ("_null", "_nnull", "_empty", "_nempty")
    }

    with pytest.raises(AuthError) as raised:
        compile_filter({"pin": {"_eq": "1111"}}, AUTHORS, AUTHORS_TABLE, FilterContext())

    assert len(clause_for) == 4
    assert raised.value.code == Code.INVALID_QUERY


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"rating": {"_eq": 5}}, [1]),
        ({"rating": {"_neq": 5}}, [2, 3]),  # null is not "not 5" in SQL
        ({"rating": {"_lt": 3}}, [3]),
        ({"rating": {"_lte": 3}}, [2, 3]),
        ({"rating": {"_gt": 3}}, [1]),
        ({"rating": {"_gte": 3}}, [1, 2]),
        ({"rating": {"_between": [2, 5]}}, [1, 2]),
        ({"rating": {"_nbetween": [2, 4]}}, [1, 3]),
        ({"rating": {"_in": [1, 5]}}, [1, 3]),
        ({"rating": {"_nin": [1, 5]}}, [2]),
        ({"rating": {"_null": True}}, [4]),
        ({"rating": {"_nnull": "true"}}, [1, 2, 3]),
        ({"title": {"_contains": "lph"}}, [1]),
        ({"title": {"_icontains": "ALPH"}}, [1]),
        ({"title": {"_ncontains": "a"}}, []),
        ({"title": {"_starts_with": "G"}}, [3]),
        ({"title": {"_nstarts_with": "G"}}, [1, 2, 4]),
        ({"title": {"_istarts_with": "g"}}, [3]),
        ({"title": {"_nistarts_with": "g"}}, [1, 2, 4]),
        ({"title": {"_ends_with": "ta"}}, [2, 4]),
        ({"title": {"_nends_with": "ta"}}, [1, 3]),
        ({"title": {"_iends_with": "TA"}}, [2, 4]),
        ({"title": {"_niends_with": "TA"}}, [1, 3]),
        ({"owner": {"_empty": True}}, [4]),
        ({"owner": {"_nempty": True}}, [1, 2, 3]),
        ({"owner": {"_eq": None}}, [4]),
        ({"owner": {"_neq": None}}, [1, 2, 3]),
        ({"status": "draft"}, [2]),  # a bare value is _eq
    ],
)
def test_each_operator_selects_what_sql_and_the_evaluator_both_select(
    conn: Connection, spec: dict[str, Any], expected: list[int]
) -> None:
    evaluated = [row["id"] for row in ROWS[ARTICLES_TABLE] if matches(spec, row)]

    assert (ids(conn, spec), evaluated) == (expected, expected)


# ------------------------------------------------------------------------- operands


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"rating": {"_eq": "5"}}, [1]),  # query strings carry text: cast to the field's type
        ({"rating": {"_in": "1,5"}}, [1, 3]),  # a comma-separated list
        ({"rating": {"_between": "2,5"}}, [1, 2]),
        ({"published_at": {"_gt": "2026-02-01T00:00:00"}}, [2, 3]),
        ({"published_at": {"_lt": "2026-02-01"}}, [1]),
        ({"owner": {"_eq": "null"}}, [4]),  # "null" is null, as Directus parses it
    ],
)
def test_operands_are_cast_to_the_fields_type(
    conn: Connection, spec: dict[str, Any], expected: list[int]
) -> None:
    assert ids(conn, spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"rating": {"_eq": "five"}}, "five"),
        ({"title": {"_contains": ""}}, 'can not be empty (use "_empty" instead)'),
        ({"title": {"_eq": ["a", "b"]}}, '"_eq" has to be a single value'),
        ({"title": {"_null": "maybe"}}, '"_null" has to be a boolean'),
        ({"published_at": {"_gt": "yesterday"}}, ""),
    ],
)
def test_bad_operands_are_invalid_queries(spec: dict[str, Any], message: str) -> None:
    error = invalid(spec)

    assert error.code == Code.INVALID_QUERY
    assert message in error.message


def test_a_between_without_two_bounds_restricts_nothing(conn: Connection) -> None:
    assert ids(conn, {"rating": {"_between": [3]}}) == [1, 2, 3, 4]


# ------------------------------------------------------------------------ variables


def test_parametrized_variables_are_bound_parameters_and_inline_nothing(conn: Connection) -> None:
    spec = {"owner": {"_eq": "$CURRENT_USER"}}
    ann = FilterContext(user="u-ann", parametrize=True)
    bob = FilterContext(user="u-bob", parametrize=True)

    clause = compile_filter(spec, ARTICLES, ARTICLES_TABLE, ann)
    statement = select(ARTICLES_TABLE.c.id).where(clause).order_by(ARTICLES_TABLE.c.id)

    assert list(conn.execute(statement, ann.parameters()).scalars()) == [1, 2]
    assert list(conn.execute(statement, bob.parameters()).scalars()) == [3]  # the same statement
    assert ann.inlined == []
    assert is_parametric(spec)


def test_unparametrized_variables_compile_as_values(conn: Connection) -> None:
    context = FilterContext(user="u-bob")
    clause = compile_filter({"owner": {"_eq": "$CURRENT_USER"}}, ARTICLES, ARTICLES_TABLE, context)
    statement = select(ARTICLES_TABLE.c.id).where(clause)

    assert list(conn.execute(statement).scalars()) == [3]
    assert context.inlined == ["$CURRENT_USER"]


@pytest.mark.parametrize("parametrize", [True, False])
def test_list_variables_in_in_and_nin(conn: Connection, parametrize: bool) -> None:
    some = FilterContext(policies=("u-bob", "u-cy"), parametrize=parametrize)
    mixed = FilterContext(roles=("u-ann",), parametrize=parametrize)

    assert ids(conn, {"owner": {"_in": "$CURRENT_POLICIES"}}, some) == [3]
    assert ids(conn, {"owner": {"_nin": "$CURRENT_POLICIES"}}, some) == [1, 2]
    assert ids(conn, {"owner": {"_in": ["$CURRENT_ROLES", "u-bob"]}}, mixed) == [1, 2, 3]


def test_now_compiles_as_the_contexts_instant_and_marks_the_statement_as_its_own(
    conn: Connection,
) -> None:
    early = FilterContext(now=datetime(2026, 2, 1, tzinfo=UTC), parametrize=True)
    late = FilterContext(now=datetime(2026, 3, 5, tzinfo=UTC), parametrize=True)
    spec = {"published_at": {"_lte": "$NOW(-2 days)"}}

    assert ids(conn, spec, early) == [1]
    assert ids(conn, spec, late) == [1, 2, 3]
    assert early.inlined == ["$NOW(-2 days)"]
    assert not is_parametric(spec)


def test_a_record_path_is_a_value_read_beforehand(conn: Connection) -> None:
    context = FilterContext(
        user="u-ann", records={"$CURRENT_USER.favourite": "Gamma"}, parametrize=True
    )
    spec = {"title": {"_eq": "$CURRENT_USER.favourite"}}

    assert ids(conn, spec, context) == [3]
    assert context.inlined == ["$CURRENT_USER.favourite"]
    assert not is_parametric(spec)


@pytest.mark.parametrize(
    ("spec", "parametric"),
    [
        ({"owner": {"_eq": "$CURRENT_USER"}}, True),
        ({"owner": "$CURRENT_ROLE"}, True),
        ({"_or": [{"owner": {"_in": "$CURRENT_ROLES"}}, {"rating": {"_gt": 3}}]}, True),
        ({"owner": {"_in": ["$CURRENT_USER", "x"]}}, False),  # inside a list: a value
        ({"owner": {"_eq": "$CURRENT_USER.email"}}, False),
        ({"rating": {"_or": [{"_eq": "$NOW"}]}}, False),
        ({"_and": {"owner": "x"}}, False),
        (["owner"], False),
    ],
)
def test_which_filters_compile_to_one_statement_for_every_caller(
    spec: Any, parametric: bool
) -> None:
    assert is_parametric(spec) is parametric


# ------------------------------------------------------------------------ evaluator


def test_the_evaluator_treats_groups_as_the_compiler_does(conn: Connection) -> None:
    specs: list[dict[str, Any]] = [
        {"_or": [{"rating": {"_gt": 4}}, {"status": {"_eq": "draft"}}]},
        {"_and": [{"status": {"_eq": "published"}}, {"_or": [{"rating": {"_null": True}}, {}]}]},
        {"_or": []},
        {"_and": []},
        {},
    ]

    for spec in specs:
        evaluated = [row["id"] for row in ROWS[ARTICLES_TABLE] if matches(spec, row)]
        assert ids(conn, spec) == evaluated, spec
