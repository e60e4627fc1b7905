"""Counters in Redis, shared by every instance; keys carry a namespace prefix."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from authgate.errors import service_unavailable
from authgate.metrics import events
from authgate.ratelimit.store import Hit

log = logging.getLogger("authgate.ratelimit")

# INCR, then start the window on the first hit; answer the count and the milliseconds left.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


class RedisStore:
    def __init__(self, client: Redis, *, namespace: str) -> None:
        self._client = client
        self._prefix = f"{namespace}:counter:"
        self._hit = client.register_script(_HIT)

    async def hit(self, key: str, *, window: timedelta | None, now: datetime) -> Hit:
        window_ms = int(window.total_seconds() * 1000) if window else 0
        try:
            count, ttl_ms = await self._hit(keys=[self._prefix + key], args=[window_ms])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        expires = now + timedelta(milliseconds=int(ttl_ms)) if int(ttl_ms) > 0 else None
        return Hit(int(count), expires)

    async def count(self, key: str, *, now: datetime) -> int:
        try:
            value = await self._client.get(self._prefix + key)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return int(value) if value is not None else 0

    async def reset(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def claim(self, key: str, *, ttl: timedelta, now: datetime) -> bool:
        try:
            won = await self._client.set(
                self._prefix + key, 1, nx=True, px=int(ttl.total_seconds() * 1000)
            )
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return bool(won)

    async def close(self) -> None:
        return None  # the client belongs to the application, which closes it


def _unavailable(exc: Exception) -> Exception:
    log.error("redis unreachable: %s", exc.__class__.__name__)
    events.count("redis_error", exc.__class__.__name__)
    return service_unavailable("authentication", "Rate limiter unreachable", retry_after=1)


def redis_client(url: str, namespace: str) -> Redis:
    """The application's one Redis client. Its connections carry a name (``CLIENT LIST``
    shows which server they belong to).

    A pooled connection that Redis closed (a restart, a ``CLIENT KILL``, an idle timeout) is
    only found dead when a command is sent on it: that command is sent once more, at once, on
    a new connection, so the first request after a restart succeeds. Only a connection error
    is retried, never a timeout (the command may have run), and only once: a Redis that stays
    down still answers 503 straight away. ``from_url`` alone would retry nothing."""
    pool = _CountedPool.from_url(
        url,
        client_name=f"authgate:{namespace}",
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


class _CountedPool(ConnectionPool):
    """The pool, reporting how many of its connections are in use (``redis_connections``)."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        connection = await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        events.add("redis_connections", 1)
        return connection

    async def release(self, connection: Any) -> None:
        events.add("redis_connections", -1)
        await super().release(connection)
