"""argon2id hashing off the event loop, bounded, at background priority.

Hashing is the most expensive thing the server does (tens of milliseconds and 64 MiB each with
Directus's parameters). It runs on its own small pool of threads whose operating-system
priority is lowered, so a login flood slows logins down but leaves every other request its
CPU. Concurrency is bounded by cores and a memory budget; a bounded queue waits behind it, and
beyond that the caller gets ``SERVICE_UNAVAILABLE`` with ``Retry-After`` rather than an
unbounded backlog.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from authgate.config.settings import HashSettings
from authgate.errors import service_unavailable
from authgate.metrics import events

log = logging.getLogger("authgate.passwords")

_TYPES = {"argon2d": argon2.Type.D, "argon2i": argon2.Type.I, "argon2id": argon2.Type.ID}
# Nice value for hashing threads (and the lane threads libargon2 starts from them).
_BACKGROUND_NICE = 10


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _BACKGROUND_NICE)
    except (OSError, AttributeError):  # pragma: no cover - not Linux, or not permitted
        log.debug("could not lower the priority of a hashing thread")


def hash_concurrency(config: HashSettings, cores: int | None = None, processes: int = 1) -> int:
    """Hashes one process may run at once: its share of the cores and of the memory budget
    (``HASH_MEMORY_BUDGET`` is for the whole host, shared by ``WORKERS`` processes)."""
    if config.max_concurrency:
        return config.max_concurrency
    by_cores = max(1, (cores or os.cpu_count() or 1) // processes)
    by_memory = max(1, config.memory_budget // processes // (config.memory_cost * 1024))
    return max(1, min(by_cores, by_memory))


class PasswordHasher:
    """Hash, verify and rehash passwords; every call is a coroutine that never blocks the loop."""

    def __init__(
        self, config: HashSettings, *, cores: int | None = None, processes: int = 1
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=config.time_cost,
            memory_cost=config.memory_cost,
            parallelism=config.parallelism,
            hash_len=config.hash_length,
            salt_len=config.salt_length,
            type=_TYPES[config.type],
        )
        self.concurrency = hash_concurrency(config, cores, processes)
        self._executor = ThreadPoolExecutor(
            max_workers=self.concurrency,
            thread_name_prefix="authgate-hash",
            initializer=_lower_priority,
        )
        self._slots = asyncio.Semaphore(self.concurrency)
        self._capacity = self.concurrency + config.queue_size
        self._in_flight = 0
        # A hash of a random password with the live parameters: verifying against it costs
        # what a real verification costs, for users that do not exist (no timing oracle).
        self._dummy = self._hasher.hash(os.urandom(16).hex())

    async def _run(self, fn: object, *args: object) -> object:
        if self._in_flight >= self._capacity:
            events.count("hash_rejected", "queue_full")
            raise service_unavailable("authentication", "Too many logins at once", retry_after=1)
        self._in_flight += 1
        queued = time.perf_counter()
        events.add("hash_queue", 1)
        try:
            async with self._slots:
                events.add("hash_queue", -1)
                events.observe("hash_wait", time.perf_counter() - queued)
                queued = 0.0
                events.add("hash_active", 1)
                try:
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(self._executor, fn, *args)  # type: ignore[arg-type]
                finally:
                    events.add("hash_active", -1)
        finally:
            if queued:  # cancelled while waiting for a slot
                events.add("hash_queue", -1)
            self._in_flight -= 1

    async def hash(self, password: str) -> str:
        result = await self._run(self._hasher.hash, password)
        assert isinstance(result, str)
        return result

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``; a missing or malformed hash is a mismatch,
        after the same amount of work as a real verification."""
        if not stored or not stored.startswith("$argon2"):
            await self._run(self._check, self._dummy, password)
            return False
        result = await self._run(self._check, stored, password)
        return result is True

    async def burn(self, password: str) -> None:
        """Spend the time of one verification (for unknown users), and learn nothing."""
        await self._run(self._check, self._dummy, password)

    def _check(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
