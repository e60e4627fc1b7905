"""``AUTH_LOCKOUT=suspend``: Directus's lockout (failures from anywhere past
``auth_login_attempts`` suspend the account; refreshing a session of a suspended user answers
``401 USER_SUSPENDED`` and deletes it, as the reference Directus 12.4 does), except that the
last active administrator is never suspended by failed sign-ins; and the ``authgate users``
commands that undo a lock or a suspension."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BASE_ENV, PASSWORD, Harness

ENV = {"AUTH_LOCKOUT": "suspend", "IP_TRUST_PROXY": "true"}
WRONG = "Wrong-Passw0rd!"


@pytest.fixture
def limit(harness: Harness) -> Iterator[int]:
    harness.client.patch("/settings", json={"auth_login_attempts": 3}, headers=harness.admin)
    yield 3
    harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)


def _login(harness: Harness, email: str, password: str, address: str) -> int:
    return harness.client.post(
        "/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    ).status_code


def _status(harness: Harness, user_id: str) -> str:
    rows = harness.sql("SELECT status FROM directus_users WHERE id = :u", u=user_id)
    return str(rows[0][0])


def _cli(harness: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    database = harness.settings.database
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET": BASE_ENV["SECRET"],
        "DATA_DIR": str(harness.settings.data_dir),
        "LOG_LEVEL": "error",
        **{k: BASE_ENV[k] for k in ("HASH_MEMORY_COST", "HASH_TIME_COST", "HASH_PARALLELISM")},
    }
    if database.client == "sqlite3":
        env.update(DB_CLIENT="sqlite3", DB_FILENAME=str(database.filename))
    else:
        assert database.url is not None
        url = database.url.reveal().replace("postgresql+psycopg://", "postgresql://")
        env.update(DB_CLIENT="pg", DB_CONNECTION_STRING=url)
    return subprocess.run(
        [sys.executable, "-m", "authgate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_failures_from_anywhere_suspend_and_a_refresh_answers_user_suspended(
    harness: Harness, limit: int
) -> None:
    user = harness.create_user()
    refresh = harness.client.post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}
    ).json()["data"]["refresh_token"]

    failures = [_login(harness, user["email"], WRONG, f"192.0.2.{30 + n}") for n in range(limit)]
    right = _login(harness, user["email"], PASSWORD, "192.0.2.40")
    first = harness.client.post("/auth/refresh", json={"refresh_token": refresh, "mode": "json"})
    again = harness.client.post("/auth/refresh", json={"refresh_token": refresh, "mode": "json"})

    assert failures == [401] * limit
    assert _status(harness, user["id"]) == "suspended"
    assert right == 401
    assert (first.status_code, first.json()) == (
        401,
        {"errors": [{"message": "User suspended.", "extensions": {"code": "USER_SUSPENDED"}}]},
    )
    assert again.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"

    activated = _cli(harness, "users", "activate", user["email"])
    assert activated.returncode == 0, activated.stderr
    assert _status(harness, user["id"]) == "active"
    assert _login(harness, user["email"], PASSWORD, "192.0.2.40") == 200


def test_the_last_administrator_is_locked_for_a_while_never_suspended(
    harness: Harness, limit: int
) -> None:
    admin_id = harness.sql("SELECT id FROM directus_users WHERE email = :e", e=ADMIN_EMAIL)[0][0]

    failures = [_login(harness, ADMIN_EMAIL, WRONG, f"192.0.2.{50 + n}") for n in range(limit)]
    locked = _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.60")
    harness.clock.advance(15 * 60 + 1)
    later = _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.60")

    assert failures == [401] * limit
    assert str(_status(harness, str(admin_id))) == "active"
    assert locked == 401
    assert later == 200


def test_users_unlock_lifts_the_lock_and_users_passwd_ends_it(harness: Harness, limit: int) -> None:
    for _ in range(limit):
        _login(harness, ADMIN_EMAIL, WRONG, "192.0.2.70")
    assert _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.70") == 401

    unlocked = _cli(harness, "users", "unlock", ADMIN_EMAIL)

    assert unlocked.returncode == 0, unlocked.stderr
    assert _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.70") == 200

    for _ in range(limit):
        _login(harness, ADMIN_EMAIL, WRONG, "192.0.2.70")
    changed = _cli(harness, "users", "passwd", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)

    assert changed.returncode == 0, changed.stderr
    assert _login(harness, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.70") == 200
    unknown = _cli(harness, "users", "unlock", "nobody@example.com")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "authgate: no user with email nobody@example.com",
    )
