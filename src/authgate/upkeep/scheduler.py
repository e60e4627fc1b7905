"""The purge, run every ``PURGE_INTERVAL`` by every process; the lock (see ``purge.py``)
lets one of them do the work at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta

from authgate.clock import Clock
from authgate.config.operations import PurgeSettings
from authgate.errors import AuthError
from authgate.metrics import events
from authgate.storage.db import Database
from authgate.upkeep.purge import Purged, purge_batch

log = logging.getLogger("authgate.upkeep")

# A run goes on while a batch deletes a full batch of some store, up to this many batches:
# a backlog is worked off over a few runs rather than in one that holds the database.
_MAX_BATCHES = 100


class Purger:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: PurgeSettings,
        *,
        tombstone_retention: timedelta,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._tombstone_retention = tombstone_retention
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Purged:
        """Batches until nothing full is left; the rows deleted, summed."""
        total = Purged()
        for _ in range(_MAX_BATCHES):
            purged = await self._db.write(
                purge_batch,
                dialect=self._db.dialect,
                now=self._clock.now(),
                batch=self._settings.batch,
                tombstone_retention=self._tombstone_retention,
                activity_retention=self._settings.activity_retention,
            )
            if purged.skipped:
                return Purged(total.counters, total.sessions, total.activity, skipped=True)
            total = Purged(
                total.counters + purged.counters,
                total.sessions + purged.sessions,
                total.activity + purged.activity,
            )
            if max(purged.counters, purged.sessions, purged.activity) < self._settings.batch:
                break
        for store, rows in (
            ("counters", total.counters),
            ("sessions", total.sessions),
            ("activity", total.activity),
        ):
            if rows:
                events.count("purged", store, rows)
        if total.total:
            log.debug(
                "purged %d counters, %d sessions, %d activity rows",
                total.counters,
                total.sessions,
                total.activity,
            )
        return total

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="authgate-purge")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        interval = self._settings.interval.total_seconds()
        while True:
            # Spread over ±10 %: processes started together do not all wake at once.
            spread = 0.9 + secrets.randbelow(201) / 1000
            await asyncio.sleep(interval * spread)
            try:
                await self.run_once()
            except AuthError:
                log.warning("purge skipped: the database is unavailable")
            except Exception:  # the schedule outlives any one failed run
                log.exception("purge failed")
