"""Decision 6: any argon2 hash verifies; hashes with other parameters are replaced at login."""

from __future__ import annotations

import argon2
import pytest

from tests.conftest import Harness, unique_email


def _store_hash(harness: Harness, user_id: str, value: str) -> None:
    from sqlalchemy import update

    from authgate.storage.tables import users

    harness.db.write_sync(
        lambda conn: conn.execute(update(users).where(users.c.id == user_id).values(password=value))
    )


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (argon2.Type.ID, {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}),  # Directus's
        (argon2.Type.I, {"time_cost": 2, "memory_cost": 1024, "parallelism": 2}),
        (argon2.Type.D, {"time_cost": 1, "memory_cost": 512, "parallelism": 1}),
    ],
)
def test_foreign_hashes_verify_and_are_rehashed_with_the_live_parameters(
    harness: Harness, kind: argon2.Type, params: dict[str, int]
) -> None:
    user = harness.create_user(unique_email(), password=None)
    imported = argon2.PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        type=kind,
    ).hash("Imported-Passw0rd!")
    _store_hash(harness, user["id"], imported)

    response = harness.login(user["email"], "Imported-Passw0rd!")

    assert response.status_code == 200
    stored = harness.sql("SELECT password FROM directus_users WHERE id = :id", id=user["id"])[0][0]
    assert stored != imported
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert harness.login(user["email"], "Imported-Passw0rd!").status_code == 200


def test_a_hash_with_the_live_parameters_is_left_alone(harness: Harness) -> None:
    user = harness.create_user()
    before = harness.sql("SELECT password FROM directus_users WHERE id = :id", id=user["id"])[0][0]

    harness.tokens(user["email"])

    after = harness.sql("SELECT password FROM directus_users WHERE id = :id", id=user["id"])[0][0]
    assert after == before


def test_a_stored_value_that_is_not_an_argon2_hash_never_matches(harness: Harness) -> None:
    user = harness.create_user(password=None)
    _store_hash(harness, user["id"], "plain-text-password")

    assert harness.login(user["email"], "plain-text-password").status_code == 401
