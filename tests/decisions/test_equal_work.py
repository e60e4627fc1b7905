"""Decision 4: login does the same work whether or not the account exists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.config.settings import HashSettings
from authgate.mail.outbox import MemoryOutbox
from authgate.passwords import PasswordHasher
from tests.conftest import ADMIN_TOKEN, PASSWORD, settings_for_tests, unique_email
from tests.support.clock import FrozenClock


class CountingHasher(PasswordHasher):
    """The real hasher, counting every argon2 computation it runs."""

    def __init__(self) -> None:
        super().__init__(HashSettings(memory_cost=8, time_cost=1, parallelism=1))
        self.calls: Counter[str] = Counter()

    def _check(self, stored: str, password: str) -> bool:
        self.calls["argon2-verify"] += 1
        return super()._check(stored, password)


@pytest.fixture(scope="module")
def app_and_hasher(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, CountingHasher]]:
    tmp = tmp_path_factory.mktemp("equal-work")
    settings = settings_for_tests(tmp, {"DB_FILENAME": str(tmp / "a.db")})
    bootstrap(settings)
    hasher = CountingHasher()
    app = create_app(settings, clock=FrozenClock(), outbox=MemoryOutbox(), hasher=hasher)
    with TestClient(app, client=("127.0.0.1", 1)) as client:
        yield client, hasher


@pytest.mark.parametrize(
    "case", ["unknown", "wrong password", "suspended", "other provider", "no password"]
)
def test_every_failed_login_costs_exactly_one_argon2_verification(
    app_and_hasher: tuple[TestClient, CountingHasher], case: str
) -> None:
    client, hasher = app_and_hasher
    email = unique_email()
    if case != "unknown":
        payload = {"email": email, "status": "suspended" if case == "suspended" else "active"}
        if case != "no password":
            payload["password"] = PASSWORD
        if case == "other provider":
            payload["provider"] = "github"
        assert (
            client.post(
                "/users", json=payload, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            ).status_code
            == 200
        )
    hasher.calls.clear()

    response = client.post(
        "/auth/login",
        json={
            "email": email,
            "password": "Wrong-Passw0rd!" if case == "wrong password" else PASSWORD,
        },
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert hasher.calls == Counter({"argon2-verify": 1})


def test_a_successful_login_costs_the_same(
    app_and_hasher: tuple[TestClient, CountingHasher],
) -> None:
    client, hasher = app_and_hasher
    email = unique_email()
    client.post(
        "/users",
        json={"email": email, "password": PASSWORD},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    hasher.calls.clear()

    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})

    assert response.status_code == 200
    assert hasher.calls == Counter({"argon2-verify": 1})
