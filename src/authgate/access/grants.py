"""What permission rows allow on one collection and action (pure).

Rows are grouped by identical item rule; each group ("case") grants the union of its rows'
fields on the rows its rule matches. A field granted by a rule-less case is readable on every
visible row; a field granted only by some cases is readable only on the rows those cases match
(elsewhere it reads as null). Validations are ANDed across rows; presets merge, later rows win.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from authgate.errors import AuthError, forbidden


@dataclass(frozen=True)
class PermissionRow:
    collection: str
    action: str
    permissions: Mapping[str, Any] | None
    validation: Mapping[str, Any] | None
    presets: Mapping[str, Any] | None
    fields: tuple[str, ...]
    policy: str | None = None
    id: int | None = None
    system: bool = False


@dataclass(frozen=True)
class Case:
    rule: Mapping[str, Any] | None  # None: every row
    fields: frozenset[str]  # "*" for all

    def grants(self, name: str) -> bool:
        return "*" in self.fields or name in self.fields


@dataclass(frozen=True)
class Grant:
    collection: str
    cases: tuple[Case, ...]
    presets: Mapping[str, Any] = field(default_factory=dict)
    validations: tuple[Mapping[str, Any], ...] = ()

    def allows_field(self, name: str) -> bool:
        return any(case.grants(name) for case in self.cases)

    @property
    def all_fields(self) -> bool:
        return any("*" in case.fields for case in self.cases)

    def allowed_fields(self, available: Iterable[str]) -> list[str]:
        return [name for name in available if self.allows_field(name)]

    def unrestricted_for(self, name: str) -> bool:
        """Whether ``name`` is readable on every row the grant shows."""
        return any(case.rule is None and case.grants(name) for case in self.cases)

    def rules_for(self, name: str) -> list[Mapping[str, Any]]:
        """The item rules under which ``name`` is granted (when not unrestricted)."""
        return [case.rule for case in self.cases if case.rule is not None and case.grants(name)]

    def row_rule(self, requested: Sequence[str] | None = None) -> Mapping[str, Any] | None:
        """The item rule of the visible rows: the OR of the cases that grant at least one of
        the requested fields (all cases when ``requested`` is None); ``None`` = every row."""
        relevant = [
            case
            for case in self.cases
            if requested is None or "*" in case.fields or any(case.grants(n) for n in requested)
        ]
        if not relevant:
            relevant = list(self.cases)
        if any(case.rule is None for case in relevant):
            return None
        rules = [case.rule for case in relevant if case.rule is not None]
        return rules[0] if len(rules) == 1 else {"_or": rules}


def collection_forbidden(collection: str, path: str | None = None) -> AuthError:
    where = "root" if not path else f'"{path}"'
    return forbidden(
        f'You don\'t have permission to access collection "{collection}" or it does not '
        f"exist. Queried in {where}."
    )


def fields_forbidden(names: Sequence[str], collection: str, path: str | None = None) -> AuthError:
    where = "root" if not path else f'"{path}"'
    if len(names) == 1:
        return forbidden(
            f'You don\'t have permission to access field "{names[0]}" in collection '
            f'"{collection}" or it does not exist. Queried in {where}.'
        )
    listed = ", ".join(f'"{name}"' for name in names)
    return forbidden(
        f"You don't have permission to access fields {listed} in collection "
        f'"{collection}" or they do not exist. Queried in {where}.'
    )


def grant_of(rows: Sequence[PermissionRow], collection: str, path: str | None = None) -> Grant:
    """Raises ``FORBIDDEN`` (collection message) when there is no row at all."""
    if not rows:
        raise collection_forbidden(collection, path)
    grouped: dict[str, tuple[Mapping[str, Any] | None, set[str]]] = {}
    presets: dict[str, Any] = {}
    validations: list[Mapping[str, Any]] = []
    for row in rows:
        rule = row.permissions or None
        key = json.dumps(rule, sort_keys=True, default=str)
        grouped.setdefault(key, (rule, set()))[1].update(row.fields)
        if row.presets:
            presets.update(row.presets)
        if row.validation:
            validations.append(row.validation)
    cases = tuple(Case(rule, frozenset(names)) for rule, names in grouped.values())
    return Grant(collection, cases, presets, tuple(validations))
