"""Database values -> API values, for top-level columns and for the JSON the database built
for related items (where booleans may be 0/1 and instants plain text)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from authgate.clock import iso_utc
from authgate.query.tree import Node
from authgate.schema.model import CONCEALED, Field


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            return None
    return None


def decode_value(described: Field, value: Any) -> Any:  # noqa: C901 - one table of types
    if value is None:
        return None
    if described.concealed:
        return CONCEALED
    kind = described.type
    if kind == "timestamp":
        moment = _instant(value)
        if moment is None:
            return value
        return iso_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if kind == "dateTime":
        moment = _instant(value)
        return moment.replace(tzinfo=None).isoformat(timespec="seconds") if moment else value
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if kind == "time":
        return value.isoformat(timespec="seconds") if isinstance(value, time) else str(value)
    if kind == "boolean":
        return bool(value) if isinstance(value, int | bool) else value in ("true", "1")
    if kind == "csv":
        return [part for part in str(value).split(",") if part != ""]
    if kind == "json":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    if kind == "decimal":
        return str(value) if isinstance(value, Decimal | float | int) else value
    if isinstance(value, datetime):
        return iso_utc(value)
    return value


def decode_row(node: Node, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, described in node.scalars:
        out[name] = decode_value(described, row.get(name))
    for link in node.relations:
        value = row.get(link.name)
        if isinstance(value, str) and (link.child is not None or link.kind == "o2m"):
            value = json.loads(value)
        if link.kind == "o2m":
            items: Sequence[Any] = value or []
            if link.child is None:
                out[link.name] = list(items)
            else:
                out[link.name] = [decode_row(link.child, item) for item in items]
        elif value is None or link.child is None:
            out[link.name] = decode_value(link.field, value) if link.child is None else None
        else:
            out[link.name] = decode_row(link.child, value)
    return {name: out[name] for name in node.order if name in out} if node.order else out
