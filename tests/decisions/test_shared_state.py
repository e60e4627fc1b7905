"""Decision 8: what several instances must agree on lives in the shared store, not in one
process: login attempts, used TOTP steps, rate limits. Two applications on one database (and,
for PostgreSQL, one Redis) stand for two instances behind a load balancer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from starlette.testclient import TestClient

from authgate import totp
from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.mail.outbox import MemoryOutbox
from authgate.web.pipeline import Pipeline
from tests.conftest import ADMIN_TOKEN, PASSWORD, settings_for_tests, unique_email
from tests.support.backends import postgres_database, redis_namespace, sqlite_database
from tests.support.clock import FrozenClock

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres+redis"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, TestClient]]:
    tmp = tmp_path_factory.mktemp("pair")
    with ExitStack() as stack:
        if request.param == "sqlite":
            env = stack.enter_context(sqlite_database(tmp))
            env["RATE_LIMITER_STORE"] = "database"
        else:
            env = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        env.update(
            RATE_LIMITER_ENABLED="true",
            RATE_LIMITER_POINTS="40",
            RATE_LIMITER_DURATION="600",
            IP_TRUST_PROXY="true",
        )
        settings = settings_for_tests(tmp, env)
        bootstrap(settings)
        clock = FrozenClock()
        clients = [
            stack.enter_context(
                TestClient(
                    create_app(settings, clock=clock, outbox=MemoryOutbox()),
                    client=("127.0.0.1", 1),
                )
            )
            for _ in range(2)
        ]
        yield clients[0], clients[1]


def _as(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_login_attempts_add_up_across_instances(pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    address = _as("192.0.2.1")
    one.patch("/settings", json={"auth_login_attempts": 2}, headers={**ADMIN, **address})
    email = unique_email()
    one.post("/users", json={"email": email, "password": PASSWORD}, headers={**ADMIN, **address})
    try:
        one.post("/auth/login", json={"email": email, "password": "Wrong-1"}, headers=address)
        two.post("/auth/login", json={"email": email, "password": "Wrong-1"}, headers=address)
        third = one.post(
            "/auth/login", json={"email": email, "password": PASSWORD}, headers=address
        )
    finally:
        two.patch("/settings", json={"auth_login_attempts": 25}, headers={**ADMIN, **address})

    assert third.status_code == 401  # that address is locked out, on every instance
    elsewhere = two.post(
        "/auth/login", json={"email": email, "password": PASSWORD}, headers=_as("192.0.2.99")
    )
    assert elsewhere.status_code == 200


def test_a_totp_code_used_on_one_instance_is_refused_on_the_other(
    pair: tuple[TestClient, TestClient],
) -> None:
    one, two = pair
    address = _as("192.0.2.2")
    email = unique_email()
    one.post("/users", json={"email": email, "password": PASSWORD}, headers={**ADMIN, **address})
    token = one.post(
        "/auth/login", json={"email": email, "password": PASSWORD}, headers=address
    ).json()["data"]["access_token"]
    me = {"Authorization": f"Bearer {token}", **address}
    # Two-factor is switched on directly in the database (sealed as the enable endpoint does).
    secret = totp.generate_secret()
    assert isinstance(one.app, Pipeline)
    services = one.app.services
    clock = services.clock
    user_id = one.get("/users/me", headers=me).json()["data"]["id"]
    sealed = services.sessions.otp.seal(user_id, secret)
    from sqlalchemy import update

    from authgate.storage.tables import users

    services.db.write_sync(
        lambda conn: conn.execute(
            update(users).where(users.c.id == user_id).values(tfa_secret=sealed)
        )
    )
    code = totp.code_at(secret, totp.step_at(clock.now()))

    used = one.post(
        "/auth/login", json={"email": email, "password": PASSWORD, "otp": code}, headers=address
    )
    replayed = two.post(
        "/auth/login", json={"email": email, "password": PASSWORD, "otp": code}, headers=address
    )

    assert used.status_code == 200
    assert (replayed.status_code, replayed.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "INVALID_OTP",
    )


def test_rate_limits_are_shared(pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    address = _as("192.0.2.3")

    statuses = [
        (one if i % 2 else two).get("/server/ping", headers=address).status_code for i in range(41)
    ]

    assert statuses[:40] == [200] * 40
    assert statuses[40] == 429


def test_data_model_and_permission_changes_reach_every_instance(
    pair: tuple[TestClient, TestClient],
) -> None:
    """Each instance caches the schema and the permission rows by the shared epoch: a change
    made through one must take effect on the other at its very next request."""
    one, two = pair
    address = _as("192.0.2.4")
    admin = {**ADMIN, **address}
    one.post(
        "/collections",
        json={"collection": "shared_notes", "fields": [{"field": "body", "type": "string"}]},
        headers=admin,
    )
    try:
        one.post("/items/shared_notes", json={"body": "hello"}, headers=admin)
        before_grant = two.get("/items/shared_notes", headers=address)  # caches public rows
        granted = one.post(
            "/permissions",
            json={
                "policy": "abf8a154-5b1c-4a46-ac9c-7300570f4f17",
                "collection": "shared_notes",
                "action": "read",
                "fields": ["body"],
            },
            headers=admin,
        ).json()["data"]
        after_grant = two.get("/items/shared_notes", params={"fields": "body"}, headers=address)
        one.delete(f"/permissions/{granted['id']}", headers=admin)
        after_revoke = two.get("/items/shared_notes", headers=address)
    finally:
        two.delete("/collections/shared_notes", headers=admin)
    gone = one.get("/items/shared_notes", headers=admin)

    assert before_grant.status_code == 403
    assert after_grant.json() == {"data": [{"body": "hello"}]}
    assert after_revoke.status_code == 403
    assert gone.status_code == 403  # dropped on two, unknown on one at once
