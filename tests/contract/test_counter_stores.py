"""One contract for every counter store: memory, Redis, SQLite and PostgreSQL tables."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis

from authgate.config.settings import DatabaseSettings, Secret
from authgate.ratelimit.db_store import DatabaseStore
from authgate.ratelimit.redis_store import RedisStore
from authgate.ratelimit.store import CounterStore, MemoryStore
from authgate.storage.db import Database, create_db_engine
from authgate.storage.migrate import migrate
from tests.support.backends import REDIS_URL, postgres_database, redis_namespace

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
STORES = ["memory", "redis", "sqlite", "postgres"]
T = TypeVar("T")


def _database(settings: DatabaseSettings) -> Database:
    engine = create_db_engine(settings)
    migrate(engine)
    return Database(engine)


_LOOP: asyncio.AbstractEventLoop | None = None


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on the test's event loop (a Redis client belongs to the loop it first ran on)."""
    assert _LOOP is not None
    return _LOOP.run_until_complete(coroutine)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CounterStore]:
    global _LOOP
    _LOOP = asyncio.new_event_loop()
    kind: str = request.param
    try:
        if kind == "memory":
            yield MemoryStore()
        elif kind == "redis":
            with redis_namespace() as env:
                client = Redis.from_url(REDIS_URL)
                yield RedisStore(client, namespace=env["REDIS_NAMESPACE"])
                run(client.aclose())
        elif kind == "sqlite":
            db = _database(DatabaseSettings(client="sqlite3", filename=tmp_path / "c.db"))
            yield DatabaseStore(db)
            run(db.close())
        else:
            with postgres_database() as env:
                url = (
                    f"postgresql+psycopg://{env['DB_USER']}@{env['DB_HOST']}:{env['DB_PORT']}"
                    f"/{env['DB_DATABASE']}"
                )
                db = _database(DatabaseSettings(client="pg", url=Secret(url), pool_size=2))
                yield DatabaseStore(db)
                run(db.close())
    finally:
        _LOOP.close()
        _LOOP = None


def key() -> str:
    return f"k-{secrets.token_hex(4)}"


def test_hits_count_up_within_a_window(store: CounterStore) -> None:
    name = key()

    counts = [run(store.hit(name, window=timedelta(minutes=1), now=NOW)).count for _ in range(3)]

    assert counts == [1, 2, 3]
    assert run(store.count(name, now=NOW)) == 3


def test_the_first_hit_sets_when_the_window_ends(store: CounterStore) -> None:
    hit = run(store.hit(key(), window=timedelta(seconds=30), now=NOW))

    assert hit.expires_at is not None
    assert timedelta(seconds=28) <= hit.expires_at - NOW <= timedelta(seconds=30)


def test_counters_without_a_window_never_expire(store: CounterStore) -> None:
    name = key()
    run(store.hit(name, window=None, now=NOW))

    hit = run(store.hit(name, window=None, now=NOW + timedelta(days=400)))

    assert (hit.count, hit.expires_at) == (2, None)


def test_reset_forgets_a_counter(store: CounterStore) -> None:
    name = key()
    run(store.hit(name, window=None, now=NOW))

    run(store.reset(name))

    assert run(store.count(name, now=NOW)) == 0
    assert run(store.hit(name, window=None, now=NOW)).count == 1


def test_unknown_counters_are_zero(store: CounterStore) -> None:
    assert run(store.count(key(), now=NOW)) == 0


def test_claim_succeeds_once(store: CounterStore) -> None:
    name = key()

    first = run(store.claim(name, ttl=timedelta(seconds=90), now=NOW))
    second = run(store.claim(name, ttl=timedelta(seconds=90), now=NOW))

    assert (first, second) == (True, False)


def test_concurrent_hits_are_all_counted(store: CounterStore) -> None:
    name = key()

    async def burst() -> list[int]:
        hits = await asyncio.gather(
            *(store.hit(name, window=timedelta(minutes=5), now=NOW) for _ in range(20))
        )
        return sorted(h.count for h in hits)

    assert run(burst()) == list(range(1, 21))


def test_counters_expire_when_their_window_ends(store: CounterStore) -> None:
    if isinstance(store, RedisStore):
        # Redis expires keys on its own clock: a real 200 ms window.
        name = key()
        run(store.hit(name, window=timedelta(milliseconds=200), now=NOW))
        run(store.claim(f"{name}-c", ttl=timedelta(milliseconds=200), now=NOW))
        time.sleep(0.3)
        assert run(store.count(name, now=NOW)) == 0
        assert run(store.claim(f"{name}-c", ttl=timedelta(seconds=5), now=NOW)) is True
        return
    name = key()
    run(store.hit(name, window=timedelta(seconds=10), now=NOW))

    later = NOW + timedelta(seconds=11)

    assert run(store.count(name, now=later)) == 0
    assert run(store.hit(name, window=timedelta(seconds=10), now=later)).count == 1
    assert run(store.claim(f"{name}-c", ttl=timedelta(seconds=5), now=NOW)) is True
    assert (
        run(store.claim(f"{name}-c", ttl=timedelta(seconds=5), now=NOW + timedelta(seconds=6)))
        is True
    )
