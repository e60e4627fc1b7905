"""Filter list operators written as strings in the query text, as Directus reads them.

Directus takes a ``filter`` argument's literals from the query document, not from the
coerced value: ``{_in: "a,b"}`` reaches its filter as the string ``"a,b"`` (which, as in REST,
is two values), where GraphQL's input coercion would make it the one-item list ``["a,b"]``.
Values given through variables are coerced by GraphQL (``["a,b"]``, one value) in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import FieldNode, ListValueNode, ObjectValueNode, StringValueNode, ValueNode

_LIST_OPERATORS = frozenset({"_in", "_nin", "_between", "_nbetween"})


def with_literal_filter(args: Mapping[str, Any], node: FieldNode) -> Mapping[str, Any]:
    """``args`` with its ``filter``'s list operators as written, when written as strings."""
    if args.get("filter") is None:
        return args
    written = next((arg.value for arg in node.arguments or () if arg.name.value == "filter"), None)
    if written is None:
        return args
    return {**args, "filter": _as_written(args["filter"], written)}


def _as_written(value: Any, node: ValueNode) -> Any:
    if isinstance(node, ObjectValueNode) and isinstance(value, Mapping):
        merged = dict(value)
        for field in node.fields:
            key = field.name.value
            if key not in merged:
                continue
            if key in _LIST_OPERATORS and isinstance(field.value, StringValueNode):
                merged[key] = field.value.value
            else:
                merged[key] = _as_written(merged[key], field.value)
        return merged
    same_length = isinstance(value, list) and len(value) == len(getattr(node, "values", ()))
    if isinstance(node, ListValueNode) and same_length:
        return [_as_written(item, part) for item, part in zip(value, node.values, strict=True)]
    return value
