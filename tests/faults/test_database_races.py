"""What the fault suite found on PostgreSQL, pinned one by one on a single server process:

* concurrent sign-ins of one account from one address: a successful one deletes the address's
  lockout row between another's ``INSERT ... ON CONFLICT DO NOTHING`` and its ``SELECT ... FOR
  UPDATE``, which then found no row (a ``500``);
* a write whose connection the database ends in the middle of its transaction (a restart, an
  administrator's ``pg_terminate_backend``): its ``ROLLBACK`` on the dead connection raised an
  error of SQLAlchemy's own (a ``500``) instead of the outage's ``503``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import Mailbox, Server, start_server
from tests.support.backends import PG_HOST, PG_PORT, PG_USER

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    with ExitStack() as stack:
        yield start_server("postgres", stack, tmp_path_factory.mktemp("races"), mailbox)


def _login(url: str, email: str) -> httpx.Response:
    return httpx.post(f"{url}/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)


def test_concurrent_sign_ins_of_one_account_from_one_address_all_succeed(server: Server) -> None:
    email = unique_email("races")
    server.create_user(email, PASSWORD)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = Counter(pool.map(lambda _: _login(server.url, email).status_code, range(160)))

    assert answers == {200: 160}


def _database_url(server: Server, database: str | None = None) -> str:
    name = database or server.env["DB_DATABASE"]
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def test_a_sign_in_whose_connection_is_cut_mid_transaction_answers_503(server: Server) -> None:
    email = unique_email("races")
    user = server.create_user(email, PASSWORD)
    engine = create_engine(_database_url(server))
    admin = create_engine(_database_url(server, "postgres"), isolation_level="AUTOCOMMIT")
    answer: list[httpx.Response] = []
    try:
        with engine.connect() as holder:
            # The user's row, locked: the sign-in's transaction waits on it, mid-way.
            holder.execute(
                text("SELECT 1 FROM directus_users WHERE id = :id FOR UPDATE"), {"id": user["id"]}
            )
            thread = threading.Thread(target=lambda: answer.append(_login(server.url, email)))
            thread.start()
            waiting: list[int] = []
            deadline = time.monotonic() + 10
            with admin.connect() as conn:
                while not waiting and time.monotonic() < deadline:
                    waiting = list(
                        conn.execute(
                            text(
                                "SELECT pid FROM pg_stat_activity WHERE datname = :db "
                                "AND application_name = 'authgate' AND wait_event_type = 'Lock'"
                            ),
                            {"db": server.env["DB_DATABASE"]},
                        ).scalars()
                    )
                    time.sleep(0.02)
                assert waiting, "the sign-in never waited on the locked row"
                for pid in waiting:
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            thread.join(timeout=30)
            holder.rollback()
        with engine.connect() as conn:
            sessions = conn.execute(
                text('SELECT count(*) FROM directus_sessions WHERE "user" = :id'),
                {"id": user["id"]},
            ).scalar_one()
    finally:
        engine.dispose()
        admin.dispose()

    assert len(answer) == 1
    assert answer[0].status_code == 503, answer[0].text
    assert answer[0].headers.get("retry-after") == "1"
    assert answer[0].json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert sessions == 0  # nothing of the cut sign-in stayed
    assert _login(server.url, email).status_code == 200  # and the next one works
