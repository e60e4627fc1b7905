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


def flatten(value: Any, path: str, out: dict[str, str]) -> None:
    """Every leaf under ``path`` as ``path -> JSON text``; empty containers are leaves."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            flatten(value[key], f"{path}.{key}", out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            flatten(item, f"{path}[{index}]", out)
    else:
        out[path] = _leaf(value)


def compare(case: str, authgate: dict[str, Any], directus: dict[str, Any]) -> list[Difference]:
    ours = _aspects(authgate)
    theirs = _aspects(directus)
    diffs: list[Difference] = []
    for aspect in sorted(ours.keys() | theirs.keys(), key=_order):
        a = ours.get(aspect, ABSENT)
        b = theirs.get(aspect, ABSENT)
        if a != b:
            diffs.append(Difference(case, aspect, a, b))
    return diffs


def _aspects(normalised: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in normalised.items():
        if key.startswith(("cookie:", "body")):
            flatten(value, key, out)
        else:
            out[key] = _leaf(value)
    return out


def _order(aspect: str) -> tuple[int, str]:
    rank = 0 if aspect == "status" else 1 if aspect.startswith("header:") else 2
    if aspect.startswith("body"):
        rank = 3
    return (rank, aspect)
