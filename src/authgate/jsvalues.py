"""JSON values as Directus's JavaScript sees them, where its answers depend on it: what is
"given" (truthy), and the text a value becomes when interpolated (``String(value)``)."""

from __future__ import annotations

from typing import Any


def truthy(value: Any) -> bool:
    """JavaScript truthiness: ``null``, ``false``, ``0``, ``NaN`` and ``""`` are falsy; every
    array and object (even empty) is truthy."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    if isinstance(value, int | float):
        return bool(value == value and value != 0)
    return bool(value != "")


def string(value: Any) -> str:
    """``String(value)``: arrays joined with commas (``null`` items empty), objects
    ``[object Object]``, whole floats without ``.0``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if item is None else string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
