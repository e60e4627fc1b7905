"""Hashing is bounded: past its queue, a login is refused with 503 and Retry-After, and the
event loop keeps answering other requests while hashes run."""

from __future__ import annotations

import asyncio

import pytest

from authgate.config.settings import HashSettings
from authgate.errors import AuthError, Code
from authgate.passwords import PasswordHasher, hash_concurrency

SLOW = HashSettings(
    memory_cost=16 * 1024, time_cost=2, parallelism=1, max_concurrency=1, queue_size=1
)


def test_overflow_is_service_unavailable_with_retry_after() -> None:
    hasher = PasswordHasher(SLOW)

    async def flood() -> list[object]:
        return await asyncio.gather(*(hasher.hash("pw") for _ in range(4)), return_exceptions=True)

    try:
        results = asyncio.run(flood())
    finally:
        hasher.close()

    refused = [r for r in results if isinstance(r, AuthError)]
    done = [r for r in results if isinstance(r, str)]
    assert len(done) == 2  # one running, one queued
    assert len(refused) == 2
    assert all(
        e.code == Code.SERVICE_UNAVAILABLE and e.headers["Retry-After"] == "1" for e in refused
    )


def test_the_loop_keeps_running_while_hashing() -> None:
    hasher = PasswordHasher(SLOW)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def scenario() -> None:
        ticker = asyncio.create_task(tick())
        await hasher.hash("pw")
        ticker.cancel()

    try:
        asyncio.run(scenario())
    finally:
        hasher.close()

    assert ticks > 100


@pytest.mark.parametrize(
    ("cores", "processes", "budget_mb", "memory_kib", "expected"),
    [
        (2, 1, 256, 65536, 2),
        (8, 1, 256, 65536, 4),
        (1, 1, 256, 65536, 1),
        (4, 1, 32, 65536, 1),
        (8, 2, 256, 65536, 2),
        (2, 4, 256, 65536, 1),
    ],
)
def test_concurrency_comes_from_cores_and_the_memory_budget(
    cores: int, processes: int, budget_mb: int, memory_kib: int, expected: int
) -> None:
    config = HashSettings(memory_cost=memory_kib, memory_budget=budget_mb << 20)

    assert hash_concurrency(config, cores, processes) == expected
