"""Bounded growth: expired counters, sessions and (with a retention) activity are purged on a
schedule, so the tables stay bounded however many rows expire; on PostgreSQL the purge runs on
one instance at a time.

The stores are the database ones (no Redis): request limits in ``authgate_counters`` per
client address, so every request from a new address adds a row that expires after a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.mail.outbox import MemoryOutbox
from authgate.web.pipeline import Pipeline
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, settings_for_tests
from tests.support.backends import postgres_database, sqlite_database
from tests.support.clock import FrozenClock

ENV = {
    "RATE_LIMITER_ENABLED": "true",
    "RATE_LIMITER_STORE": "database",
    "RATE_LIMITER_POINTS": "1000",
    "RATE_LIMITER_DURATION": "1",
    "IP_TRUST_PROXY": "true",
    "PURGE_INTERVAL": "50ms",
    "RETENTION_ENABLED": "true",
    "ACTIVITY_RETENTION": "2d",
    "REFRESH_TOKEN_TTL": "1h",
}


class App:
    def __init__(self, client: TestClient, app: Pipeline, clock: FrozenClock) -> None:
        self.client, self.app, self.clock = client, app, clock

    def count(self, table: str) -> int:
        db = self.app.services.db
        return int(
            db.read_sync(lambda c: c.execute(text(f"SELECT count(*) FROM {table}")).scalar())
        )

    def wait_until(self, table: str, at_most: int) -> int:
        """The row count once the purge brought it to ``at_most`` (or after 10 s: a failure)."""
        deadline = time.monotonic() + 10
        while (count := self.count(table)) > at_most and time.monotonic() < deadline:
            time.sleep(0.05)
        return count


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    tmp_path: Path = tmp_path_factory.mktemp(f"purge-{request.param}")
    with ExitStack() as stack:
        if request.param == "postgres":
            env = stack.enter_context(postgres_database())
        else:
            env = stack.enter_context(sqlite_database(tmp_path))
        settings = settings_for_tests(tmp_path, {**env, **ENV})
        bootstrap(settings)
        clock = FrozenClock()
        created = create_app(settings, clock=clock, outbox=MemoryOutbox())
        client = stack.enter_context(TestClient(created, client=("127.0.0.1", 40000)))
        yield App(client, created, clock)


def test_counters_stay_bounded_after_many_expiries(app: App) -> None:
    per_round = 60
    highest = 0
    for round_ in range(5):
        for n in range(per_round):
            address = f"198.51.{round_}.{n}"
            response = app.client.get("/server/ping", headers={"X-Forwarded-For": address})
            assert response.status_code == 200
        highest = max(highest, app.count("authgate_counters"))
        app.clock.advance(2)  # every window of this round has ended

        assert app.wait_until("authgate_counters", 0) == 0

    assert per_round <= highest < 2 * per_round


def test_expired_sessions_and_old_tombstones_are_purged(app: App) -> None:
    for _ in range(4):
        app.client.cookies.clear()
        login = app.client.post(
            "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200
        refreshed = app.client.post(
            "/auth/refresh", json={"refresh_token": login.json()["data"]["refresh_token"]}
        )
        assert refreshed.status_code == 200  # leaves a tombstone behind
    assert app.count("directus_sessions") >= 8

    app.clock.advance(3 * 3600)  # sessions (1 h) expired, tombstones older than 1 h more

    assert app.wait_until("directus_sessions", 0) == 0
    # and with their last row, the sessions' public identities (sessions/own.py)
    assert app.wait_until("authgate_sessions", 0) == 0


def test_activity_older_than_the_retention_is_purged(app: App) -> None:
    app.client.cookies.clear()
    login = app.client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200
    kept_from = app.count("directus_activity")
    assert kept_from > 0

    app.clock.advance(3 * 86400)
    app.client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    assert app.wait_until("directus_activity", 1) == 1  # only the login after the jump


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_one_instance_purges_at_a_time_on_postgresql(app: App) -> None:
    from authgate.upkeep.purge import PURGE_LOCK_KEY

    for n in range(20):
        app.client.get("/server/ping", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    other = create_engine(app.app.services.db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as conn:  # another instance, mid-purge
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PURGE_LOCK_KEY})
            app.clock.advance(2)
            time.sleep(0.5)  # several purge intervals
            assert app.count("authgate_counters") >= 20
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PURGE_LOCK_KEY})
    finally:
        other.dispose()

    assert app.wait_until("authgate_counters", 0) == 0
