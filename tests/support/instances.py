"""Several ``authgate serve`` processes on one PostgreSQL database and one Redis namespace, and
the machine's own commands to restart the shared PostgreSQL and Redis under them.

The restarts use the services' own tools (CI's machine runs them as system services, outside
systemd here) and always leave the service running: a restart that fails still ends with a
start, and ``ensure_services_running`` is the last word of every test that restarts one.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.e2e.conftest import Mailbox, Server, free_port, server_env
from tests.support.backends import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_URL,
    postgres_database,
    redis_namespace,
)

# The machine's own command for the shared Redis (see the helpers' common brief): it keeps
# nothing on disk, so a restart forgets every key.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def start_instances(
    stack: ExitStack,
    tmp_path_factory: pytest.TempPathFactory,
    mailbox: Mailbox,
    count: int = 3,
    extra_env: Mapping[str, str] | None = None,
) -> list[Server]:
    """``count`` servers sharing a new database and a new Redis namespace, started one after
    the other (the first one migrates and bootstraps the database); the stack stops them and
    drops both."""
    shared = {
        **stack.enter_context(postgres_database()),
        **stack.enter_context(redis_namespace()),
        **(extra_env or {}),
    }
    servers = []
    for number in range(count):
        tmp: Path = tmp_path_factory.mktemp(f"instance-{number}")
        port = free_port()
        server = Server(
            backend="postgres",
            url=f"http://127.0.0.1:{port}",
            data_dir=tmp / "data",
            env=server_env(port, tmp / "data", mailbox, shared),
            stdout_path=tmp / "authgate.stdout",
            stderr_path=tmp / "authgate.stderr",
            mailbox=mailbox,
        )
        stack.callback(server.stop)
        server.start()
        servers.append(server)
    return servers


# --------------------------------------------------------------------------------------------
# Is it answering?


def redis_answers() -> bool:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def postgres_answers() -> bool:
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=2
        ) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.Error:
        return False


def _wait_until(answers: bool, probe: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe() is answers:
            return True
        time.sleep(0.02)
    return False


# --------------------------------------------------------------------------------------------
# Restarts (the shared services: keep every outage short)


def _postgres_cluster() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]


def _pg_ctlcluster(action: str) -> list[str]:
    return ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_cluster(), "main", action]


def start_postgres() -> None:
    subprocess.run(_pg_ctlcluster("start"), check=False, timeout=60)


def start_redis() -> None:
    subprocess.run(REDIS_START, check=False, timeout=10)


def restart_postgres() -> None:
    """``pg_ctlcluster ... restart`` (a fast shutdown: every connection is cut), returning when
    PostgreSQL answers again."""
    try:
        subprocess.run(_pg_ctlcluster("restart"), check=True, timeout=60)
    finally:
        if not _wait_until(True, postgres_answers, 10):
            start_postgres()
    if not _wait_until(True, postgres_answers, 20):
        pytest.fail("PostgreSQL did not come back", pytrace=False)


def restart_redis() -> float:
    """``SHUTDOWN NOSAVE``, then the machine's start command at once; returns the seconds until
    Redis answered again."""
    port = REDIS_START[REDIS_START.index("--port") + 1]
    assert urlsplit(REDIS_URL).port == int(port), f"{REDIS_URL} is not the Redis on port {port}"
    started = time.monotonic()
    try:
        subprocess.run(
            ["redis-cli", "-u", REDIS_URL, "shutdown", "nosave"], check=False, timeout=10
        )
    finally:
        start_redis()
    if not _wait_until(True, redis_answers, 5):
        start_redis()
        if not _wait_until(True, redis_answers, 5):
            pytest.fail("Redis did not come back", pytrace=False)
    return time.monotonic() - started


def ensure_services_running() -> None:
    """Start PostgreSQL or Redis if either does not answer (a test that restarted one must
    leave it running whatever happened); fails if one still does not answer."""
    if not postgres_answers():
        start_postgres()
    if not redis_answers():
        start_redis()
    assert _wait_until(True, postgres_answers, 20), "PostgreSQL is not answering"
    assert _wait_until(True, redis_answers, 5), "Redis is not answering"
