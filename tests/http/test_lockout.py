"""The lockout (decision 15): failed checks, never attempts, counted per account and client
address in the database; past ``auth_login_attempts`` that address is locked out of the
account for ``AUTH_LOCKOUT_DURATION`` (doubling), other addresses keep working, and a locked
attempt is answered exactly like a wrong password without checking anything."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest

from authgate import totp
from authgate.errors import service_unavailable
from tests.conftest import PASSWORD, Harness

ENV = {"IP_TRUST_PROXY": "true"}
WRONG = "Wrong-Passw0rd!"


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def _login(
    harness: Harness, email: str, password: str, address: str, **extra: Any
) -> httpx.Response:
    return harness.client.post(
        "/auth/login",
        json={"email": email, "password": password, **extra},
        headers=_from(address),
    )


def _sessions(harness: Harness, user_id: str) -> int:
    return int(
        harness.sql('SELECT COUNT(*) FROM directus_sessions WHERE "user" = :u', u=user_id)[0][0]
    )


@pytest.fixture
def limit(harness: Harness) -> Iterator[int]:
    harness.client.patch("/settings", json={"auth_login_attempts": 3}, headers=harness.admin)
    yield 3
    harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)


@pytest.fixture
def verifications(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the server checks against a stored hash. Each check takes 20 ms, as a
    real argon2 check takes tens of milliseconds (the tests' parameters take microseconds):
    concurrent attempts overlap as they would in production."""
    hasher = harness.app.services.hasher
    checked: list[str] = []
    original = hasher.verify

    async def counted(stored: str | None, password: str) -> bool:
        checked.append(password)
        await asyncio.sleep(0.02)
        return bool(await original(stored, password))

    monkeypatch.setattr(hasher, "verify", counted)
    return checked


def test_one_address_is_locked_out_and_the_owners_other_address_still_signs_in(
    harness: Harness, limit: int, verifications: list[str]
) -> None:
    user = harness.create_user()

    wrong = [_login(harness, user["email"], WRONG, "198.51.100.1") for _ in range(limit)]
    checked_before_lock = len(verifications)
    locked = _login(harness, user["email"], PASSWORD, "198.51.100.1")
    elsewhere = _login(harness, user["email"], PASSWORD, "203.0.113.1")

    assert [r.status_code for r in wrong] == [401] * limit
    assert checked_before_lock == limit
    # The right password from the locked address: the wrong-password answer, nothing checked.
    assert (locked.status_code, locked.json()) == (wrong[0].status_code, wrong[0].json())
    assert len(verifications) == checked_before_lock + 1  # only the other address's check
    assert elsewhere.status_code == 200
    assert _sessions(harness, user["id"]) == 1
    status = harness.sql("SELECT status FROM directus_users WHERE id = :u", u=user["id"])
    assert status == [("active",)]


def test_the_lock_expires_and_each_further_lock_lasts_twice_as_long(
    harness: Harness, limit: int
) -> None:
    user = harness.create_user()
    address = "198.51.100.2"

    for _ in range(limit):
        _login(harness, user["email"], WRONG, address)
    harness.clock.advance(15 * 60 - 1)
    still_locked = _login(harness, user["email"], PASSWORD, address).status_code
    harness.clock.advance(2)
    for _ in range(limit):  # the failures start again from zero after the first lock
        _login(harness, user["email"], WRONG, address)
    harness.clock.advance(15 * 60 + 1)
    locked_twice_as_long = _login(harness, user["email"], PASSWORD, address).status_code
    harness.clock.advance(15 * 60)
    after_thirty_minutes = _login(harness, user["email"], PASSWORD, address).status_code

    assert still_locked == 401
    assert locked_twice_as_long == 401
    assert after_thirty_minutes == 200


def test_a_successful_sign_in_clears_the_failures_of_its_address(
    harness: Harness, limit: int
) -> None:
    user = harness.create_user()
    address = "198.51.100.3"

    for _ in range(limit - 1):
        _login(harness, user["email"], WRONG, address)
    assert _login(harness, user["email"], PASSWORD, address).status_code == 200
    for _ in range(limit - 1):
        _login(harness, user["email"], WRONG, address)

    assert _login(harness, user["email"], PASSWORD, address).status_code == 200


def test_many_addresses_together_lock_the_account_past_four_times_the_limit(
    harness: Harness, limit: int
) -> None:
    user = harness.create_user()

    for n in range(4):
        for _ in range(limit):
            _login(harness, user["email"], WRONG, f"192.0.2.{10 + n}")
    refused = _login(harness, user["email"], PASSWORD, "203.0.113.9")
    harness.clock.advance(15 * 60 + 1)
    later = _login(harness, user["email"], PASSWORD, "203.0.113.9")

    assert refused.status_code == 401
    assert later.status_code == 200


def test_a_password_reset_works_for_a_locked_account_and_ends_the_lock(
    harness: Harness, limit: int
) -> None:
    user = harness.create_user()
    address = "198.51.100.4"
    for _ in range(limit * 4):  # the address and the whole account locked
        _login(harness, user["email"], WRONG, address)

    harness.client.post("/auth/password/request", json={"email": user["email"]})
    mails = [m for m in harness.outbox.sent if m.to == user["email"]]
    assert mails, "a locked account still gets its reset mail"
    token = parse_qs(urlsplit(mails[-1].data["url"]).query)["token"][0]
    reset = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": "N3w-Passw0rd!"}
    )

    assert reset.status_code == 204
    assert _login(harness, user["email"], "N3w-Passw0rd!", address).status_code == 200


def test_concurrent_wrong_logins_check_at_most_the_limit(
    harness: Harness, verifications: list[str]
) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": 5}, headers=harness.admin)
    user = harness.create_user()
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(
                pool.map(
                    lambda _: _login(harness, user["email"], WRONG, "198.51.100.5").status_code,
                    range(40),
                )
            )
        right = _login(harness, user["email"], PASSWORD, "198.51.100.5")
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert answers == [401] * 40
    assert len(verifications) == 5
    assert right.status_code == 401
    assert _sessions(harness, user["id"]) == 0


def test_a_counter_store_failure_after_the_check_leaves_no_session_behind(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis failing in the middle of a login: the answer is a success with its session, or
    a 503 with nothing written; never a 503 that kept a session or activity row."""
    store = harness.app.services.sessions.otp.store
    user = harness.create_user()

    async def down(*_args: Any, **_kwargs: Any) -> None:
        raise service_unavailable("authentication", "Rate limiter unreachable")

    monkeypatch.setattr(store, "reset", down)
    answer = _login(harness, user["email"], PASSWORD, "198.51.100.6")

    sessions = _sessions(harness, user["id"])
    logins = harness.sql(
        "SELECT COUNT(*) FROM directus_activity WHERE item = :u AND action = 'login'", u=user["id"]
    )[0][0]
    assert (answer.status_code, sessions, logins) in [(200, 1, 1), (503, 0, 0)]


def test_a_503_on_the_code_check_counts_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": 1}, headers=harness.admin)
    try:
        user = harness.create_user()
        secret = totp.generate_secret()
        sealed = harness.app.services.sessions.otp.seal(user["id"], secret)
        harness.db.write_sync(
            lambda conn: conn.exec_driver_sql(
                "UPDATE directus_users SET tfa_secret = ? WHERE id = ?"
                if harness.backend == "sqlite"
                else "UPDATE directus_users SET tfa_secret = %s WHERE id = %s::uuid",
                (sealed, user["id"]),
            )
        )
        store = harness.app.services.sessions.otp.store
        code = totp.code_at(secret, totp.step_at(harness.clock.now()))

        async def down(*_args: Any, **_kwargs: Any) -> bool:
            raise service_unavailable("authentication", "Rate limiter unreachable")

        with monkeypatch.context() as patch:
            patch.setattr(store, "claim", down)
            cut_off = _login(harness, user["email"], PASSWORD, "198.51.100.7", otp=code)
        after = _login(harness, user["email"], PASSWORD, "198.51.100.7", otp=code)
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert cut_off.status_code == 503
    assert after.status_code == 200, after.text
    assert _sessions(harness, user["id"]) == 1


def test_null_means_unlimited(harness: Harness) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": None}, headers=harness.admin)
    try:
        user = harness.create_user()
        for _ in range(30):
            _login(harness, user["email"], WRONG, "198.51.100.8")

        assert _login(harness, user["email"], PASSWORD, "198.51.100.8").status_code == 200
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)
