"""The Alembic migrations are the schema: migrating an empty database gives exactly the tables
the code queries, on SQLite and PostgreSQL, and running them twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from authgate.access.model import PUBLIC_POLICY_ID
from authgate.storage.migrate import head_revision, is_up_to_date, migrate
from authgate.storage.tables import metadata
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


def test_an_empty_database_migrates_to_head(engine: Engine) -> None:
    migrate(engine)

    assert is_up_to_date(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
)
def test_no_difference_between_the_migrations_and_the_tables_in_code(engine: Engine) -> None:
    migrate(engine)

    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), metadata
        )

    # SQLite cannot reflect expression indexes, so autogenerate reports them as missing there.
    meaningful = [d for d in diff if not (d[0] == "add_index" and "lower" in str(d[1].expressions))]
    assert meaningful == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    migrate(engine)
    before = sorted(inspect(engine).get_table_names())

    migrate(engine)

    assert sorted(inspect(engine).get_table_names()) == before


def test_every_install_has_the_public_policy_and_a_settings_row(engine: Engine) -> None:
    migrate(engine)

    with engine.connect() as conn:
        public = conn.execute(
            text(
                'SELECT p.id FROM directus_access a JOIN directus_policies p ON p.id = a.policy WHERE a.role IS NULL AND a."user" IS NULL'
            )
        ).all()
        settings = conn.execute(text("SELECT count(*) FROM directus_settings")).scalar_one()

    assert [str(row[0]) for row in public] == [PUBLIC_POLICY_ID]
    assert settings == 1


def test_emails_are_unique_whatever_their_case(engine: Engine) -> None:
    migrate(engine)
    insert = text(
        "INSERT INTO directus_users (id, email, status, provider, text_direction) VALUES (:id, :email, 'active', 'default', 'auto')"
    )

    with engine.begin() as conn:
        conn.execute(
            insert, {"id": "11111111-1111-4111-8111-111111111111", "email": "Ada@Example.com"}
        )
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), engine.begin() as conn:
        conn.execute(
            insert, {"id": "22222222-2222-4222-8222-222222222222", "email": "ada@example.COM"}
        )
