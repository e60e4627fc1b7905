"""Validation of a payload against Directus filter rules, with Directus's error wording (pure).

The rule is the AND of: non-nullable columns must not be null (and must be submitted on
create when they have no default), each field's own ``validation``, and every permission
row's ``validation``. A failure names the field and the rule; several failures are reported
together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from authgate.errors import AuthError, ErrorGroup, failed_validation
from authgate.query.evaluate import matches
from authgate.schema.model import Collection


def _shown(value: Any) -> Any:
    """An operand as a message and the JSON extensions show it (resolved variables included)."""
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _describe(operator: str, operand: Any) -> tuple[str, dict[str, Any]]:
    """Directus's message and extensions for a failed operator."""
    operand = _shown(operand)
    if isinstance(operand, list):
        listed = ", ".join(f'"{_text(v)}"' for v in operand)
    else:
        listed = f'"{_text(operand)}"'
    table: dict[str, tuple[str, dict[str, Any]]] = {
        "_eq": (f"Value has to be {listed}.", {"valid": operand}),
        "_neq": (f"Value can't be {listed}.", {"invalid": operand}),
        "_in": (f"Value has to be one of {listed}.", {"valid": operand}),
        "_nin": (f"Value can't be one of {listed}.", {"invalid": operand}),
        "_contains": (f"Value has to contain {listed}.", {"substring": operand}),
        "_ncontains": (f"Value can't contain {listed}.", {"substring": operand}),
        "_icontains": (f"Value has to contain {listed}.", {"substring": operand}),
        "_starts_with": (f"Value has to start with {listed}.", {"substring": operand}),
        "_nstarts_with": (f"Value can't start with {listed}.", {"substring": operand}),
        "_ends_with": (f"Value has to end with {listed}.", {"substring": operand}),
        "_nends_with": (f"Value can't end with {listed}.", {"substring": operand}),
        "_gt": (f"Value has to be greater than {listed}.", {"valid": operand}),
        "_gte": (f"Value has to be greater than or equal to {listed}.", {"valid": operand}),
        "_lt": (f"Value has to be less than {listed}.", {"valid": operand}),
        "_lte": (f"Value has to be less than or equal to {listed}.", {"valid": operand}),
        "_empty": ("Value has to be empty.", {}),
        "_nempty": ("Value can't be empty.", {}),
        "_null": ("Value has to be null.", {}),
        "_nnull": ("Value can't be null.", {}),
        "_submitted": ("Value is required.", {}),
        "_regex": ("Value doesn't have the correct format.", {}),
        "_between": (f"Value has to be between {listed}.", {"valid": operand}),
        "_nbetween": (f"Value can't be between {listed}.", {"invalid": operand}),
    }
    return table.get(operator, ("Value is not valid.", {}))


def _regex_matches(pattern: Any, value: Any) -> bool:
    text = str(pattern)
    if text.startswith("/") and text.rfind("/") > 0:
        text = text[1 : text.rfind("/")]
    try:
        return re.search(text, "" if value is None else str(value)) is not None
    except re.error:
        return False


def _field_failures(
    name: str, condition: Any, payload: Mapping[str, Any], creating: bool
) -> list[AuthError]:
    if not isinstance(condition, Mapping):
        condition = {"_eq": condition}
    failures = []
    for operator, operand in condition.items():
        if operator in ("_and", "_or"):
            parts = [_field_failures(name, item, payload, creating) for item in operand]
            if operator == "_and":
                failures += [f for part in parts for f in part]
            elif parts and all(parts):
                failures += parts[0]
            continue
        if operator == "_submitted":
            passed = name in payload or not creating
        elif name not in payload and not creating:
            continue  # an update is validated on what it changes
        elif operator == "_regex":
            passed = _regex_matches(operand, payload.get(name))
        else:
            value, operand_value = _comparable(payload.get(name), operand)
            passed = matches({name: {operator: operand_value}}, {name: value})
        if not passed:
            message, extras = _describe(operator, operand)
            # Directus reports a missing value with Joi's type, "required"
            kind = "required" if operator == "_submitted" else operator.lstrip("_")
            failures.append(failed_validation(name, kind, message, **extras))
    return failures


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comparable(value: Any, operand: Any) -> tuple[Any, Any]:
    """A payload's date text compared with a resolved ``$NOW`` (or a date read for a record
    path) as instants, not as text."""
    listed = operand if isinstance(operand, list) else [operand]
    if not any(isinstance(o, datetime) for o in listed):
        return value, operand
    listed = [_instant(o) for o in listed]  # "$NOW" beside a literal date: both instants
    operand = listed if isinstance(operand, list) else listed[0]
    return _instant(value), operand


def _instant(value: Any) -> Any:
    """A datetime or ISO date text as an aware datetime; anything else unchanged (the
    comparison then simply fails)."""
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str):
        try:
            return _aware(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


def failures_of(
    rule: Mapping[str, Any], payload: Mapping[str, Any], *, creating: bool
) -> list[AuthError]:
    failures: list[AuthError] = []
    for key, condition in rule.items():
        if key == "_and":
            for item in condition:
                failures += failures_of(item, payload, creating=creating)
        elif key == "_or":
            parts = [failures_of(item, payload, creating=creating) for item in condition]
            if parts and all(parts):
                failures += parts[0]
        else:
            failures += _field_failures(key, condition, payload, creating)
    return failures


def schema_rules(collection: Collection, *, creating: bool) -> list[Mapping[str, Any]]:
    """The rules the data model itself sets: not-null columns, required fields, field rules."""
    rules: list[Mapping[str, Any]] = []
    for described in collection.columns:
        if described.primary_key and described.generated:
            continue
        if not described.nullable and not described.generated:
            rule: dict[str, Any] = {"_nnull": True}
            if creating:
                rule = {"_and": [{"_submitted": True}, {"_nnull": True}]}
            rules.append({described.name: rule})
        elif described.required and creating:
            rules.append({described.name: {"_and": [{"_submitted": True}, {"_nnull": True}]}})
        if described.validation:
            rules.append(described.validation)
    return rules


def validate(
    payload: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]],
    *,
    creating: bool,
) -> None:
    """Raises the failures (one ``AuthError``, or an ``ErrorGroup`` of several)."""
    failures: list[AuthError] = []
    seen: set[str] = set()
    for rule in rules:
        for failure in failures_of(rule, payload, creating=creating):
            mark = str(failure.extensions.get("field"))  # the first problem of each field
            if mark not in seen:
                seen.add(mark)
                failures.append(failure)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise ErrorGroup(failures)
