"""The user as the authentication code sees it (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_PROVIDER = "default"


class Status(StrEnum):
    DRAFT = "draft"
    INVITED = "invited"
    UNVERIFIED = "unverified"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class User:
    id: str
    email: str | None
    password: str | None  # an argon2 PHC string, or None
    status: str
    role: str | None
    tfa_secret: str | None  # sealed at rest (see crypto.Keys.encrypt)
    provider: str
    external_identifier: str | None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE
