"""Record paths in rules (``$CURRENT_USER.role.name``): which values of a rule are one (pure).
Reading their values needs the data model: ``items/variables.py``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Longest first: "$CURRENT_ROLES" must be tested before "$CURRENT_ROLE".
_ROOTS = ("$CURRENT_POLICIES", "$CURRENT_ROLES", "$CURRENT_ROLE", "$CURRENT_USER")


def record_path(value: Any) -> tuple[str, tuple[str, ...]] | None:
    """``("$CURRENT_USER", ("role", "name"))`` for ``"$CURRENT_USER.role.name"``; ``None``
    for anything that is not a record path."""
    if not isinstance(value, str) or not value.startswith("$CURRENT_"):
        return None
    for root in _ROOTS:
        if value.startswith(root + "."):
            return root, tuple(value[len(root) + 1 :].split("."))
    return None


def _leaves(tree: Any) -> Iterable[Any]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        else:
            yield node


def has_variables(tree: Any) -> bool:
    return any(isinstance(leaf, str) and leaf.startswith("$") for leaf in _leaves(tree))


def record_paths(tree: Any) -> frozenset[str]:
    """Every record path used as a value anywhere in ``tree``."""
    return frozenset(leaf for leaf in _leaves(tree) if record_path(leaf) is not None)
