"""Query parameters in, a validated ``Query`` out (Directus's sanitizeQuery, pure).

Parameters arrive ``qs``-style: ``filter[status][_eq]=active``, ``fields[]=id``, or as JSON text
(``filter={"status":{"_eq":"active"}}``). Errors are ``INVALID_QUERY`` with Directus's reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.errors import invalid_query

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_MAX_DEPTH = 10
_ARRAY_LIMIT = 500


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...] = ("*",)
    filter: Mapping[str, Any] | None = None
    search: str | None = None
    sort: tuple[str, ...] | None = None
    limit: int | None = None  # None: the configured default; -1: no limit
    offset: int | None = None
    page: int | None = None
    meta: tuple[str, ...] = ()
    aggregate: Mapping[str, Any] | None = None
    group_by: tuple[str, ...] | None = None
    deep: Mapping[str, Any] | None = None
    alias: Mapping[str, str] | None = None


def parse_qs_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``a[b][c]=v`` pairs into objects and ``a[]=v`` into lists, like ``qs``."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            root[raw_key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        if len(path) > _MAX_DEPTH + 1:
            path = path[: _MAX_DEPTH + 1]
        _assign(root, path, value)
    return {key: _listify(value) for key, value in root.items()}


def _assign(node: dict[str, Any], path: list[str], value: str) -> None:
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if last:
            if part == "":
                node.setdefault("", []).append(value)
            elif part in node and not isinstance(node[part], dict):
                existing = node[part]
                node[part] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                node[part] = value
            return
        if part == "":
            part = str(len(node))
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if set(value) == {""}:
        return value[""][:_ARRAY_LIMIT]
    if value and all(k.isdigit() for k in value) and len(value) <= _ARRAY_LIMIT:
        return [_listify(value[k]) for k in sorted(value, key=int)]
    return {k: _listify(v) for k, v in value.items()}


def _as_object(name: str, value: Any) -> Mapping[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid_query(f'"{name}" is not valid JSON') from None
    if not isinstance(value, dict):
        raise invalid_query(f'"{name}" has to be an object')
    return value


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        items: list[str] = []
        for item in value:
            items += _as_list(item)
        return tuple(items)
    if isinstance(value, str):
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return tuple(str(v).strip() for v in parsed if str(v).strip())
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return ()


def _as_int(name: str, value: Any, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise invalid_query(f'"{name}" has to be an integer of at least {minimum}')
    return number


def parse_query(params: Mapping[str, Any], *, limit_max: int | None = None) -> Query:
    """Build a ``Query`` from nested parameters (see ``parse_qs_pairs``)."""
    meta = _as_list(params.get("meta"))
    for item in meta:
        if item not in ("total_count", "filter_count", "*"):
            raise invalid_query(f'"meta" can only hold total_count and filter_count, not "{item}"')
    if "*" in meta:
        meta = ("total_count", "filter_count")
    limit = _as_int("limit", params.get("limit"), minimum=-1)
    if limit is not None and limit_max is not None and (limit == -1 or limit > limit_max):
        raise invalid_query(f'"limit" can not be greater than {limit_max}')
    search = params.get("search")
    if search is not None and not isinstance(search, str):
        raise invalid_query('"search" has to be a string')
    alias = _as_object("alias", params.get("alias"))
    if alias is not None and not all(isinstance(v, str) for v in alias.values()):
        raise invalid_query('"alias" values have to be field names')
    fields = _as_list(params.get("fields")) or ("*",)
    return Query(
        fields=fields,
        filter=_as_object("filter", params.get("filter")),
        search=search.strip() if isinstance(search, str) and search.strip() else None,
        sort=_as_list(params.get("sort")) or None,
        limit=limit,
        offset=_as_int("offset", params.get("offset"), minimum=0),
        page=_as_int("page", params.get("page"), minimum=0),
        meta=meta,
        aggregate=_as_object("aggregate", params.get("aggregate")),
        group_by=_as_list(params.get("groupBy")) or None,
        deep=_as_object("deep", params.get("deep")),
        alias=alias,
    )
