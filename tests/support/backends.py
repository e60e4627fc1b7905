"""The databases and stores the suite runs against, created fresh for each test module.

SQLite always runs. PostgreSQL and Redis are the scale-out deployment: locally a missing
server skips those variants with a loud reason; under CI (``CI=true``) it fails the run.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_HOST = os.environ.get("AUTHGATE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("AUTHGATE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("AUTHGATE_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("AUTHGATE_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(service: str, host: str, port: int) -> None:
    if _port_open(host, port):
        return
    message = f"{service} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (required under CI=true)", pytrace=False)
    pytest.skip(f"{message}; start it to run this variant")


def require_postgres() -> None:
    require("PostgreSQL", PG_HOST, PG_PORT)


def require_redis() -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    require("Redis", parts.hostname or "127.0.0.1", parts.port or 6379)


@contextmanager
def postgres_database() -> Iterator[dict[str, str]]:
    """A new, empty database, dropped afterwards; yields the DB_* variables for it."""
    require_postgres()
    name = f"authgate_test_{secrets.token_hex(6)}"
    # (pre-ping: a test may restart PostgreSQL before the database is dropped)
    admin = create_engine(
        f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres",
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=True,
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            "DB_CLIENT": "pg",
            "DB_HOST": PG_HOST,
            "DB_PORT": str(PG_PORT),
            "DB_DATABASE": name,
            "DB_USER": PG_USER,
        }
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database(folder: Path) -> Iterator[dict[str, str]]:
    yield {"DB_CLIENT": "sqlite3", "DB_FILENAME": str(folder / "authgate.db")}


@contextmanager
def redis_namespace() -> Iterator[dict[str, str]]:
    """Redis variables with a namespace of their own; its keys are deleted afterwards."""
    require_redis()
    import redis

    namespace = f"authgate-test-{secrets.token_hex(6)}"
    try:
        yield {"REDIS": REDIS_URL, "REDIS_NAMESPACE": namespace}
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()


BACKENDS = ["sqlite", "postgres"]
