"""Two-factor enforced by the API, for GraphQL (``access/enforcement.py`` has the rule).

A caller who must first enrol a second factor may run only the operations of
``/graphql/system`` that enrolment needs; every root field of the chosen operation (through
fragments too) must be one of them. Nothing of ``/graphql`` (the project's data) is open. A
document that does not parse, or whose operation cannot be chosen, is refused the same way:
nothing would have run anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from authgate.access.enforcement import OPEN_GRAPHQL_SYSTEM


def open_before_enrolment(scope: str, query: Any, operation_name: Any) -> bool:
    if scope != "system" or not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except (GraphQLError, RecursionError):
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if isinstance(operation_name, str):
        chosen = [o for o in operations if o.name is not None and o.name.value == operation_name]
    else:
        chosen = operations
    if len(chosen) != 1:
        return False
    names = _root_fields(chosen[0].selection_set, fragments, set())
    if names is None or not names <= OPEN_GRAPHQL_SYSTEM:
        return False
    # Below the root only scalars: ``users_me { role { users { email } } }`` would read other
    # rows with the caller's permissions, which enrolment does not need.
    return _leaves_below_root(chosen[0].selection_set, fragments, set())


def _leaves_below_root(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    """Each root field selects only scalars (without arguments) below it."""
    return _every_field(
        selections,
        fragments,
        seen,
        lambda field: (
            field.selection_set is None
            or _every_field(field.selection_set, fragments, set(), _is_plain_scalar)
        ),
    )


def _is_plain_scalar(field: FieldNode) -> bool:
    return field.selection_set is None and not field.arguments


def _every_field(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
    ok: Callable[[FieldNode], bool],
) -> bool:
    """``ok`` holds for every field of this level, through inline fragments and fragment
    spreads (an unknown or recursive spread fails)."""
    for node in selections.selections:
        if isinstance(node, FieldNode):
            if not ok(node):
                return False
        elif isinstance(node, InlineFragmentNode):
            if not _every_field(node.selection_set, fragments, seen, ok):
                return False
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen or name not in fragments:
                return False
            if not _every_field(fragments[name].selection_set, fragments, seen | {name}, ok):
                return False
    return True


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> set[str] | None:
    names: set[str] = set()
    for node in selections.selections:
        if isinstance(node, FieldNode):
            names.add(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            inner = _root_fields(node.selection_set, fragments, seen)
            if inner is None:
                return None
            names |= inner
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen or name not in fragments:
                return None
            inner = _root_fields(fragments[name].selection_set, fragments, seen | {name})
            if inner is None:
                return None
            names |= inner
    return names
