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
# Bounds that keep one request from costing the server more than any real query needs: the
# nesting of a JSON parameter, the conditions a filter may hold (SQLite refuses expressions
# nested past 1000 levels, and OR chains nest), the values all its lists may hold (every one is
# a bound parameter), and integers that fit the databases' 32-bit LIMIT/OFFSET.
MAX_JSON_DEPTH = 32
MAX_FILTER_CONDITIONS = 500
MAX_FILTER_VALUES = 10_000
MAX_INT = 2**31 - 1


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


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        # Directus's words: its filter says so; an alias that does not parse stays a string,
        # which is then not an object.
        if name == "filter":
            raise invalid_query("Invalid JSON for filter object") from None
        if name == "alias":
            raise invalid_query('"alias" has to be an object') from None
        raise invalid_query(f'"{name}" is not valid JSON') from None


def _as_object(name: str, value: Any) -> Mapping[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _json(name, value)
    if not isinstance(value, dict):
        raise invalid_query(f'"{name}" has to be an object')
    _check_depth(name, value)
    return value


def _check_depth(name: str, value: Any) -> None:
    """Refuses JSON nested deeper than ``MAX_JSON_DEPTH`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid_query(
                f'"{name}" is nested too deeply (more than {MAX_JSON_DEPTH} levels)'
            )
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


_LIST_OPERATORS = frozenset({"_in", "_nin", "_between", "_nbetween"})


def check_filter_size(spec: Mapping[str, Any]) -> None:
    """Refuses a filter with more than ``MAX_FILTER_CONDITIONS`` field conditions or more than
    ``MAX_FILTER_VALUES`` values in its lists."""
    _check_depth("filter", spec)
    conditions = values = 0
    stack: list[Any] = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            values += len(node)
            stack.extend(item for item in node if isinstance(item, dict | list))
            continue
        for key, child in node.items():
            if not str(key).startswith("_"):
                conditions += 1
            if isinstance(child, dict | list):
                stack.append(child)
    if conditions > MAX_FILTER_CONDITIONS:
        raise invalid_query(f'"filter" has more than {MAX_FILTER_CONDITIONS} conditions')
    if values > MAX_FILTER_VALUES:
        raise invalid_query(f'"filter" holds more than {MAX_FILTER_VALUES} values')


def check_filter_lists(spec: Mapping[str, Any] | list[Any]) -> None:
    """Directus checks the caller's filter before anything else (its fields, permissions):
    ``_in``, ``_nin``, ``_between``, ``_nbetween`` written with an empty list (or an object)
    are refused wherever they stand. A string (``"a,b"``, a variable) is checked once split
    or substituted, when the filter is compiled."""
    children = spec if isinstance(spec, list) else list(spec.items())
    for child in children:  # in the order written (the depth is bounded by _check_depth)
        key, value = child if isinstance(spec, dict) else (None, child)
        if key in _LIST_OPERATORS and (value == [] or isinstance(value, dict)):
            raise invalid_query(f'"{key}" has to be an array of values')
        if isinstance(value, dict | list):
            check_filter_lists(value)


def _check_deep(deep: Mapping[str, Any] | None) -> None:
    """``deep`` maps relational fields to objects of ``_filter``, ``_sort``, ``_limit``,
    ``_offset`` (and further relations)."""
    if deep is None:
        return
    stack: list[Mapping[str, Any]] = [deep]
    while stack:
        node = stack.pop()
        for key, value in node.items():
            if key == "_filter":
                if not isinstance(value, dict):
                    raise invalid_query('"deep._filter" has to be an object')
                check_filter_size(value)
            elif key in ("_limit", "_offset"):
                _as_int(f"deep.{key}", value, minimum=-1 if key == "_limit" else 0)
            elif not key.startswith("_"):
                if not isinstance(value, dict):
                    raise invalid_query(f'"deep.{key}" has to be an object')
                stack.append(value)


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
            except (ValueError, RecursionError):
                raise invalid_query(f'"{value[:20]}" is not valid JSON') from None
            if isinstance(parsed, list):
                if not all(isinstance(v, str | int) for v in parsed):
                    raise invalid_query("A list parameter can only hold names")
                return tuple(str(v).strip() for v in parsed if str(v).strip())
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return ()


_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
_JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_JS_PREFIXED = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")


def _js_number(value: Any) -> float:
    """JavaScript's ``Number()`` of a query value (a string, a list from ``a[]=1``, or a
    JSON number from a SEARCH body):
    trimmed, ``""`` is 0, ``1e2``/``0x10``/``Infinity`` are numbers, anything else NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        if not value:
            return 0.0
        if len(value) > 1 or isinstance(value[0], list | dict):
            return float("nan")
        value = value[0]
    if not isinstance(value, str):
        return float("nan")
    text = value.strip(_JS_SPACE)
    if text == "":
        return 0.0
    if text.lstrip("+-") == "Infinity":
        return float("-inf") if text.startswith("-") else float("inf")
    if _JS_DECIMAL.fullmatch(text):
        return float(text)
    prefixed = _JS_PREFIXED.fullmatch(text)
    if prefixed:
        try:
            return float(
                int(prefixed.group(2), {"x": 16, "o": 8, "b": 2}[prefixed.group(1).lower()])
            )
        except ValueError:
            pass
    return float("nan")


def _as_int(name: str, value: Any, *, minimum: int) -> int | None:
    """Directus: ``Number(value)`` then Joi's ``number().integer().min(minimum)``, with its
    messages in its order; authgate also bounds it at ``MAX_INT`` (the databases' LIMIT)."""
    if value is None:
        return None
    number = _js_number(value)
    if number != number:
        raise invalid_query(f'"{name}" must be a number')
    if number in (float("inf"), float("-inf")):
        raise invalid_query(f'"{name}" cannot be infinity')
    if not number.is_integer():
        raise invalid_query(f'"{name}" must be an integer')
    if number < minimum:
        raise invalid_query(f'"{name}" must be greater than or equal to {minimum}')
    if number > MAX_INT:
        raise invalid_query(f'"{name}" must be less than or equal to {MAX_INT}')
    return int(number)


def parse_query(params: Mapping[str, Any], *, limit_max: int | None = None) -> Query:
    """Build a ``Query`` from nested parameters (see ``parse_qs_pairs``)."""
    raw_meta = params.get("meta")
    # Directus: exactly "*" is every count; otherwise each item must name one (Joi's message).
    meta = ("total_count", "filter_count") if raw_meta == "*" else _as_list(raw_meta)
    for index, item in enumerate(meta):
        if item not in ("total_count", "filter_count"):
            raise invalid_query(f'"meta[{index}]" must be one of [total_count, filter_count]')
    limit = _as_int("limit", params.get("limit"), minimum=-1)
    if limit is not None and limit_max is not None and (limit == -1 or limit > limit_max):
        raise invalid_query(f'"limit" can not be greater than {limit_max}')
    search = params.get("search")
    if not isinstance(search, str):  # Directus ignores a search that is not one string
        search = None
    alias = _as_object("alias", params.get("alias"))
    if alias is not None and not all(isinstance(v, str) for v in alias.values()):
        raise invalid_query('"alias" values have to be field names')
    fields = _as_list(params.get("fields")) or ("*",)
    if len(fields) > _ARRAY_LIMIT:
        raise invalid_query(f'"fields" can not hold more than {_ARRAY_LIMIT} names')
    spec = _as_object("filter", params.get("filter"))
    if spec is not None:
        check_filter_size(spec)
        check_filter_lists(spec)
    deep = _as_object("deep", params.get("deep"))
    _check_deep(deep)
    aggregate = _as_object("aggregate", params.get("aggregate"))
    if aggregate is not None and not all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
        for v in aggregate.values()
    ):
        raise invalid_query('"aggregate" values have to be field names')
    return Query(
        fields=fields,
        filter=spec,
        search=search.strip() if isinstance(search, str) and search.strip() else None,
        sort=_as_list(params.get("sort")) or None,
        limit=limit,
        offset=_as_int("offset", params.get("offset"), minimum=0),
        page=_as_int("page", params.get("page"), minimum=0),
        meta=meta,
        aggregate=aggregate,
        group_by=_as_list(params.get("groupBy")) or None,
        deep=deep,
        alias=alias,
    )
