"""ratelimit/limiter.py and ratelimit/store.py: fixed windows, the 429 error, window edges."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from authgate.errors import AuthError, Code
from authgate.ratelimit.limiter import Limiter, requests_exceeded, short_duration
from authgate.ratelimit.store import MemoryStore

T = TypeVar("T")
T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=1)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def limiter(points: int = 2, store: MemoryStore | None = None, prefix: str = "ip") -> Limiter:
    return Limiter(store or MemoryStore(), prefix, points, WINDOW)


def hit_at(limit: Limiter, key: str, *offsets_ms: int) -> None:
    async def hits() -> None:
        for offset in offsets_ms:
            await limit.consume(key, now=T0 + timedelta(milliseconds=offset))

    run(hits())


def exceeded(limit: Limiter, key: str, *offsets_ms: int) -> AuthError:
    with pytest.raises(AuthError) as caught:
        hit_at(limit, key, *offsets_ms)
    return caught.value


class TestShortDuration:
    @pytest.mark.parametrize(
        ("ms", "text"),
        [
            (1000, "1s"),
            (58000, "58s"),
            (60000, "1m"),
            (500, "500ms"),
            (0, "0ms"),
            (999, "999ms"),
            (1499, "1s"),
            (1500, "2s"),
            (2500, "3s"),
            (59999, "60s"),
            (90000, "2m"),
            (3_600_000, "1h"),
            (86_400_000, "1d"),
            (7 * 86_400_000, "7d"),
        ],
    )
    def test_matches_the_ms_library_short_format(self, ms: float, text: str) -> None:
        assert short_duration(ms) == text


class TestRequestsExceeded:
    def test_is_a_429_requests_exceeded(self) -> None:
        error = requests_exceeded(50, 1000, T0)

        assert (error.code, error.status) == (Code.REQUESTS_EXCEEDED, 429)

    def test_message_names_the_wait(self) -> None:
        assert requests_exceeded(50, 58_000, T0).message == "Too many requests, retry after 58s."

    def test_extensions_carry_the_limit_and_the_reset_instant(self) -> None:
        error = requests_exceeded(50, 1000, T0)

        assert dict(error.extensions) == {"limit": 50, "reset": "2026-11-28T12:00:01.000Z"}

    def test_reset_keeps_milliseconds(self) -> None:
        now = T0 + timedelta(microseconds=123_456)

        assert requests_exceeded(5, 250, now).extensions["reset"] == "2026-11-28T12:00:00.373Z"

    @pytest.mark.parametrize(
        ("retry_ms", "header"), [(1000, "1"), (1499, "1"), (1500, "2"), (400, "0"), (60_000, "60")]
    )
    def test_retry_after_is_the_wait_rounded_to_seconds(self, retry_ms: float, header: str) -> None:
        assert dict(requests_exceeded(50, retry_ms, T0).headers) == {"Retry-After": header}


class TestLimiterWindow:
    def test_hits_up_to_the_limit_pass(self) -> None:
        limit = limiter(points=2)

        hit_at(limit, "192.0.2.1", 0, 100)

    def test_the_hit_past_the_limit_is_refused(self) -> None:
        limit = limiter(points=2)

        error = exceeded(limit, "192.0.2.1", 0, 100, 250)

        assert (error.code, error.extensions["limit"]) == (Code.REQUESTS_EXCEEDED, 2)

    def test_the_refusal_says_how_long_is_left_in_the_window(self) -> None:
        limit = limiter(points=2)

        error = exceeded(limit, "192.0.2.1", 0, 100, 250)

        assert error.message == "Too many requests, retry after 750ms."
        assert dict(error.headers) == {"Retry-After": "1"}
        assert error.extensions["reset"] == "2026-11-28T12:00:01.000Z"

    def test_the_last_millisecond_of_the_window_is_still_counted(self) -> None:
        limit = limiter(points=2)

        error = exceeded(limit, "192.0.2.1", 0, 0, 999)

        assert error.message == "Too many requests, retry after 1ms."

    def test_the_first_hit_after_the_window_starts_a_new_count(self) -> None:
        limit = limiter(points=2)
        exceeded(limit, "192.0.2.1", 0, 0, 0)

        hit_at(limit, "192.0.2.1", 1000, 1001)

    def test_the_new_window_is_limited_again(self) -> None:
        limit = limiter(points=2)
        hit_at(limit, "192.0.2.1", 0, 0)

        error = exceeded(limit, "192.0.2.1", 1000, 1500, 1999)

        assert error.extensions["reset"] == "2026-11-28T12:00:02.000Z"

    def test_refused_hits_do_not_extend_the_window(self) -> None:
        limit = limiter(points=1)
        for offset in (0, 300, 600, 900):
            with contextlib.suppress(AuthError):
                hit_at(limit, "192.0.2.1", offset)

        hit_at(limit, "192.0.2.1", 1000)

    def test_keys_are_counted_separately(self) -> None:
        limit = limiter(points=1)
        hit_at(limit, "192.0.2.1", 0)

        hit_at(limit, "192.0.2.2", 0)

    def test_limiters_with_other_prefixes_do_not_share_counts(self) -> None:
        store = MemoryStore()
        hit_at(limiter(points=1, store=store, prefix="ip"), "192.0.2.1", 0)

        hit_at(limiter(points=1, store=store, prefix="register"), "192.0.2.1", 0)


class TestMemoryStore:
    def test_a_counter_lives_for_its_window(self) -> None:
        store = MemoryStore()

        async def scenario() -> tuple[int, int]:
            await store.hit("k", window=WINDOW, now=T0)
            await store.hit("k", window=WINDOW, now=T0)
            inside = await store.count("k", now=T0 + timedelta(milliseconds=999))
            after = await store.count("k", now=T0 + WINDOW)
            return inside, after

        assert run(scenario()) == (2, 0)

    def test_a_counter_without_a_window_never_expires(self) -> None:
        store = MemoryStore()

        async def scenario() -> int:
            await store.hit("k", window=None, now=T0)
            return await store.count("k", now=T0 + timedelta(days=3650))

        assert run(scenario()) == 1

    def test_reset_forgets_a_counter(self) -> None:
        store = MemoryStore()

        async def scenario() -> int:
            await store.hit("k", window=WINDOW, now=T0)
            await store.reset("k")
            return (await store.hit("k", window=WINDOW, now=T0)).count

        assert run(scenario()) == 1

    def test_a_claim_is_granted_once_until_it_expires(self) -> None:
        store = MemoryStore()
        ttl = timedelta(seconds=30)

        async def scenario() -> tuple[bool, bool, bool]:
            first = await store.claim("otp:user:step", ttl=ttl, now=T0)
            again = await store.claim("otp:user:step", ttl=ttl, now=T0 + timedelta(seconds=29))
            later = await store.claim("otp:user:step", ttl=ttl, now=T0 + ttl)
            return first, again, later

        assert run(scenario()) == (True, False, True)
