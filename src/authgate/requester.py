"""Where a request comes from: the origin types that ``users``, ``sessions`` and ``access``
share (pure). Who makes the request is ``access.model.Accountability``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as recorded on sessions and activity rows."""

    ip: str | None
    user_agent: str | None
    origin: str | None


# What the authenticator is handed with a token: the same three facts.
RequestOrigin: TypeAlias = Client
