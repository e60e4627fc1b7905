"""Migration 0009 on a database that already has sessions: every rotation chain gets one
public id (all its rows the same), so that sessions signed in before the upgrade are listed
and can be ended whole."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from authgate.storage.migrate import alembic_config
from tests.support.backends import postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        created = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield created
        created.dispose()
        return
    with postgres_database() as env:
        created = create_engine(
            f"postgresql+psycopg://{env['DB_USER']}@{env['DB_HOST']}:{env['DB_PORT']}/{env['DB_DATABASE']}"
        )
        yield created
        created.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_existing_chains_get_one_public_id_each(engine: Engine) -> None:
    _upgrade(engine, "0006")
    user = str(uuid.uuid4())
    later = datetime.now(UTC) + timedelta(days=1)
    if engine.dialect.name == "sqlite":
        later = later.replace(tzinfo=None)
    # Chain one: a -> b -> c (c is live); chain two: d alone.
    rows = [("a", "b"), ("b", "c"), ("c", None), ("d", None)]
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO directus_users (id, email, status) VALUES (:id, :e, 'active')"),
            {"id": user, "e": "old@example.com"},
        )
        for token, next_token in rows:
            conn.execute(
                text(
                    'INSERT INTO directus_sessions (token, "user", expires, ip, user_agent, next_token)'
                    " VALUES (:t, :u, :x, '10.0.0.1', 'Old/1.0', :n)"
                ),
                {"t": token, "u": user, "x": later, "n": next_token},
            )

    _upgrade(engine, "0009")

    with engine.connect() as conn:
        ids: dict[str, object] = dict(
            conn.execute(text("SELECT token, authgate_session FROM directus_sessions")).all()
        )
        infos = conn.execute(text('SELECT id, "user", ip, user_agent FROM authgate_sessions')).all()
    assert ids["a"] == ids["b"] == ids["c"]
    assert ids["d"] != ids["a"]
    assert sorted(str(row[0]) for row in infos) == sorted({str(ids["a"]), str(ids["d"])})
    assert {(str(row[1]), row[2], row[3]) for row in infos} == {(user, "10.0.0.1", "Old/1.0")}
