"""Directus filters: normalised, checked against field types, compiled to one SQL expression.

Every filter becomes a single ``WHERE`` expression; nothing is fetched to be filtered in
Python. Values are cast to the field's type, so ``"5"`` from a query string compares as a
number and ``"true"`` as a boolean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Table, and_, bindparam, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from authgate.errors import AuthError, forbidden, invalid_query
from authgate.query import variables
from authgate.schema.model import Collection, Field
from authgate.uuids import is_uuid

_STRING_OPS = frozenset(
    [
        "_eq",
        "_neq",
        "_contains",
        "_icontains",
        "_ncontains",
        "_starts_with",
        "_nstarts_with",
        "_istarts_with",
        "_nistarts_with",
        "_ends_with",
        "_nends_with",
        "_iends_with",
        "_niends_with",
        "_empty",
        "_nempty",
        "_null",
        "_nnull",
        "_in",
        "_nin",
    ]
)
_NUMBER_OPS = frozenset(
    [
        "_eq",
        "_neq",
        "_lt",
        "_lte",
        "_gt",
        "_gte",
        "_between",
        "_nbetween",
        "_null",
        "_nnull",
        "_in",
        "_nin",
    ]
)
OPERATORS_BY_TYPE: Mapping[str, frozenset[str]] = {
    "string": _STRING_OPS,
    "text": _STRING_OPS,
    "csv": _STRING_OPS,
    "uuid": frozenset(["_eq", "_neq", "_null", "_nnull", "_in", "_nin"]),
    "boolean": frozenset(["_eq", "_neq", "_null", "_nnull"]),
    "integer": _NUMBER_OPS,
    "bigInteger": _NUMBER_OPS,
    "float": _NUMBER_OPS,
    "decimal": _NUMBER_OPS,
    "timestamp": _NUMBER_OPS,
    "dateTime": _NUMBER_OPS,
    "date": _NUMBER_OPS,
    "time": _NUMBER_OPS,
    "json": frozenset(["_null", "_nnull"]),
    "hash": frozenset(["_null", "_nnull", "_empty", "_nempty"]),
}
_CONCEALED_OPS = frozenset(["_null", "_nnull", "_empty", "_nempty"])
_LIST_OPS = frozenset({"_in", "_nin", "_between", "_nbetween"})
_BOOLEAN_OPS = frozenset({"_null", "_nnull", "_empty", "_nempty"})


@dataclass(frozen=True)
class FilterContext:
    """What dynamic variables resolve to for this request.

    With ``parametrize``, ``$CURRENT_USER``/``$CURRENT_ROLE``/``$CURRENT_ROLES``/
    ``$CURRENT_POLICIES`` compile to bound parameters instead of values, so that the same rule
    compiles to the same statement for every caller (it can then be built once and cached);
    ``parameters()`` gives their values for the execution.
    """

    user: str | None = None
    role: str | None = None
    roles: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    now: datetime | None = None
    # Record paths (``$CURRENT_USER.role.name``) read for this caller, by path: compiled in as
    # values (``inlined``), so a statement using one is never reused for another caller.
    records: Mapping[str, Any] = dataclass_field(default_factory=dict, compare=False, hash=False)
    parametrize: bool = False
    # Variables compiled into the statement as values rather than bound parameters (lists,
    # $NOW, paths): a statement holding any is this caller's alone and must not be reused.
    inlined: list[str] = dataclass_field(default_factory=list, compare=False, hash=False)

    def parameters(self) -> dict[str, Any]:
        return {
            "var_current_user": self.user,
            "var_current_role": self.role,
            "var_current_roles": list(self.roles),
            "var_current_policies": list(self.policies),
        }

    def shape(self) -> tuple[bool, bool, bool, bool]:
        """Which variables are empty: part of a compiled rule's identity (null compiles as
        ``IS NULL``, an empty list as an always-false ``IN``)."""
        return (self.user is None, self.role is None, not self.roles, not self.policies)


_PARAMETERS = {
    "$CURRENT_USER": "var_current_user",
    "$CURRENT_ROLE": "var_current_role",
    "$CURRENT_ROLES": "var_current_roles",
    "$CURRENT_POLICIES": "var_current_policies",
}


def _parameter(operand: Any, context: FilterContext, column: Any) -> Any | None:
    """A bound parameter standing for a variable, or ``None`` to compile the value itself."""
    if not context.parametrize or not isinstance(operand, str) or operand not in _PARAMETERS:
        return None
    value = variables.resolve(operand, context)
    if value is None or value == []:
        return None
    name = _PARAMETERS[operand]
    if isinstance(value, list):
        return bindparam(name, expanding=True, type_=column.type)
    return bindparam(name, type_=column.type)


def field_forbidden(field: str, collection: str) -> Exception:
    return forbidden(
        f'You don\'t have permission to access field "{field}" in collection "{collection}" '
        "or it does not exist. Queried in root."
    )


def compile_filter(
    spec: Mapping[str, Any], collection: Collection, table: Table, context: FilterContext
) -> ColumnElement[bool]:
    """The SQL condition for a Directus filter on one collection's own fields."""
    if not isinstance(spec, Mapping):
        raise invalid_query("Filter has to be an object")
    clauses: list[ColumnElement[bool]] = []
    for key, value in spec.items():
        if key in ("_and", "_or"):
            if not isinstance(value, list):
                raise invalid_query(f'"{key}" has to be an array')
            parts = [compile_filter(item, collection, table, context) for item in value]
            if (key == "_or" and any(_is_empty_object(item) for item in value)) or not parts:
                clauses.append(true())
            else:
                clauses.append(and_(*parts) if key == "_and" else or_(*parts))
        elif key.startswith("_"):
            raise invalid_query(f'"{key}" is not a valid filter operator here')
        else:
            clauses.append(_field_clause(key, value, collection, table, context))
    if not clauses:
        return true()
    return clauses[0] if len(clauses) == 1 else and_(*clauses)


def _is_empty_object(value: Any) -> bool:
    return isinstance(value, Mapping) and not value


def _field_clause(
    name: str, value: Any, collection: Collection, table: Table, context: FilterContext
) -> ColumnElement[bool]:
    field = collection.field(name)
    if field is None or field.is_alias or name not in table.c:
        raise field_forbidden(name, collection.name)
    return column_condition(field, table.c[name], value, context)


def column_condition(
    field: Field, column: Any, value: Any, context: FilterContext, *, rule: bool = False
) -> ColumnElement[bool]:
    """One field's part of a filter: ``{"_eq": 3}``, several operators, or a bare value.
    ``rule``: a permission rule's, where a list variable that is empty for this caller
    (``$CURRENT_ROLES`` of a role-less user) matches nothing in ``_in`` and everything in
    ``_nin``, as in Directus; in the caller's own filter it is refused (INVALID_QUERY)."""
    if not isinstance(value, Mapping):
        value = {"_eq": value}
    clauses: list[ColumnElement[bool]] = []
    for operator, operand in value.items():
        if operator in ("_and", "_or"):
            if not isinstance(operand, list):
                raise invalid_query(f'"{operator}" has to be an array')
            nested = [column_condition(field, column, item, context, rule=rule) for item in operand]
            if not nested or (operator == "_or" and any(_is_empty_object(i) for i in operand)):
                clauses.append(true())  # an empty group (or an empty member of _or) matches all
            else:
                clauses.append(and_(*nested) if operator == "_and" else or_(*nested))
            continue
        clauses.append(_operator_clause(field, column, operator, operand, context, rule))
    if not clauses:
        return true()
    return and_(*clauses) if len(clauses) != 1 else clauses[0]


def _allowed_operators(field: Field) -> frozenset[str]:
    if field.concealed:
        return _CONCEALED_OPS
    return OPERATORS_BY_TYPE.get(field.type, frozenset())


def _operator_clause(
    field: Field, column: Any, operator: str, operand: Any, context: FilterContext, rule: bool
) -> Any:
    if operator not in _allowed_operators(field):
        raise invalid_query(
            f'"{field.type}" field type does not contain the "{operator}" filter operator'
        )
    if operator in _BOOLEAN_OPS:
        flag = _boolean(operand, operator)
        return _BOOLEAN_BUILDERS[operator](column, flag)
    parameter = _parameter(operand, context, column)
    if parameter is not None:
        if operator in ("_in", "_nin") and parameter.expanding:
            return column.in_(parameter) if operator == "_in" else not_(column.in_(parameter))
        if operator in _VALUE_BUILDERS and not parameter.expanding:
            return _VALUE_BUILDERS[operator](column, parameter)
    if operator in _LIST_OPS:
        values = _list_operand(operand, operator, context, rule)
        if operator in ("_in", "_nin"):
            return _membership(field, column, operator, values)
        cast = [_cast(field, v) for v in values]
        if operator in ("_between", "_nbetween"):
            if len(cast) != 2:
                return true()
            between = column.between(cast[0], cast[1])
            return between if operator == "_between" else not_(between)
    value = variables.resolve(operand, context)
    if value is not operand:
        context.inlined.append(operand)
    if isinstance(value, list | dict):
        raise invalid_query(f'"{operator}" has to be a single value')
    if isinstance(value, str) and value == "" and operator not in ("_eq", "_neq"):
        raise invalid_query(f'"{operator}" can not be empty (use "_empty" instead)')
    cast_value = _cast(field, value)
    return _VALUE_BUILDERS[operator](column, cast_value)


def _boolean(operand: Any, operator: str) -> bool:
    if isinstance(operand, bool):
        return operand
    if operand in ("true", "1", 1):
        return True
    if operand in ("false", "0", 0):
        return False
    raise invalid_query(f'"{operator}" has to be a boolean')


def _membership(field: Field, column: Any, operator: str, values: list[Any]) -> Any:
    """``_in``/``_nin``. An empty string is no value of a non-text field: it matches no row
    (Directus compares it and finds none: ``_in: ""`` is ``[""]``) rather than being refused."""
    textual = field.type in ("string", "text", "csv")
    cast = [_cast(field, v) for v in values if textual or v != ""]
    if not cast:  # an empty list variable of a rule, or only empty strings
        if operator == "_in":
            return false()
        return true() if not values else column.is_not(None)
    return column.in_(cast) if operator == "_in" else not_(column.in_(cast))


def _list_operand(operand: Any, operator: str, context: FilterContext, rule: bool) -> list[Any]:
    if isinstance(operand, str):
        resolved = variables.resolve(operand, context)
        if resolved is not operand:
            context.inlined.append(operand)
        items = resolved if isinstance(resolved, list) else operand.split(",")
    elif isinstance(operand, list):
        items = []
        for item in operand:
            resolved = variables.resolve(item, context)
            if resolved is not item:
                context.inlined.append(str(item))
            items += resolved if isinstance(resolved, list) else [resolved]
    elif isinstance(operand, Mapping):
        items = list(operand.values())
    else:
        items = [operand]
    if not items and not (rule and operator in ("_in", "_nin") and operand is not None):
        raise invalid_query(f'"{operator}" has to be an array of values')
    return items


def _cast(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if value in ("null", "NULL"):
        return None
    kind = field.type
    try:
        if kind in ("integer", "bigInteger", "float", "decimal"):
            return _number(kind, value)
        if kind == "uuid":
            if not isinstance(value, str) or not is_uuid(value):
                raise ValueError(value)
            return value.lower()
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            return str(value).lower() in ("true", "1")
        if kind == "timestamp":
            return _datetime(value)
        if kind == "dateTime":  # no time zone: compared as written
            return _datetime(value).replace(tzinfo=None)
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if kind == "time":
            return value if isinstance(value, time) else time.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        raise invalid_query(f'"{value}" is not a valid value for field "{field.name}"') from None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, str) else value


# What the columns hold: a value outside is no value of the field (and PostgreSQL would fail
# the whole statement on it).
_INTEGER_RANGE = {"integer": 2**31, "bigInteger": 2**63}


def _number(kind: str, value: Any) -> int | float:
    """A number the column can hold (``ValueError`` otherwise)."""
    if kind in _INTEGER_RANGE:
        number = int(value)
        if not -_INTEGER_RANGE[kind] <= number < _INTEGER_RANGE[kind]:
            raise ValueError(value)
        return number
    real = float(value)
    if not math.isfinite(real):
        raise ValueError(value)
    return real


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _like(column: Any, value: Any, *, prefix: str, suffix: str, lower: bool) -> ColumnElement[bool]:
    text = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"{prefix}{text.lower() if lower else text}{suffix}"
    target = func.lower(column) if lower else column
    return target.like(pattern, escape="\\")


def _eq(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value  # type: ignore[no-any-return]


def _neq(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_not(None) if value is None else column != value  # type: ignore[no-any-return]


_Builder = Callable[[Any, Any], ColumnElement[bool]]
_VALUE_BUILDERS: Mapping[str, _Builder] = {
    "_eq": _eq,
    "_neq": _neq,
    "_lt": lambda c, v: c < v,
    "_lte": lambda c, v: c <= v,
    "_gt": lambda c, v: c > v,
    "_gte": lambda c, v: c >= v,
    "_contains": lambda c, v: _like(c, v, prefix="%", suffix="%", lower=False),
    "_ncontains": lambda c, v: not_(_like(c, v, prefix="%", suffix="%", lower=False)),
    "_icontains": lambda c, v: _like(c, v, prefix="%", suffix="%", lower=True),
    "_starts_with": lambda c, v: _like(c, v, prefix="", suffix="%", lower=False),
    "_nstarts_with": lambda c, v: not_(_like(c, v, prefix="", suffix="%", lower=False)),
    "_istarts_with": lambda c, v: _like(c, v, prefix="", suffix="%", lower=True),
    "_nistarts_with": lambda c, v: not_(_like(c, v, prefix="", suffix="%", lower=True)),
    "_ends_with": lambda c, v: _like(c, v, prefix="%", suffix="", lower=False),
    "_nends_with": lambda c, v: not_(_like(c, v, prefix="%", suffix="", lower=False)),
    "_iends_with": lambda c, v: _like(c, v, prefix="%", suffix="", lower=True),
    "_niends_with": lambda c, v: not_(_like(c, v, prefix="%", suffix="", lower=True)),
}
_BOOLEAN_BUILDERS: Mapping[str, Callable[[Any, bool], ColumnElement[bool]]] = {
    "_null": lambda c, flag: c.is_(None) if flag else c.is_not(None),
    "_nnull": lambda c, flag: c.is_not(None) if flag else c.is_(None),
    "_empty": lambda c, flag: or_(c.is_(None), c == "") if flag else and_(c.is_not(None), c != ""),
    "_nempty": lambda c, flag: and_(c.is_not(None), c != "") if flag else or_(c.is_(None), c == ""),
}


def compile_search(
    term: str,
    collection: Collection,
    table: Table,
    readable: Sequence[str] | None = None,
    *,
    value_of: Callable[[str], Any] | None = None,
) -> ColumnElement[bool]:
    """Directus ``search``: case-insensitive substring on text fields, equality on numbers when
    the term is a number and on UUIDs when it is one; concealed fields are never searched.
    ``value_of`` gives a field's value as the caller sees it (default: the column)."""
    clauses: list[ColumnElement[bool]] = []
    lowered = term.lower()
    for field in collection.columns:
        if field.concealed or field.type == "hash" or field.name not in table.c:
            continue
        if readable is not None and field.name not in readable:
            continue
        column = value_of(field.name) if value_of is not None else table.c[field.name]
        if field.type in ("string", "text", "csv"):
            clauses.append(_like(column, lowered, prefix="%", suffix="%", lower=True))
        elif field.type in ("integer", "bigInteger", "float", "decimal"):
            try:
                number = _cast(field, term)
            except AuthError:
                continue  # not a number this field can hold: nothing to match
            clauses.append(column == number)
        elif field.type == "uuid" and is_uuid(term):
            clauses.append(column == term.lower())
    return or_(*clauses) if clauses else false()


def is_parametric(spec: Any) -> bool:
    """Whether ``compile_filter(spec, ..., parametrize=True)`` yields the same SQL for every
    caller: its only variables are direct operands that become bound parameters."""
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key in ("_and", "_or"):
                if not isinstance(value, list) or not all(is_parametric(item) for item in value):
                    return False
            elif isinstance(value, Mapping):
                for operator, operand in value.items():
                    if operator in ("_and", "_or"):
                        nested = (
                            [{key: item} for item in operand] if isinstance(operand, list) else []
                        )
                        if not all(is_parametric(item) for item in nested):
                            return False
                    elif not _parametric_operand(operand):
                        return False
            elif not _parametric_operand(value):
                return False
        return True
    return False


def _parametric_operand(operand: Any) -> bool:
    if isinstance(operand, str):
        return not operand.startswith("$") or operand in _PARAMETERS
    if isinstance(operand, list | Mapping):
        return not any(isinstance(item, str) and item.startswith("$") for item in _flatten(operand))
    return True


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [item for child in value.values() for item in _flatten(child)]
    if isinstance(value, list):
        return [item for child in value for item in _flatten(child)]
    return [value]
