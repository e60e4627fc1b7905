"""Time as a dependency: services read ``clock.now()`` once per operation and pass it down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for stalls and durations)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def to_epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def iso_utc(moment: datetime) -> str:
    """``2026-11-28T05:18:48.000Z``: how Directus writes instants (UTC, milliseconds)."""
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


async def stalled(clock: Clock, stall: timedelta, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` and answer no sooner than ``stall`` after the start, success or failure."""
    started = clock.monotonic()
    try:
        return await work()
    finally:
        left = stall.total_seconds() - (clock.monotonic() - started)
        if left > 0:
            await asyncio.sleep(left)
