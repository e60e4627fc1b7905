"""Evaluating a Directus filter against one in-memory record (pure).

Used where Directus does the same (the registration email filter, validation rules), and by
the tests as the reference the compiled SQL must agree with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_list(operand: Any) -> list[Any]:
    if isinstance(operand, list):
        return operand
    if isinstance(operand, str):
        return operand.split(",")
    return [operand]


def _compare(operator: str, value: Any, operand: Any) -> bool:
    """SQL's answer: a comparison with a NULL value is never true (so ``_neq`` and the negated
    operators skip rows whose value is NULL, as they do in the database)."""
    if operator in ("_null", "_nnull"):
        wanted = operand in (True, "true", 1, "1")
        is_null = value is None
        return is_null == wanted if operator == "_null" else is_null != wanted
    if operator in ("_empty", "_nempty"):
        wanted = operand in (True, "true", 1, "1")
        empty = value is None or value == ""
        return empty == wanted if operator == "_empty" else empty != wanted
    if operator == "_eq" and operand is None:
        return value is None
    if operator == "_neq" and operand is None:
        return value is not None
    if value is None:
        return False
    if operator == "_eq":
        return bool(value == operand)
    if operator == "_neq":
        return bool(value != operand)
    if operator in ("_in", "_nin"):
        items = _as_list(operand)
        found = value in items
        # SQL: "x NOT IN (NULL, ...)" is never true.
        return found if operator == "_in" else (not found and None not in items)
    if operator in ("_lt", "_lte", "_gt", "_gte"):
        try:
            return bool(
                {
                    "_lt": value < operand,
                    "_lte": value <= operand,
                    "_gt": value > operand,
                    "_gte": value >= operand,
                }[operator]
            )
        except TypeError:
            return False
    if operator in ("_between", "_nbetween"):
        return _between(operator, value, _as_list(operand))
    if operator == "_regex":
        return re.search(str(operand), _text(value)) is not None
    return _string_operator(operator, _text(value), _text(operand))


def _between(operator: str, value: Any, bounds: list[Any]) -> bool:
    if len(bounds) != 2:
        return True
    try:
        inside = bool(bounds[0] <= value <= bounds[1])
    except TypeError:  # values that do not compare (a date and a number): no match
        return False
    return inside if operator == "_between" else not inside


def _string_operator(operator: str, value: str, operand: str) -> bool:
    negate = operator.startswith("_n") and operator not in ("_null",)
    name = operator[2:] if negate else operator[1:]
    insensitive = name.startswith("i")
    if insensitive:
        name = name[1:]
        value, operand = value.lower(), operand.lower()
    checks = {
        "contains": operand in value,
        "starts_with": value.startswith(operand),
        "ends_with": value.endswith(operand),
    }
    if name not in checks:
        raise ValueError(f"unknown filter operator {operator}")
    return checks[name] != negate


def _null_text(operand: Any) -> Any:
    """Directus reads the text ``null`` as null in filters (also inside lists)."""
    if isinstance(operand, str) and operand in ("null", "NULL"):
        return None
    if isinstance(operand, list):
        return [None if item in ("null", "NULL") else item for item in operand]
    return operand


def matches(spec: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether ``record`` passes the filter ``spec`` (its own fields, no relations)."""
    for key, condition in spec.items():
        if key == "_and":
            if not all(matches(item, record) for item in condition):
                return False
        elif key == "_or":
            if condition and not any((not item) or matches(item, record) for item in condition):
                return False
        else:
            value = record.get(key)
            if not isinstance(condition, Mapping):
                condition = {"_eq": condition}
            for operator, operand in condition.items():
                if operator in ("_and", "_or"):
                    parts = [(not part) or matches({key: part}, record) for part in operand]
                    passed = all(parts) if operator == "_and" else (not parts or any(parts))
                elif operator == "_submitted":
                    passed = key in record
                else:
                    passed = _compare(operator, value, _null_text(operand))
                if not passed:
                    return False
    return True
