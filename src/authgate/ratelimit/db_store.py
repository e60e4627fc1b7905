"""Counters in the database (``authgate_counters``): shared by every instance without Redis."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from authgate.ratelimit.store import Hit
from authgate.storage.db import Database
from authgate.storage.tables import counters


class DatabaseStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert = pg_insert if db.dialect == "postgresql" else sqlite_insert

    def _hit(self, conn: Connection, key: str, window: timedelta | None, now: datetime) -> Hit:
        expires = now + window if window else None
        stmt: Any = self._insert(counters).values(key=key, value=1, expires_at=expires)
        stale = counters.c.expires_at.is_not(None) & (counters.c.expires_at <= now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "value": case((stale, 1), else_=counters.c.value + 1),
                "expires_at": case((stale, stmt.excluded.expires_at), else_=counters.c.expires_at),
            },
        ).returning(counters.c.value, counters.c.expires_at)
        row = conn.execute(stmt).one()
        return Hit(int(row[0]), row[1])

    async def hit(self, key: str, *, window: timedelta | None, now: datetime) -> Hit:
        return await self._db.write(self._hit, key, window, now)

    def _count(self, conn: Connection, key: str, now: datetime) -> int:
        row = conn.execute(
            select(counters.c.value, counters.c.expires_at).where(counters.c.key == key)
        ).first()
        if row is None or (row[1] is not None and row[1] <= now):
            return 0
        return int(row[0])

    async def count(self, key: str, *, now: datetime) -> int:
        return await self._db.read(self._count, key, now)

    def _reset(self, conn: Connection, key: str) -> None:
        conn.execute(delete(counters).where(counters.c.key == key))

    async def reset(self, key: str) -> None:
        await self._db.write(self._reset, key)

    def _claim(self, conn: Connection, key: str, ttl: timedelta, now: datetime) -> bool:
        conn.execute(
            delete(counters).where(
                counters.c.key == key,
                counters.c.expires_at.is_not(None),
                counters.c.expires_at <= now,
            )
        )
        stmt = (
            self._insert(counters)
            .values(key=key, value=1, expires_at=now + ttl)
            .on_conflict_do_nothing(index_elements=[counters.c.key])
            .returning(counters.c.key)
        )
        return conn.execute(stmt).first() is not None

    async def claim(self, key: str, *, ttl: timedelta, now: datetime) -> bool:
        return await self._db.write(self._claim, key, ttl, now)

    def _purge(self, conn: Connection, now: datetime) -> int:
        result = conn.execute(
            delete(counters).where(counters.c.expires_at.is_not(None), counters.c.expires_at <= now)
        )
        return result.rowcount or 0

    async def purge(self, now: datetime) -> int:
        return await self._db.write(self._purge, now)

    async def close(self) -> None:
        return None
