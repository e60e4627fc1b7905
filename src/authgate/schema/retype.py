"""Whether the rows a table holds can take a changed column (type, length, nullability).

A column change is checked against the stored values before any DDL runs, so that every
database refuses the same changes with the same error: PostgreSQL would fail the cast halfway
through with a driver error, and SQLite would accept anything (its columns only have an
affinity) and leave values behind that the new type cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, column, func, select, table

from authgate.errors import invalid_payload, not_null_violation, value_too_long
from authgate.uuids import is_uuid

_INTEGER = re.compile(r"^[+-]?\d+$")
_TEXT_KINDS = frozenset({"string", "text", "csv", "hash"})


def _integer(value: Any) -> bool:
    if isinstance(value, int):  # bool included: True and False are 1 and 0
        return True
    if isinstance(value, float | Decimal):
        return value == int(value)
    return isinstance(value, str) and bool(_INTEGER.match(value.strip()))


def _number(value: Any) -> bool:
    if isinstance(value, int | float | Decimal):
        return True
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value.strip()).is_finite()
    except InvalidOperation:
        return False


def _boolean(value: Any) -> bool:
    if isinstance(value, bool) or value in (0, 1):
        return True
    return isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1")


def _moment(parse: Callable[[str], Any], kinds: tuple[type, ...]) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, kinds):
            return True
        if not isinstance(value, str):
            return False
        try:
            parse(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
        return True

    return check


_FITS: Mapping[str, Callable[[Any], bool]] = {
    "integer": _integer,
    "bigInteger": _integer,
    "float": _number,
    "decimal": _number,
    "boolean": _boolean,
    "uuid": lambda value: isinstance(value, str) and is_uuid(value),
    "timestamp": _moment(datetime.fromisoformat, (datetime,)),
    "dateTime": _moment(datetime.fromisoformat, (datetime,)),
    "date": _moment(lambda text: date.fromisoformat(text[:10]), (date,)),
    "time": _moment(time.fromisoformat, (time,)),
}


def first_misfit(values: Iterable[Any], kind: str) -> Any | None:
    """The first stored value that a column of ``kind`` cannot hold (None when all fit)."""
    fits = _FITS.get(kind)
    if fits is None:  # text and json take anything
        return None
    for value in values:
        if value is not None and not fits(value):
            return value
    return None


def check_rows_fit(
    conn: Connection,
    collection: str,
    name: str,
    *,
    old_kind: str,
    new_kind: str,
    max_length: int | None,
    nullable: bool,
) -> None:
    """Raise the error a write of the offending value would get, before the column changes."""
    stored = table(collection, column(name))
    target = stored.c[name]
    if not nullable:
        nulls = conn.execute(select(func.count()).where(target.is_(None))).scalar_one()
        if nulls:
            raise not_null_violation(collection, name)
    if max_length is not None and new_kind in _TEXT_KINDS:
        longest = conn.execute(select(func.max(func.length(target)))).scalar_one()
        if longest is not None and longest > max_length:
            raise value_too_long(collection, name)
    if new_kind != old_kind:
        distinct = conn.execute(select(target).distinct().where(target.is_not(None))).scalars()
        if first_misfit(distinct, new_kind) is not None:
            raise invalid_payload(
                f'Field "{name}" holds values that can\'t be converted to "{new_kind}"'
            )
