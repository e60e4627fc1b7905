"""query/filter.py against query/evaluate.py: the compiled SQL and the in-memory evaluator
must select the same rows for every Directus filter, on SQLite and on PostgreSQL.

SQLite's ``LIKE`` ignores ASCII case, so the case-sensitive operators (``_contains``,
``_starts_with``, ``_ends_with`` and their negations) get lowercase operands and the rows hold
lowercase text; the case-insensitive ``_i*`` operators and ``_eq``/``_in`` get mixed case.
Text is ASCII only: SQLite's ``lower()`` does not fold other letters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)

from authgate.errors import AuthError
from authgate.query.evaluate import matches
from authgate.query.filter import OPERATORS_BY_TYPE, FilterContext, compile_filter
from authgate.schema.model import Collection, Field
from tests.support.backends import postgres_database

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=True),
    Column("score", Integer, nullable=True),
    Column("active", Boolean, nullable=True),
)
THINGS = Collection(
    "things",
    (
        Field("id", "integer", nullable=False, primary_key=True),
        Field("name", "string"),
        Field("score", "integer"),
        Field("active", "boolean"),
    ),
)
CONTEXT = FilterContext()

# Text that stresses LIKE escaping: the wildcards, the escape character itself, spaces.
LOWER = "ab%_\\ "
MIXED = LOWER + "AB"
CASE_SENSITIVE_LIKE = {
    "_contains",
    "_ncontains",
    "_starts_with",
    "_nstarts_with",
    "_ends_with",
    "_nends_with",
}
CASE_INSENSITIVE_LIKE = {
    "_icontains",
    "_istarts_with",
    "_iends_with",
    "_nistarts_with",
    "_niends_with",
}
FLAGS = st.sampled_from([True, False, "true", "false"])
STRING_OPERATORS = sorted(OPERATORS_BY_TYPE["string"])
INTEGER_OPERATORS = sorted(OPERATORS_BY_TYPE["integer"])
BOOLEAN_OPERATORS = sorted(OPERATORS_BY_TYPE["boolean"])

names = st.none() | st.text(alphabet=LOWER, max_size=4)
scores = st.none() | st.integers(min_value=-5, max_value=5)


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=8))
    return [
        {
            "id": index + 1,
            "name": draw(names),
            "score": draw(scores),
            "active": draw(st.none() | st.booleans()),
        }
        for index in range(count)
    ]


def string_operand(operator: str) -> st.SearchStrategy[Any]:
    if operator in ("_null", "_nnull", "_empty", "_nempty"):
        return FLAGS
    if operator in ("_in", "_nin"):
        return st.lists(st.text(alphabet=MIXED, max_size=3), min_size=1, max_size=4)
    if operator in CASE_SENSITIVE_LIKE:
        return st.text(alphabet=LOWER, min_size=1, max_size=3)
    if operator in CASE_INSENSITIVE_LIKE:
        return st.text(alphabet=MIXED, min_size=1, max_size=3)
    return st.none() | st.text(alphabet=MIXED, max_size=3)  # _eq, _neq


def integer_operand(operator: str) -> st.SearchStrategy[Any]:
    small = st.integers(min_value=-6, max_value=6)
    if operator in ("_null", "_nnull"):
        return FLAGS
    if operator in ("_in", "_nin"):
        return st.lists(small, min_size=1, max_size=4)
    if operator in ("_between", "_nbetween"):
        return st.lists(small, min_size=2, max_size=2)
    if operator in ("_eq", "_neq"):
        return st.none() | small
    return small


def boolean_operand(operator: str) -> st.SearchStrategy[Any]:
    if operator in ("_null", "_nnull"):
        return FLAGS
    return st.none() | st.booleans()


def operations(operators: list[str], operand: Any) -> st.SearchStrategy[dict[str, Any]]:
    """One ``{"_op": value}`` for a field of the type these operators belong to."""
    return st.sampled_from(operators).flatmap(lambda op: operand(op).map(lambda value: {op: value}))


FIELD_OPERATIONS = {
    "name": operations(STRING_OPERATORS, string_operand),
    "score": operations(INTEGER_OPERATORS, integer_operand),
    "active": operations(BOOLEAN_OPERATORS, boolean_operand),
}

explicit = st.sampled_from(sorted(FIELD_OPERATIONS)).flatmap(
    lambda field: FIELD_OPERATIONS[field].map(lambda operation: {field: operation})
)
implicit_eq = st.one_of(
    st.text(alphabet=MIXED, max_size=3).map(lambda value: {"name": value}),
    st.integers(min_value=-6, max_value=6).map(lambda value: {"score": value}),
)
# ``{"name": {"_or": [{"_eq": "a"}, {"_contains": "b"}]}}``: a group inside one field.
field_groups = st.sampled_from(sorted(FIELD_OPERATIONS)).flatmap(
    lambda field: st.builds(
        lambda group, items: {field: {group: items}},
        st.sampled_from(["_and", "_or"]),
        st.lists(FIELD_OPERATIONS[field], min_size=1, max_size=3),
    )
)


def combined(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda items: {"_and": items}, st.lists(children, max_size=3)),
        st.builds(lambda items: {"_or": items}, st.lists(children, max_size=3)),
        st.builds(lambda a, b: {**a, **b}, children, children),  # several keys: implicit AND
    )


filters = st.recursive(st.one_of(explicit, implicit_eq, field_groups), combined, max_leaves=6)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        db = create_engine("sqlite://")
        metadata.create_all(db)
        yield db
        db.dispose()
        return
    with postgres_database() as env:
        db = create_engine(
            f"postgresql+psycopg://{env['DB_USER']}@{env['DB_HOST']}:{env['DB_PORT']}"
            f"/{env['DB_DATABASE']}"
        )
        metadata.create_all(db)
        yield db
        db.dispose()


def selected_ids(db: Engine, rows: list[dict[str, Any]], spec: Mapping[str, Any]) -> set[int]:
    clause = compile_filter(spec, THINGS, things, CONTEXT)
    with db.begin() as conn:
        conn.execute(things.delete())
        if rows:
            conn.execute(things.insert(), rows)
        return set(conn.execute(select(things.c.id).where(clause)).scalars())


def evaluated_ids(rows: list[dict[str, Any]], spec: Mapping[str, Any]) -> set[int]:
    return {row["id"] for row in rows if matches(spec, row)}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=tables(), spec=filters)
def test_compiled_sql_selects_exactly_the_rows_the_evaluator_accepts(
    engine: Engine, rows: list[dict[str, Any]], spec: dict[str, Any]
) -> None:
    assert selected_ids(engine, rows, spec) == evaluated_ids(rows, spec)


ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "a%b", "score": 1, "active": True},
    {"id": 2, "name": "axb", "score": None, "active": False},
    {"id": 3, "name": "a_b", "score": 3, "active": None},
    {"id": 4, "name": "a\\b", "score": -2, "active": True},
    {"id": 5, "name": None, "score": 0, "active": None},
    {"id": 6, "name": "", "score": 5, "active": False},
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"name": {"_contains": "%"}}, {1}),
        ({"name": {"_contains": "_"}}, {3}),
        ({"name": {"_contains": "\\"}}, {4}),
        ({"name": {"_starts_with": "a%"}}, {1}),
        ({"name": {"_ends_with": "_b"}}, {3}),
        ({"name": {"_ncontains": "%"}}, {2, 3, 4, 6}),
        ({"name": {"_empty": True}}, {5, 6}),
        ({"name": {"_nempty": True}}, {1, 2, 3, 4}),
        ({"name": {"_null": True}}, {5}),
        ({"name": {"_neq": "axb"}}, {1, 3, 4, 6}),
        ({"score": {"_between": [0, 3]}}, {1, 3, 5}),
        ({"score": {"_nbetween": [0, 3]}}, {4, 6}),
        ({"score": {"_nin": [1, 3]}}, {4, 5, 6}),
        ({"active": {"_eq": False}}, {2, 6}),
        ({"active": {"_neq": True}}, {2, 6}),
        ({"_or": [{"score": {"_gt": 3}}, {"name": {"_eq": "axb"}}]}, {2, 6}),
        ({"_or": [{"score": {"_gt": 3}}, {}]}, {1, 2, 3, 4, 5, 6}),
        ({"_and": []}, {1, 2, 3, 4, 5, 6}),
    ],
)
def test_known_filters_select_the_expected_rows(
    engine: Engine, spec: dict[str, Any], expected: set[int]
) -> None:
    assert (selected_ids(engine, ROWS, spec), evaluated_ids(ROWS, spec)) == (expected, expected)


def test_a_null_inside_nin_excludes_every_row_as_sql_does(engine: Engine) -> None:
    """``x NOT IN (NULL, 1)`` is never true in SQL; the evaluator documents that it gives SQL's
    answer for NULL comparisons."""
    spec = {"score": {"_nin": [None, 1]}}

    assert (selected_ids(engine, ROWS, spec), evaluated_ids(ROWS, spec)) == (set(), set())


def test_the_text_null_is_a_null_operand_as_directus_parses_it(engine: Engine) -> None:
    """Directus ``parseFilter`` turns ``"null"``/``"NULL"`` into ``null`` before filtering."""
    spec = {"name": {"_eq": "null"}}

    assert (selected_ids(engine, ROWS, spec), evaluated_ids(ROWS, spec)) == ({5}, {5})


@pytest.mark.parametrize("spec", [{"score": {}}, {"score": {"_and": []}}, {"score": {"_or": []}}])
def test_an_empty_field_condition_selects_every_row(engine: Engine, spec: dict[str, Any]) -> None:
    """Directus moves a field-level group up (``{"score": {"_or": []}}`` becomes
    ``{"_or": []}``), and an empty group, like our top-level ``{"_or": []}``, imposes nothing."""
    everything = {row["id"] for row in ROWS}

    assert (selected_ids(engine, ROWS, spec), evaluated_ids(ROWS, spec)) == (everything, everything)


@pytest.mark.parametrize("operator", ["_contains", "_starts_with", "_icontains", "_lt"])
def test_an_empty_operand_for_a_pattern_or_comparison_is_an_invalid_query(operator: str) -> None:
    with pytest.raises(AuthError) as caught:
        compile_filter({"name": {operator: ""}}, THINGS, things, CONTEXT)

    assert caught.value.code.value == "INVALID_QUERY"


def test_an_operator_not_valid_for_the_field_type_is_an_invalid_query() -> None:
    with pytest.raises(AuthError) as caught:
        compile_filter({"active": {"_contains": "t"}}, THINGS, things, CONTEXT)

    assert caught.value.code.value == "INVALID_QUERY"


def test_an_unknown_field_is_forbidden() -> None:
    with pytest.raises(AuthError) as caught:
        compile_filter({"password": {"_eq": "x"}}, THINGS, things, CONTEXT)

    assert caught.value.code.value == "FORBIDDEN"
