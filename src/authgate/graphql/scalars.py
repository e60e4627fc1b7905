"""The custom scalars of Directus's GraphQL schemas (same names, same wire forms)."""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    FloatValueNode,
    GraphQLError,
    GraphQLScalarType,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)


def _big_int_out(value: Any) -> str:
    # JavaScript numbers lose precision past 2^53: Directus sends big integers as strings
    # (``expires`` of ``auth_tokens`` too, "900000").
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise GraphQLError(f"BigInt cannot represent {value!r}")
    return str(int(value))


def _big_int_in(value: Any) -> int:
    if isinstance(value, bool):
        raise GraphQLError("BigInt cannot represent a boolean")
    try:
        return int(str(value))
    except ValueError:
        raise GraphQLError(f"BigInt cannot represent {value!r}") from None


def _big_int_literal(node: ValueNode, _variables: Any = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return _big_int_in(node.value)
    raise GraphQLError("BigInt needs an integer or a string of digits")


GraphQLBigInt = GraphQLScalarType(
    "GraphQLBigInt",
    serialize=_big_int_out,
    parse_value=_big_int_in,
    parse_literal=_big_int_literal,
    description="An integer of any size, sent as a string.",
)


def _json_literal(node: ValueNode, variables: Any = None) -> Any:
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, StringValueNode | BooleanValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return float(node.value)
    if isinstance(node, ListValueNode):
        return [_json_literal(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _json_literal(f.value, variables) for f in node.fields}
    if variables is not None and hasattr(node, "name"):
        return variables.get(node.name.value)
    raise GraphQLError("JSON cannot represent this value")


GraphQLJSON = GraphQLScalarType(
    "JSON",
    serialize=lambda value: value,
    parse_value=lambda value: value,
    parse_literal=_json_literal,
    description="Any JSON value.",
)


def _string_out(name: str) -> Any:
    def serialize(value: Any) -> str:
        if isinstance(value, str):
            return value
        raise GraphQLError(f"{name} cannot represent {value!r}")

    return serialize


def _string_in(name: str) -> Any:
    def parse(value: Any) -> str:
        if isinstance(value, str):
            return value
        raise GraphQLError(f"{name} needs a string")

    return parse


def _string_literal(name: str) -> Any:
    def parse(node: ValueNode, _variables: Any = None) -> str:
        if isinstance(node, StringValueNode):
            return node.value
        raise GraphQLError(f"{name} needs a string")

    return parse


def _string_scalar(name: str, description: str) -> GraphQLScalarType:
    return GraphQLScalarType(
        name,
        serialize=_string_out(name),
        parse_value=_string_in(name),
        parse_literal=_string_literal(name),
        description=description,
    )


GraphQLDate = _string_scalar("Date", "A date, a date-time or a timestamp, as ISO 8601 text.")
GraphQLHash = _string_scalar(
    "Hash", "A hashed value (passwords): written in clear, read concealed."
)


def _number_or_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphQLError(f"GraphQLStringOrFloat cannot represent {value!r}")
    return value


def _number_or_string_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return float(node.value)
    if isinstance(node, StringValueNode):
        return node.value
    raise GraphQLError("GraphQLStringOrFloat needs a number or a string")


# Numbers in filters may also be dynamic variables ("$NOW", "$CURRENT_USER"), as in Directus.
GraphQLStringOrFloat = GraphQLScalarType(
    "GraphQLStringOrFloat",
    serialize=_number_or_string,
    parse_value=_number_or_string,
    parse_literal=_number_or_string_literal,
    description="A number, or a string (dynamic variables such as $NOW).",
)


def _nothing(*_args: Any) -> None:
    return None


GraphQLVoid = GraphQLScalarType(
    "Void",
    serialize=_nothing,
    parse_value=_nothing,
    parse_literal=_nothing,
    description="Represents NULL values",
)
