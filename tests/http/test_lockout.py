"""auth_login_attempts: counting before the password check, suspension, reset on success."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, Harness


@pytest.fixture
def three_attempts(harness: Harness):  # type: ignore[no-untyped-def]
    harness.client.patch("/settings", json={"auth_login_attempts": 3}, headers=harness.admin)
    yield
    harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)


def _status(harness: Harness, user_id: str) -> str:
    read = harness.client.get(
        f"/users/{user_id}", params={"fields": "status"}, headers=harness.admin
    )
    status: str = read.json()["data"]["status"]
    return status


def test_the_attempt_past_the_limit_suspends_the_account(
    harness: Harness, three_attempts: None
) -> None:
    user = harness.create_user()

    failures = [harness.login(user["email"], "Wrong-1").status_code for _ in range(3)]
    tripping = harness.login(user["email"], PASSWORD)

    assert failures == [401, 401, 401]
    # Directus lets this attempt through with the right password; authgate refuses it.
    assert tripping.status_code == 401
    assert _status(harness, user["id"]) == "suspended"
    assert harness.login(user["email"], PASSWORD).status_code == 401
    delta = harness.sql(
        "SELECT a.action FROM directus_activity a WHERE a.item = :id AND a.action = 'update'",
        id=user["id"],
    )
    assert delta == [("update",)]


def test_a_success_resets_the_counter(harness: Harness, three_attempts: None) -> None:
    user = harness.create_user()

    for _ in range(2):
        harness.login(user["email"], "Wrong-1")
    assert harness.login(user["email"], PASSWORD).status_code == 200
    for _ in range(2):
        harness.login(user["email"], "Wrong-1")

    assert harness.login(user["email"], PASSWORD).status_code == 200
    assert _status(harness, user["id"]) == "active"


def test_null_means_unlimited(harness: Harness) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": None}, headers=harness.admin)
    try:
        user = harness.create_user()
        for _ in range(30):
            harness.login(user["email"], "Wrong-1")

        assert harness.login(user["email"], PASSWORD).status_code == 200
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)
