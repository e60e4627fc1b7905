"""Collections, fields and relations as the API sees them (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]

CONCEALED = "**********"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    nullable: bool = True
    max_length: int | None = None
    primary_key: bool = False
    specials: frozenset[str] = frozenset()
    auto_increment: bool = False
    has_default: bool = False
    default: Any = None
    unique: bool = False
    precision: int | None = None
    scale: int | None = None
    # From directus_fields (user collections): the field's own rules and app metadata.
    validation: Mapping[str, Any] | None = None
    required: bool = False
    searchable: bool = True
    meta: Mapping[str, Any] | None = None

    @property
    def is_alias(self) -> bool:
        return self.type == "alias"

    @property
    def concealed(self) -> bool:
        return "conceal" in self.specials or self.type == "hash"

    @property
    def generated(self) -> bool:
        """Filled by the server when absent (ids, user/date stamps)."""
        return (
            self.auto_increment
            or bool(self.specials & {"uuid", "user-created", "date-created", "role-created"})
            or self.has_default
        )


@dataclass(frozen=True)
class Relation:
    """A foreign key ``many_collection.many_field`` -> ``one_collection``, and (when
    ``one_field`` is set) the o2m alias on the one side that lists the many rows."""

    many_collection: str
    many_field: str
    one_collection: str | None
    one_field: str | None = None
    junction_field: str | None = None
    sort_field: str | None = None
    one_deselect_action: str = "nullify"
    # For system aliases that share a junction column (policies.users / policies.roles).
    one_filter: Mapping[str, Any] | None = None
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Collection:
    name: str
    fields: tuple[Field, ...]
    primary_key: str = "id"
    singleton: bool = False
    system: bool = False
    sort_field: str | None = None
    accountability: str | None = "all"
    meta: Mapping[str, Any] | None = None
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    @property
    def columns(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.is_alias)

    @property
    def primary(self) -> Field:
        return self.by_name[self.primary_key]
