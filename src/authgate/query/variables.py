"""Dynamic variables in filters: ``$CURRENT_USER``, ``$CURRENT_ROLE(S)``, ``$CURRENT_POLICIES``,
``$NOW`` with offsets (pure). Paths into records (``$CURRENT_USER.email``) need the database:
the access layer reads them beforehand into ``FilterContext.records``, where they are found
here."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authgate.query.filter import FilterContext

_NOW = re.compile(r"^\$NOW(?:\((?P<adj>[^)]*)\))?$")
_ADJUST = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]*)\s*$")
_UNITS: dict[str, str] = {}
for _unit, _names in {
    "ms": ("ms", "millisecond", "milliseconds"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("", "d", "day", "days"),
    "w": ("w", "week", "weeks"),
    "mo": ("mo", "mth", "mths", "month", "months"),
    "y": ("y", "yr", "yrs", "year", "years"),
}.items():
    for _name in _names:
        _UNITS[_name] = _unit


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def parse_adjustment(text: str) -> timedelta | Callable[[datetime], datetime] | None:
    match = _ADJUST.match(text)
    if not match:
        return None
    unit = _UNITS.get(match.group("unit").lower())
    if unit is None:
        return None
    amount = float(match.group("n")) * (-1 if match.group("sign") == "-" else 1)
    if unit in ("mo", "y"):
        months = int(amount * (12 if unit == "y" else 1))
        return lambda moment: _add_months(moment, months)
    seconds = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return timedelta(seconds=amount * seconds)


def resolve(value: Any, context: FilterContext) -> Any:
    """Replace a variable by its value; anything else is returned unchanged."""
    if not isinstance(value, str) or not value.startswith("$"):
        return value
    if value in context.records:
        return context.records[value]
    if value == "$CURRENT_USER":
        return context.user
    if value == "$CURRENT_ROLES":
        return list(context.roles)
    if value == "$CURRENT_ROLE":
        return context.role
    if value == "$CURRENT_POLICIES":
        return list(context.policies)
    match = _NOW.match(value)
    if match and context.now is not None:
        adjustment = match.group("adj")
        if not adjustment:
            return context.now
        delta = parse_adjustment(adjustment)
        if delta is None:
            return value
        return context.now + delta if isinstance(delta, timedelta) else delta(context.now)
    return value
