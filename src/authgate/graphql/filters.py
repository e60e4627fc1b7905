"""Filter input types: one operator type per kind of field, offering exactly the operators the
query engine accepts for that kind (``query/filter.py``), and one ``<collection>_filter`` per
readable collection, with ``_and``/``_or``, related collections' filters on many-to-one fields
and ``_some``/``_none`` on one-to-many fields, as Directus generates them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLString,
)

from authgate.graphql.scalars import GraphQLBigInt, GraphQLStringOrFloat
from authgate.query.filter import OPERATORS_BY_TYPE
from authgate.schema.model import Field

_FLAGS = frozenset({"_null", "_nnull", "_empty", "_nempty"})
_LISTS = frozenset({"_in", "_nin", "_between", "_nbetween"})
# Directus's order of operators in its operator types (the rest follow, sorted).
_ORDER = (
    "_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_contains", "_icontains", "_ncontains",
    "_starts_with", "_nstarts_with", "_istarts_with", "_nistarts_with", "_ends_with",
    "_nends_with", "_iends_with", "_niends_with", "_in", "_nin", "_between", "_nbetween",
    "_null", "_nnull", "_empty", "_nempty",
)  # fmt: skip


def _operators(name: str, kind: str, operand: GraphQLInputType) -> GraphQLInputObjectType:
    allowed = OPERATORS_BY_TYPE[kind]
    ordered = [op for op in _ORDER if op in allowed] + sorted(allowed - set(_ORDER))
    fields: dict[str, GraphQLInputField] = {}
    for op in ordered:
        if op in _FLAGS:
            fields[op] = GraphQLInputField(GraphQLBoolean)
        elif op in _LISTS:
            element = GraphQLStringOrFloat if op.endswith("between") else operand
            fields[op] = GraphQLInputField(GraphQLList(element))
        else:
            fields[op] = GraphQLInputField(operand)
    return GraphQLInputObjectType(name, fields)


# Shared by every schema: they depend on the query engine only.
STRING_OPERATORS = _operators("string_filter_operators", "string", GraphQLString)
ID_OPERATORS = _operators("id_filter_operators", "uuid", GraphQLID)
BOOLEAN_OPERATORS = _operators("boolean_filter_operators", "boolean", GraphQLBoolean)
NUMBER_OPERATORS = _operators("number_filter_operators", "integer", GraphQLStringOrFloat)
BIG_INT_OPERATORS = _operators("big_int_filter_operators", "bigInteger", GraphQLBigInt)
DATE_OPERATORS = _operators("date_filter_operators", "timestamp", GraphQLString)
JSON_OPERATORS = _operators("json_filter_operators", "json", GraphQLString)
HASH_OPERATORS = _operators("hash_filter_operators", "hash", GraphQLString)

_BY_TYPE: Mapping[str, GraphQLInputObjectType] = {
    "string": STRING_OPERATORS,
    "text": STRING_OPERATORS,
    "csv": STRING_OPERATORS,
    "uuid": ID_OPERATORS,
    "boolean": BOOLEAN_OPERATORS,
    "integer": NUMBER_OPERATORS,
    "float": NUMBER_OPERATORS,
    "decimal": NUMBER_OPERATORS,
    "bigInteger": BIG_INT_OPERATORS,
    "timestamp": DATE_OPERATORS,
    "dateTime": DATE_OPERATORS,
    "date": DATE_OPERATORS,
    "time": DATE_OPERATORS,
    "json": JSON_OPERATORS,
    "hash": HASH_OPERATORS,
}
OPERATOR_TYPES = tuple(dict.fromkeys(_BY_TYPE.values()))


def operators_for(described: Field) -> GraphQLInputObjectType | None:
    if described.concealed:
        return HASH_OPERATORS
    return _BY_TYPE.get(described.type)


# (field name -> the collection its relation leads to, and whether it lists many)
Relations = Mapping[str, tuple[str, bool]]


def collection_filters(
    name: str,
    fields: list[Field],
    relations: Relations,
    lookup: Callable[[str], tuple[GraphQLInputObjectType, GraphQLInputObjectType] | None],
) -> tuple[GraphQLInputObjectType, GraphQLInputObjectType]:
    """``<name>_filter`` and ``<name>_quantifier_filter`` (the same, plus ``_some``/``_none``);
    ``lookup`` finds another collection's pair (fields are built lazily: filters refer to each
    other in cycles)."""

    def own_fields() -> dict[str, GraphQLInputField]:
        built: dict[str, GraphQLInputField] = {}
        for described in fields:
            target = relations.get(described.name)
            if target is not None:
                pair = lookup(target[0])
                if pair is not None:
                    built[described.name] = GraphQLInputField(pair[1] if target[1] else pair[0])
                    continue
            operators = operators_for(described)
            if operators is not None and not described.is_alias:
                built[described.name] = GraphQLInputField(operators)
        built["_and"] = GraphQLInputField(GraphQLList(plain))
        built["_or"] = GraphQLInputField(GraphQLList(plain))
        return built

    def quantified_fields() -> dict[str, GraphQLInputField]:
        return {
            **own_fields(),
            "_some": GraphQLInputField(plain),
            "_none": GraphQLInputField(plain),
        }

    plain = GraphQLInputObjectType(f"{name}_filter", own_fields)
    quantified = GraphQLInputObjectType(f"{name}_quantifier_filter", quantified_fields)
    return plain, quantified


__all__ = ["OPERATOR_TYPES", "Relations", "collection_filters", "operators_for"]
