"""Shared fixtures: settings for tests, and one running application per test module.

A module may define ``ENV = {...}`` to change variables for its own application. The
``harness`` fixture runs each module against SQLite and against PostgreSQL + Redis.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, Row
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.config import Settings, load_settings
from authgate.mail.outbox import MemoryOutbox
from authgate.storage.db import Database
from authgate.web.pipeline import Pipeline
from tests.support.backends import BACKENDS, postgres_database, redis_namespace, sqlite_database
from tests.support.clock import FrozenClock

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin-Passw0rd!"
ADMIN_TOKEN = "admin-static-token-for-tests"
PASSWORD = "Str0ng-Passw0rd!"

BASE_ENV: dict[str, str] = {
    "SECRET": "test-secret-that-is-long-enough-0123456789",
    "ADMIN_EMAIL": ADMIN_EMAIL,
    "ADMIN_PASSWORD": ADMIN_PASSWORD,
    "ADMIN_TOKEN": ADMIN_TOKEN,
    "PUBLIC_URL": "http://authgate.test",
    "LOGIN_STALL_TIME": "0",
    "REGISTER_STALL_TIME": "0",
    "PASSWORD_REQUEST_STALL_TIME": "0",
    # argon2's cheapest parameters: microseconds per hash instead of tens of milliseconds.
    "HASH_MEMORY_COST": "8",
    "HASH_TIME_COST": "1",
    "HASH_PARALLELISM": "1",
    "RATE_LIMITER_REGISTRATION_ENABLED": "false",
    "PASSWORD_RESET_URL_ALLOW_LIST": "http://example.com/reset",
    "USER_REGISTER_URL_ALLOW_LIST": "http://example.com/verify",
    "USER_INVITE_URL_ALLOW_LIST": "http://example.com/invite",
    "LOG_LEVEL": "warn",
    "EMAIL_TRANSPORT": "file",
}


def settings_for_tests(tmp_path: Path, env: Mapping[str, str]) -> Settings:
    return load_settings({"DATA_DIR": str(tmp_path / "data"), **BASE_ENV, **env}, cwd=tmp_path)


@dataclass
class Harness:
    client: TestClient
    app: Pipeline
    clock: FrozenClock
    outbox: MemoryOutbox
    settings: Settings
    backend: str

    @property
    def db(self) -> Database:
        return self.app.services.db

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def login(self, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
        self.client.cookies.clear()
        return self.client.post("/auth/login", json={"email": email, "password": password, **extra})

    def tokens(self, email: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        response = self.login(email, password, **extra)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def bearer(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens(email, password)['access_token']}"}

    def create_user(
        self, email: str | None = None, password: str | None = PASSWORD, **fields: Any
    ) -> dict[str, Any]:
        email = email or unique_email()
        payload = {"email": email, **fields}
        if password is not None:
            payload["password"] = password
        response = self.client.post("/users", json=payload, headers=self.admin)
        assert response.status_code == 200, response.text
        user: dict[str, Any] = response.json()["data"]
        return user

    def create_role(
        self, name: str, *, admin: bool = False, app: bool = False, enforce_tfa: bool = False
    ) -> str:
        """A role with one policy of its own (direct SQL until the /roles API exists)."""
        import uuid

        from authgate.storage.tables import access, policies, roles

        role_id, policy_id = str(uuid.uuid4()), str(uuid.uuid4())

        def work(conn: Connection) -> None:
            conn.execute(roles.insert().values(id=role_id, name=name))
            conn.execute(
                policies.insert().values(
                    id=policy_id,
                    name=f"{name} policy",
                    admin_access=admin,
                    app_access=app,
                    enforce_tfa=enforce_tfa,
                )
            )
            conn.execute(
                access.insert().values(id=str(uuid.uuid4()), role=role_id, policy=policy_id)
            )

        self.db.write_sync(work)
        return role_id

    def grant(
        self, role: str | None, collection: str, action: str, *, fields: str = "*", rule: Any = None
    ) -> None:
        """Add a permission row to the role's policy (or to the public policy)."""
        from sqlalchemy import select

        from authgate.access.model import PUBLIC_POLICY_ID
        from authgate.storage.tables import access, permissions

        def work(conn: Connection) -> None:
            policy = PUBLIC_POLICY_ID
            if role is not None:
                policy = conn.execute(
                    select(access.c.policy).where(access.c.role == role)
                ).scalar_one()
            conn.execute(
                permissions.insert().values(
                    collection=collection,
                    action=action,
                    fields=fields,
                    permissions=rule,
                    policy=policy,
                )
            )

        self.db.write_sync(work)

    def sql(self, statement: str, **params: Any) -> Sequence[Row[*tuple[Any, ...]]]:
        from sqlalchemy import text

        return self.db.read_sync(lambda conn: conn.execute(text(statement), params).all())


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.com"


@pytest.fixture(scope="module", params=BACKENDS)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    backend: str = request.param
    module_env: Mapping[str, str] = getattr(request.module, "ENV", {})
    tmp_path = tmp_path_factory.mktemp(f"app-{backend}")
    with ExitStack() as stack:
        if backend == "postgres":
            env = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        else:
            env = stack.enter_context(sqlite_database(tmp_path))
        settings = settings_for_tests(tmp_path, {**env, **module_env})
        bootstrap(settings)
        clock = FrozenClock()
        outbox = MemoryOutbox()
        app = create_app(settings, clock=clock, outbox=outbox)
        client = stack.enter_context(TestClient(app, client=("127.0.0.1", 40000)))
        yield Harness(client, app, clock, outbox, settings, backend)


@pytest.fixture(autouse=True)
def _fresh_cookies(request: pytest.FixtureRequest) -> None:
    if "harness" in request.fixturenames:
        request.getfixturevalue("harness").client.cookies.clear()
