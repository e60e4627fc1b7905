"""Compare two normalised responses aspect by aspect: status, each header, each cookie
attribute, each JSON path. One ``Difference`` per aspect that differs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ABSENT = "<absent>"


@dataclass(frozen=True)
class Difference:
    case: str
    aspect: str  # "status", "header:content-type", "cookie:NAME.max-age", "body.data[0].email"
    authgate: str
    directus: str


def _leaf(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class _Missing:
    pass


MISSING = _Missing()


def walk(a: Any, b: Any, path: str, out: list[tuple[str, str, str]]) -> None:
    """Every place under ``path`` where ``a`` and ``b`` differ. A key or item that only one
    side has is one difference (its whole value), not one per leaf beneath it."""
    if isinstance(a, _Missing) or isinstance(b, _Missing):
        out.append((path, _text(a), _text(b)))
    elif isinstance(a, dict) and isinstance(b, dict) and (a or b):
        for key in sorted(a.keys() | b.keys()):
            walk(a.get(key, MISSING), b.get(key, MISSING), f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and (a or b):
        for index in range(max(len(a), len(b))):
            left = a[index] if index < len(a) else MISSING
            right = b[index] if index < len(b) else MISSING
            walk(left, right, f"{path}[{index}]", out)
    elif _leaf(a) != _leaf(b):
        out.append((path, _leaf(a), _leaf(b)))


def _text(value: Any) -> str:
    return ABSENT if isinstance(value, _Missing) else _leaf(value)


def compare(case: str, authgate: dict[str, Any], directus: dict[str, Any]) -> list[Difference]:
    found: list[tuple[str, str, str]] = []
    for key in sorted(authgate.keys() | directus.keys(), key=_order):
        walk(authgate.get(key, MISSING), directus.get(key, MISSING), key, found)
    return [Difference(case, aspect, a, b) for aspect, a, b in found]


def _order(aspect: str) -> tuple[int, str]:
    rank = 0 if aspect == "status" else 1 if aspect.startswith("header:") else 2
    if aspect.startswith("body"):
        rank = 3
    return (rank, aspect)
