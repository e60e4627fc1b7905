"""storage/db.py: which database errors are an outage (503) and which a refused statement
(400), classified on real errors from real databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import BindParameter, bindparam, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from authgate.config.settings import DatabaseSettings
from authgate.errors import AuthError, Code
from authgate.storage.db import Database, create_db_engine, is_outage, is_statement_refused


def _error_of(url: str, statement: str, **params: object) -> DBAPIError:
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            conn.execute(text(statement).bindparams(*_expanding(params)), params)
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the statement did not fail")


def _expanding(params: dict[str, object]) -> list[BindParameter[object]]:
    return [bindparam(name, expanding=True) for name, v in params.items() if isinstance(v, list)]


def test_too_many_parameters_is_a_refused_statement(tmp_path: Path) -> None:
    error = _error_of(
        f"sqlite:///{tmp_path / 'a.db'}", "SELECT 1 WHERE 1 IN :keys", keys=[1] * 300_000
    )

    assert isinstance(error, OperationalError)
    assert is_statement_refused(error)
    assert not is_outage(error)


def test_an_expression_too_deep_is_a_refused_statement(tmp_path: Path) -> None:
    error = _error_of(f"sqlite:///{tmp_path / 'a.db'}", "SELECT " + "-" * 1200 + "1")

    assert isinstance(error, OperationalError)
    assert not is_outage(error)


def test_a_missing_database_file_is_an_outage(tmp_path: Path) -> None:
    error = _error_of(f"sqlite:///{tmp_path / 'missing' / 'a.db'}", "SELECT 1")

    assert isinstance(error, OperationalError)
    assert is_outage(error)
    assert not is_statement_refused(error)


def test_an_unreachable_postgresql_is_an_outage() -> None:
    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/postgres", connect_args={"connect_timeout": 2}
    )
    with pytest.raises(OperationalError) as raised:
        engine.connect()

    assert is_outage(raised.value)


def test_a_fault_that_is_neither_outage_nor_refusal_is_not_dressed_as_bad_input(
    tmp_path: Path,
) -> None:
    """An OperationalError such as a missing column (the schema changed under us) is a fault
    of the server: it must reach the unexpected-error log, not answer 400 "too large"."""
    db = Database(create_db_engine(DatabaseSettings(client="sqlite3", filename=tmp_path / "a.db")))
    db.write_sync(lambda conn: conn.execute(text("CREATE TABLE t (a INTEGER)")))

    with pytest.raises(OperationalError):
        asyncio.run(db.read(lambda conn: conn.execute(text("SELECT missing FROM t")).all()))
    too_many = text("SELECT 1 WHERE 1 IN :keys").bindparams(bindparam("keys", expanding=True))
    with pytest.raises(AuthError) as refused:
        asyncio.run(db.read(lambda conn: conn.execute(too_many, {"keys": [1] * 300_000}).all()))
    asyncio.run(db.close())

    assert refused.value.code == Code.INVALID_QUERY
