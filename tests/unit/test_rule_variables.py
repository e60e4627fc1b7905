"""items/variables.py, access/record_paths.py: variables in rules and presets, as in filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

from authgate.access.record_paths import record_path, record_paths
from authgate.items.variables import as_written, resolve_tree
from authgate.query.filter import FilterContext

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONTEXT = FilterContext(user="u-1", role="r-1", roles=("r-0", "r-1"), policies=("p-1",), now=NOW)


def test_plain_variables_resolve_as_in_filters() -> None:
    rule = {
        "_and": [
            {"owner": {"_eq": "$CURRENT_USER"}},
            {"role": {"_in": ["$CURRENT_ROLES", "extra"]}},
            {"policy": {"_in": "$CURRENT_POLICIES"}},
            {"day": {"_lte": "$NOW(+1 day)"}},
        ]
    }

    assert resolve_tree(rule, CONTEXT, {}) == {
        "_and": [
            {"owner": {"_eq": "u-1"}},
            {"role": {"_in": ["r-0", "r-1", "extra"]}},  # a list variable is flattened in
            {"policy": {"_in": ["p-1"]}},
            {"day": {"_lte": datetime(2026, 11, 29, 12, 0, tzinfo=UTC)}},
        ]
    }


def test_record_paths_come_from_the_loaded_values_and_unknown_ones_are_null() -> None:
    rule = {"a": "$CURRENT_USER.email", "b": "$CURRENT_ROLE.name", "c": "$CURRENT_USER.nope"}

    resolved = resolve_tree(rule, CONTEXT, {"$CURRENT_USER.email": "me@example.com"})

    assert resolved == {"a": "me@example.com", "b": None, "c": None}


def test_only_paths_leaves_plain_variables_to_the_filter_compiler() -> None:
    rule = {"owner": "$CURRENT_USER", "email": "$CURRENT_USER.email"}

    resolved = resolve_tree(rule, CONTEXT, {"$CURRENT_USER.email": "x"}, plain=False)

    assert resolved == {"owner": "$CURRENT_USER", "email": "x"}


def test_literals_become_values_when_asked() -> None:
    preset = {"on": "true", "off": "false", "none": "null", "text": "True"}

    assert resolve_tree(preset, CONTEXT, {}, literals=True) == {
        "on": True,
        "off": False,
        "none": None,
        "text": "True",
    }
    assert resolve_tree(preset, CONTEXT, {}) == preset


def test_record_paths_are_recognised_longest_root_first() -> None:
    assert record_path("$CURRENT_ROLES.0.name") == ("$CURRENT_ROLES", ("0", "name"))
    assert record_path("$CURRENT_ROLE.name") == ("$CURRENT_ROLE", ("name",))
    assert record_path("$CURRENT_USER") is None
    assert record_path("$NOW") is None
    assert record_paths(
        {"_or": [{"a": "$CURRENT_USER.role.name"}, {"b": ["$CURRENT_ROLE.x"]}]}
    ) == {
        "$CURRENT_USER.role.name",
        "$CURRENT_ROLE.x",
    }


def test_written_presets_carry_dates_as_text() -> None:
    assert as_written({"at": NOW, "day": date(2026, 1, 2), "n": 1}) == {
        "at": "2026-11-28T12:00:00.000Z",
        "day": "2026-01-02",
        "n": 1,
    }
