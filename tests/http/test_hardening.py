"""Findings of the security review that live at the edges: concurrent admin removals, what a
database error leaves in the log, and CORS with ``CORS_ORIGIN=*``."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from tests.conftest import Harness

ENV = {"CORS_ENABLED": "true", "CORS_ORIGIN": "*"}


def _admin_id(harness: Harness) -> str:
    me = harness.client.get("/users/me", params={"fields": "id"}, headers=harness.admin)
    admin_id: str = me.json()["data"]["id"]
    return admin_id


def _set_active(harness: Harness, *user_ids: str) -> None:
    def work(conn: Connection) -> None:
        for user_id in user_ids:
            conn.execute(
                text("UPDATE directus_users SET status = 'active' WHERE id = :id"), {"id": user_id}
            )

    harness.db.write_sync(work)


def _suspend_each_other(
    harness: Harness, first: str, second: str, second_headers: dict[str, str]
) -> dict[str, int]:
    """Both admins suspend the other at the same moment (two threads, released together)."""
    barrier = threading.Barrier(2, timeout=10)
    statuses: dict[str, int] = {}

    def suspend(name: str, headers: dict[str, str], target: str) -> None:
        barrier.wait()
        response = harness.client.patch(
            f"/users/{target}", json={"status": "suspended"}, headers=headers
        )
        statuses[name] = response.status_code

    threads = [
        threading.Thread(target=suspend, args=("first", harness.admin, second)),
        threading.Thread(target=suspend, args=("second", second_headers, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_admins_suspending_each_other_at_once_leave_one_admin(harness: Harness) -> None:
    first = _admin_id(harness)
    second_user = harness.create_user(role=harness.create_role("Second admins", admin=True))
    second = second_user["id"]
    try:
        for _trial in range(6):
            statuses = _suspend_each_other(
                harness, first, second, harness.bearer(second_user["email"])
            )
            active = harness.sql(
                "SELECT count(*) FROM directus_users WHERE status = 'active' AND id IN (:a, :b)",
                a=first,
                b=second,
            )[0][0]
            _set_active(harness, first, second)

            assert active == 1, statuses
            assert list(statuses.values()).count(200) == 1, statuses
    finally:
        _set_active(harness, first, second)
        harness.client.delete(f"/users/{second}", headers=harness.admin)


_SQLITE_TRIGGER = """
CREATE TRIGGER refuse_boom BEFORE UPDATE ON directus_users WHEN NEW.first_name = 'boom'
BEGIN SELECT zeroblob(2000000000); END
"""
_POSTGRES_TRIGGER = [
    """
    CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
    BEGIN
      IF NEW.first_name = 'boom' THEN RAISE EXCEPTION 'refused for %', NEW.token; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER refuse_boom BEFORE UPDATE ON directus_users "
    "FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
]


@pytest.fixture
def failing_user_updates(harness: Harness) -> Iterator[None]:
    """A database rule authgate knows nothing about: updating a user's first name to "boom"
    fails inside the database (an error that reaches the log as unexpected); on PostgreSQL
    its message even quotes the stored token hash, as constraint messages quote values."""
    statements = [_SQLITE_TRIGGER] if harness.backend == "sqlite" else _POSTGRES_TRIGGER
    harness.db.write_sync(lambda conn: [conn.execute(text(s)) for s in statements])
    yield
    drop = ["DROP TRIGGER refuse_boom"]
    if harness.backend == "postgres":
        drop = ["DROP TRIGGER refuse_boom ON directus_users", "DROP FUNCTION refuse_boom()"]
    harness.db.write_sync(lambda conn: [conn.execute(text(s)) for s in drop])


def test_a_database_error_never_logs_the_written_values(
    harness: Harness, failing_user_updates: None, caplog: pytest.LogCaptureFixture
) -> None:
    role = harness.create_role("Self editors", app=True)
    harness.grant(role, "directus_users", "update")
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])
    static_token = "static-token-" + secrets.token_hex(8)
    new_password = "New-Passw0rd-" + secrets.token_hex(4)

    with caplog.at_level(logging.DEBUG):
        response = harness.client.patch(
            "/users/me",
            json={"password": new_password, "token": static_token, "first_name": "boom"},
            headers=headers,
        )

    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    logged = caplog.text
    assert "unhandled error on PATCH /users/me" in logged  # the failure itself is logged
    assert "UPDATE directus_users" in logged  # with the statement, for the operator
    for secret in ("$argon2", static_token, new_password):
        assert secret not in logged
    token_hash = harness.app.services.keys.hash_token(static_token)
    assert token_hash not in logged


def test_cors_origin_star_answers_star_without_credentials(harness: Harness) -> None:
    simple = harness.client.get(
        "/server/ping", headers={"Origin": "https://evil.example", **harness.admin}
    )
    preflight = harness.client.options(
        "/users/me",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    for response in (simple, preflight):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    assert simple.headers["access-control-expose-headers"] == "Content-Range"
    assert preflight.status_code == 204


def test_with_cors_on_every_options_request_is_a_preflight(harness: Harness) -> None:
    # Directus's cors middleware ends every OPTIONS (no Origin, a body) with 204 and no body.
    response = harness.client.request(
        "OPTIONS", "/users/me", content=b"{}", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 204
    assert response.content == b""
    assert "access-control-allow-origin" not in response.headers


# The advisory lock exists on PostgreSQL only (SQLite runs one writer at a time).
@pytest.mark.parametrize("harness", ["postgres"], indirect=True)
def test_a_user_update_takes_the_admin_lock_before_it_locks_the_users_row(
    harness: Harness,
) -> None:
    """The order that rules out a deadlock: an update of a user (which may change its policies
    in the same request) waits for the admin-changes lock *before* it writes the user's row.
    While another transaction holds the lock, the request waits and the row stays unlocked."""
    assert harness.backend == "postgres"
    from authgate.storage.admin_lock import ADMIN_GUARD_LOCK

    user = harness.create_user(role=harness.create_role("Plain", app=True))
    holder = harness.db.engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADMIN_GUARD_LOCK})
    answer: dict[str, int] = {}

    def rename() -> None:
        response = harness.client.patch(
            f"/users/{user['id']}", json={"first_name": "Renamed"}, headers=harness.admin
        )
        answer["status"] = response.status_code

    thread = threading.Thread(target=rename)
    try:
        thread.start()
        thread.join(timeout=0.5)
        waited = thread.is_alive()
        probe = harness.db.engine.connect()
        try:
            probe.exec_driver_sql("BEGIN")
            row_free = probe.execute(
                text("SELECT id FROM directus_users WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": user["id"]},
            ).first()
            probe.exec_driver_sql("ROLLBACK")
        finally:
            probe.close()
    finally:
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADMIN_GUARD_LOCK})
        holder.close()
        thread.join(timeout=30)

    assert waited  # it queued behind the lock holder...
    assert row_free is not None  # ...without holding the user's row meanwhile
    assert answer == {"status": 200}
