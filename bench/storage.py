"""The bench's own database access: a fresh SQLite file or PostgreSQL database (+ a Redis
namespace), bulk item rows written straight into it, and the stored password hashes read back.

Rows go in directly (executemany / COPY) because a million rows through the API would take
longer than the whole benchmark; the tables themselves are created through the API.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

OWNED_ROWS = 100  # the bench user's share of every items collection
OTHER_OWNERS = 1_000  # how many other users own the remaining rows
BATCH = 50_000


def item_rows(count: int, owner: str, *, salt: int = 0) -> Iterator[tuple[str, str]]:
    """``count`` (title, owner) rows: every (count // 100)-th is ``owner``'s, the rest spread
    over other owners (so the owner index is as selective as in a real table)."""
    stride = max(1, count // OWNED_ROWS)
    others = [str(uuid.UUID(int=(salt << 64) + n + 1)) for n in range(OTHER_OWNERS)]
    for n in range(count):
        yield f"note {n}", owner if n % stride == 0 else others[n % OTHER_OWNERS]


def _batches(rows: Iterator[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class CleanupError(Exception):
    """Something of the run's own could not be removed (the message names it)."""


class Store(Protocol):
    label: str

    def server_env(self) -> dict[str, str]: ...

    def insert_items(self, table: str, rows: Iterator[tuple[str, str]]) -> None: ...

    def password_hashes(self, emails: list[str]) -> dict[str, str]: ...

    def cleanup(self) -> None: ...


class SqliteStore:
    label = "SQLite"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "data.db"

    def server_env(self) -> dict[str, str]:
        return {"DB_CLIENT": "sqlite3", "DB_FILENAME": str(self.path)}

    def insert_items(self, table: str, rows: Iterator[tuple[str, str]]) -> None:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with connection:  # one transaction
                for batch in _batches(rows):
                    connection.executemany(
                        f'INSERT INTO "{table}" (title, owner) VALUES (?, ?)', batch
                    )
            connection.execute(f'ANALYZE "{table}"')
        finally:
            connection.close()

    def password_hashes(self, emails: list[str]) -> dict[str, str]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            marks = ",".join("?" for _ in emails)
            found = connection.execute(
                f"SELECT email, password FROM directus_users WHERE email IN ({marks})", emails
            ).fetchall()
        finally:
            connection.close()
        return {str(email): str(hashed) for email, hashed in found}

    def cleanup(self) -> None:
        pass  # the temporary folder goes with the run


class PostgresStore:
    """A new database on the local PostgreSQL (trust auth, user postgres), dropped at the end,
    and a Redis namespace of its own, emptied at the end."""

    label = "PostgreSQL + Redis"

    def __init__(self, host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> None:
        import psycopg

        self.host, self.port, self.user = host, port, user
        self.database = f"authgate_bench_{secrets.token_hex(4)}"
        self.namespace = f"authgate-bench-{secrets.token_hex(4)}"
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _dsn(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def server_env(self) -> dict[str, str]:
        return {
            "DB_CLIENT": "pg",
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_DATABASE": self.database,
            "DB_USER": self.user,
            "REDIS": "redis://127.0.0.1:6379/0",
            "REDIS_NAMESPACE": self.namespace,
        }

    def insert_items(self, table: str, rows: Iterator[tuple[str, str]]) -> None:
        import psycopg

        with psycopg.connect(self._dsn(self.database)) as conn:
            with (
                conn.cursor() as cursor,
                cursor.copy(f'COPY "{table}" (title, owner) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            conn.execute(f'ANALYZE "{table}"')
            conn.commit()

    def password_hashes(self, emails: list[str]) -> dict[str, str]:
        import psycopg

        with psycopg.connect(self._dsn(self.database)) as conn:
            found = conn.execute(
                "SELECT email, password FROM directus_users WHERE email = ANY(%s)", (emails,)
            ).fetchall()
        return {str(email): str(hashed) for email, hashed in found}

    def cleanup(self) -> None:
        import psycopg
        import redis

        try:
            with psycopg.connect(
                self._dsn("postgres"), autocommit=True, connect_timeout=10
            ) as conn:
                conn.execute("SET statement_timeout = '60s'")
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except psycopg.Error as error:
            raise CleanupError(f"could not drop database {self.database}: {error}") from None
        client = redis.Redis(host="127.0.0.1", port=6379, db=0, socket_timeout=10)
        try:
            keys = list(client.scan_iter(match=f"{self.namespace}*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        except redis.RedisError as error:
            raise CleanupError(
                f"could not empty Redis namespace {self.namespace}: {error}"
            ) from None
        finally:
            client.close()
