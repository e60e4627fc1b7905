"""Fixed-window limits (``rate-limiter-flexible`` semantics) and their 429 error."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from authgate.clock import iso_utc
from authgate.errors import AuthError, Code
from authgate.ratelimit.store import CounterStore


def short_duration(ms: float) -> str:
    """``ms``-library short form: ``1s``, ``58s``, ``2m``, ``3h``, ``1d``, ``500ms``."""
    units = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))
    for suffix, size in units:
        if abs(ms) >= size:
            return f"{round_half_up(ms / size)}{suffix}"
    return f"{int(ms)}ms"


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def requests_exceeded(limit: int, retry_ms: float, now: datetime) -> AuthError:
    reset = now + timedelta(milliseconds=retry_ms)
    return AuthError(
        Code.REQUESTS_EXCEEDED,
        f"Too many requests, retry after {short_duration(retry_ms)}.",
        extensions={"limit": limit, "reset": iso_utc(reset)},
        headers={"Retry-After": str(round_half_up(retry_ms / 1000))},
    )


@dataclass(frozen=True)
class Limiter:
    """``points`` hits per ``duration`` for each key, under a key prefix."""

    store: CounterStore
    prefix: str
    points: int
    duration: timedelta

    async def consume(self, key: str, *, now: datetime) -> None:
        """Count one hit. Raises ``REQUESTS_EXCEEDED`` (429, ``Retry-After``) past the limit."""
        hit = await self.store.hit(f"{self.prefix}:{key}", window=self.duration, now=now)
        if hit.count > self.points:
            left = (hit.expires_at - now) if hit.expires_at else self.duration
            raise requests_exceeded(self.points, max(left.total_seconds() * 1000, 0.0), now)
