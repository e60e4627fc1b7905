"""The counter-store seam, and the in-memory store for a single instance."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True)
class Hit:
    count: int
    expires_at: datetime | None  # None: the counter never expires


class CounterStore(Protocol):
    """Counters by key. Implementations: memory, Redis, database; one contract suite."""

    async def hit(self, key: str, *, window: timedelta | None, now: datetime) -> Hit:
        """Add one to ``key``; a new (or expired) counter starts at 1 and lives ``window``."""
        ...

    async def count(self, key: str, *, now: datetime) -> int: ...

    async def reset(self, key: str) -> None: ...

    async def claim(self, key: str, *, ttl: timedelta, now: datetime) -> bool:
        """True the first time ``key`` is claimed within ``ttl``; False while it is held."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """Per-process counters. Right for one instance; several instances need Redis or the DB."""

    _PURGE_EVERY = 4096

    def __init__(self) -> None:
        self._counters: dict[str, tuple[int, datetime | None]] = {}
        self._lock = asyncio.Lock()
        self._writes = 0

    def _live(self, key: str, now: datetime) -> tuple[int, datetime | None] | None:
        entry = self._counters.get(key)
        if entry is None:
            return None
        if entry[1] is not None and entry[1] <= now:
            del self._counters[key]
            return None
        return entry

    def _purge(self, now: datetime) -> None:
        self._writes += 1
        if self._writes % self._PURGE_EVERY == 0:
            expired = [
                k for k, (_, exp) in self._counters.items() if exp is not None and exp <= now
            ]
            for key in expired:
                del self._counters[key]

    async def hit(self, key: str, *, window: timedelta | None, now: datetime) -> Hit:
        entry = self._live(key, now)
        entry = (1, now + window if window else None) if entry is None else (entry[0] + 1, entry[1])
        self._counters[key] = entry
        self._purge(now)
        return Hit(entry[0], entry[1])

    async def count(self, key: str, *, now: datetime) -> int:
        entry = self._live(key, now)
        return entry[0] if entry else 0

    async def reset(self, key: str) -> None:
        self._counters.pop(key, None)

    async def claim(self, key: str, *, ttl: timedelta, now: datetime) -> bool:
        if self._live(key, now) is not None:
            return False
        self._counters[key] = (1, now + ttl)
        self._purge(now)
        return True

    async def close(self) -> None:
        self._counters.clear()
