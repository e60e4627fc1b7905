"""Collections and fields as the API sees them (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal[
    "string",
    "text",
    "integer",
    "bigInteger",
    "float",
    "decimal",
    "boolean",
    "timestamp",
    "dateTime",
    "date",
    "time",
    "json",
    "csv",
    "uuid",
    "hash",
    "alias",
]

CONCEALED = "**********"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    nullable: bool = True
    max_length: int | None = None
    primary_key: bool = False
    specials: frozenset[str] = frozenset()
    # For o2m/m2m aliases: the table that points back, and the column that points at us.
    alias_of: tuple[str, str] | None = None

    @property
    def is_alias(self) -> bool:
        return self.type == "alias"

    @property
    def concealed(self) -> bool:
        return "conceal" in self.specials


@dataclass(frozen=True)
class Collection:
    name: str
    fields: tuple[Field, ...]
    primary_key: str = "id"
    singleton: bool = False
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    @property
    def columns(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.is_alias)
