"""Reconnect before use: after PostgreSQL or Redis drops the server's pooled connections (a
restart does that), the very next request succeeds; only a real outage answers 503.

The shared servers are never restarted here: the test ends the server side of this app's own
connections (``pg_terminate_backend`` on its own database, ``CLIENT KILL`` by its own client
name), which is what a restart looks like from the pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.mail.outbox import MemoryOutbox
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, settings_for_tests
from tests.support.backends import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_URL,
    postgres_database,
    redis_namespace,
)
from tests.support.clock import FrozenClock

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tmp_path: Path = tmp_path_factory.mktemp("reconnect")
    with ExitStack() as stack:
        env = {
            **stack.enter_context(postgres_database()),
            **stack.enter_context(redis_namespace()),
            # Login counters and request limits both in Redis: every login touches it.
            "RATE_LIMITER_ENABLED": "true",
            "RATE_LIMITER_STORE": "redis",
            "RATE_LIMITER_POINTS": "100000",
        }
        settings = settings_for_tests(tmp_path, env)
        bootstrap(settings)
        app = create_app(settings, clock=FrozenClock(), outbox=MemoryOutbox())
        client = stack.enter_context(TestClient(app, client=("127.0.0.1", 40000)))
        yield client, env


def _kill_postgres_backends(database: str) -> int:
    admin = create_engine(
        f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres", isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


def _kill_redis_clients(namespace: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        ours = [c for c in client.client_list() if c.get("name") == f"authgate:{namespace}"]
        for connection in ours:
            client.client_kill_filter(_id=connection["id"])
    finally:
        client.close()
    return len(ours)


def _login(client: TestClient) -> int:
    client.cookies.clear()
    response = client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return response.status_code


def test_first_request_after_postgres_drops_connections_succeeds(
    scaled: tuple[TestClient, dict[str, str]],
) -> None:
    client, env = scaled
    for _ in range(3):  # warm the pool: several connections checked in
        assert client.get("/users/me", headers=ADMIN).status_code == 200
        assert _login(client) == 200

    assert _kill_postgres_backends(env["DB_DATABASE"]) > 0

    first = client.get("/users", headers=ADMIN)
    assert first.status_code == 200, first.text
    assert _login(client) == 200


def test_first_request_after_redis_drops_connections_succeeds(
    scaled: tuple[TestClient, dict[str, str]],
) -> None:
    client, env = scaled
    for _ in range(3):
        assert _login(client) == 200

    assert _kill_redis_clients(env["REDIS_NAMESPACE"]) > 0

    assert _login(client) == 200
    health = client.get("/server/health", headers=ADMIN).json()
    assert health["checks"]["redis:responseTime"][0]["status"] == "ok"


def test_a_redis_that_stays_down_answers_503_with_retry_after(tmp_path: Path) -> None:
    with ExitStack() as stack:
        env = {
            **stack.enter_context(postgres_database()),
            "REDIS": "redis://127.0.0.1:1/0",  # nothing listens there
            "REDIS_NAMESPACE": "authgate-down",
            "RATE_LIMITER_ENABLED": "true",
            "RATE_LIMITER_STORE": "redis",
        }
        settings = settings_for_tests(tmp_path, env)
        bootstrap(settings)
        app = create_app(settings, clock=FrozenClock(), outbox=MemoryOutbox())
        client = stack.enter_context(TestClient(app, client=("127.0.0.1", 40000)))

        response = client.post(
            "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
