"""Bringing a database to the newest schema, with Alembic, safely from several processes."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

from authgate.storage.private import private_file

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number works; it only has to be the same for every authgate process.
_PG_LOCK_ID = 0x4A7E6A7E


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) == head_revision()


def migrate(engine: Engine) -> None:
    """Apply every pending migration; concurrent callers wait for each other."""
    # A separate engine with the driver's default transaction handling: PostgreSQL then runs
    # each migration's DDL inside a transaction.
    migration_engine = create_engine(engine.url, hide_parameters=True)
    try:
        with exclusive(migration_engine) as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
    finally:
        migration_engine.dispose()


@contextmanager
def exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection held under a lock that every authgate process takes for schema work."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
                conn.commit()
        return
    database = engine.url.database or ""
    lock_path = Path(f"{database}.migrate.lock")
    private_file(lock_path)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
