"""Logs an aggregator can read, with no secret in them.

A real ``authgate serve`` with ``LOG_STYLE=raw`` and ``LOG_LEVEL=trace`` (every request
logged) runs every flow that handles a secret: login in each mode, a wrong password, refresh,
logout, password reset by mail, registration, invitation, two-factor, a static token, a token
in ``?access_token=``. Then every line of its log must be one JSON object, the request lines
must carry the request id, route, status, duration and user, and no secret the run created or
read (tokens, passwords, hashes stored in the database, OTP codes, mailed links) may appear.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from authgate import totp
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, PASSWORD, unique_email
from tests.e2e.conftest import Mailbox, Server, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture(
    scope="module",
    params=[("sqlite", "raw"), ("postgres", "raw"), ("sqlite", "pretty")],
    ids=["sqlite-raw", "postgres-raw", "sqlite-pretty"],
)
def raw_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[Server]:
    backend, style = request.param
    env = {"LOG_STYLE": style, "LOG_LEVEL": "trace", "PASSWORD_RESET_URL_ALLOW_LIST": ""}
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"logs-{backend}-{style}")
        yield start_server(backend, stack, tmp, mailbox, env)


class Secrets:
    def __init__(self) -> None:
        self.values: set[str] = {ADMIN_PASSWORD, ADMIN_TOKEN, PASSWORD}

    def add(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, str) and len(value) >= 6:
                self.values.add(value)


def _ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, response.text
    return response


def _login_every_mode(server: Server, found: Secrets, email: str) -> None:
    client = server.client()
    json_mode = _ok(client.post("/auth/login", json={"email": email, "password": PASSWORD}))
    data = json_mode.json()["data"]
    found.add(data["access_token"], data["refresh_token"])
    refreshed = _ok(client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]}))
    found.add(*refreshed.json()["data"].values())
    _ok(client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]}))  # grace
    wrong = client.post("/auth/login", json={"email": email, "password": "Wr0ng-" + PASSWORD})
    assert wrong.status_code == 401
    found.add("Wr0ng-" + PASSWORD)

    cookie_mode = _ok(
        client.post("/auth/login", json={"email": email, "password": PASSWORD, "mode": "cookie"})
    )
    found.add(cookie_mode.json()["data"]["access_token"], client.cookies["directus_refresh_token"])
    _ok(client.post("/auth/refresh"))
    found.add(client.cookies["directus_refresh_token"])
    _ok(client.post("/auth/logout"), 204)

    client.cookies.clear()
    session = _ok(
        client.post("/auth/login", json={"email": email, "password": PASSWORD, "mode": "session"})
    )
    found.add(client.cookies["directus_session_token"])
    _ok(client.get("/users/me"))  # by the session cookie
    _ok(client.post("/auth/refresh", json={"mode": "session"}))
    found.add(client.cookies["directus_session_token"])
    assert session.json()["data"]["expires"] > 0


def _reset_register_invite(server: Server, found: Secrets) -> None:
    assert server.mailbox is not None
    client = server.client()
    email = unique_email("logs-reset")
    server.create_user(email, PASSWORD)
    _ok(client.post("/auth/password/request", json={"email": email}), 204)
    mail = server.mailbox.next_for(email)
    found.add(mail.link, mail.token)
    new_password = "N3w-" + secrets.token_hex(6)
    found.add(new_password)
    _ok(
        client.post("/auth/password/reset", json={"token": mail.token, "password": new_password}),
        204,
    )

    email = unique_email("logs-register")
    register_password = "Reg-" + secrets.token_hex(6)
    found.add(register_password)
    _ok(client.post("/users/register", json={"email": email, "password": register_password}), 204)
    mail = server.mailbox.next_for(email)
    found.add(mail.link, mail.token)
    _ok(client.get(mail.link), 302)

    email = unique_email("logs-invite")
    _ok(
        client.post(
            "/users/invite",
            json={"email": email, "role": server.admin_role()},
            headers=server.admin,
        ),
        204,
    )
    mail = server.mailbox.next_for(email)
    found.add(mail.link, mail.token)
    invite_password = "Inv-" + secrets.token_hex(6)
    found.add(invite_password)
    _ok(
        client.post(
            "/users/invite/accept", json={"token": mail.token, "password": invite_password}
        ),
        204,
    )


def _two_factor_and_tokens(server: Server, found: Secrets, email: str, user_id: str) -> None:
    client = server.client()
    login = _ok(client.post("/auth/login", json={"email": email, "password": PASSWORD}))
    bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    found.add(login.json()["data"]["access_token"], login.json()["data"]["refresh_token"])
    generated = _ok(
        client.post("/users/me/tfa/generate", json={"password": PASSWORD}, headers=bearer)
    ).json()["data"]
    secret = generated["secret"]
    found.add(secret, generated["otpauth_url"])
    code = totp.code_at(secret, totp.step_at(datetime.now(UTC)))
    _ok(
        client.post("/users/me/tfa/enable", json={"secret": secret, "otp": code}, headers=bearer),
        204,
    )
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post("/auth/login", json={"email": email, "password": PASSWORD, "otp": wrong})
    assert refused.status_code == 401

    static = "static-" + secrets.token_hex(12)
    found.add(static)
    _ok(client.patch(f"/users/{user_id}", json={"token": static}, headers=server.admin))
    _ok(client.get("/users/me", headers={"Authorization": f"Bearer {static}"}))
    _ok(client.get("/users/me", params={"access_token": static}))
    _ok(client.get("/users/me", params={"access_token": ADMIN_TOKEN}))
    bad = client.get("/users/me", params={"access_token": "not-a-token-" + secrets.token_hex(8)})
    assert bad.status_code == 401


def _stored_secrets(server: Server) -> set[str]:
    """Every password hash, token hash and TFA secret the database holds."""
    if server.sqlite_path is not None:
        url = f"sqlite:///{server.sqlite_path}"
    else:
        env = server.env
        url = f"postgresql+psycopg://{env['DB_USER']}@{env['DB_HOST']}:{env['DB_PORT']}/{env['DB_DATABASE']}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT password, token, tfa_secret FROM directus_users")
            ).all()
            sessions = conn.execute(text("SELECT token, next_token FROM directus_sessions")).all()
    finally:
        engine.dispose()
    return {value for row in [*rows, *sessions] for value in row if value}


def test_raw_logs_are_json_lines_without_any_secret(raw_server: Server) -> None:
    found = Secrets()
    email = unique_email("logs")
    user = raw_server.create_user(email, PASSWORD, role=raw_server.admin_role())
    request_id = "trace-" + secrets.token_hex(6)
    echoed = _ok(
        raw_server.client().get(
            f"/users/{user['id']}", headers={**raw_server.admin, "X-Request-Id": request_id}
        )
    )
    forged = raw_server.client().get("/server/ping", headers={"X-Request-Id": 'a" b {'})

    _login_every_mode(raw_server, found, email)
    _reset_register_invite(raw_server, found)
    _two_factor_and_tokens(raw_server, found, email, user["id"])
    admin = _ok(
        raw_server.client().post(
            "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
    )
    found.add(*admin.json()["data"].values())
    found.values |= {value for value in _stored_secrets(raw_server) if len(value) >= 6}

    assert echoed.headers["x-request-id"] == request_id
    assert forged.headers["x-request-id"] not in ('a" b {', "")
    log = raw_server.stderr() + raw_server.stdout_path.read_text(errors="replace")
    leaked = sorted(value[:12] + "…" for value in found.values if value in log)
    assert leaked == [], f"secrets in the log: {leaked}"
    assert len(found.values) > 30
    if raw_server.env["LOG_STYLE"] == "pretty":
        assert "authgate.access: GET /users/{key} 200 " in log
        assert not raw_server.stderr().lstrip().startswith("{")
        return
    lines = [json.loads(line) for line in raw_server.stderr().splitlines() if line.strip()]
    requests = [line for line in lines if line.get("logger") == "authgate.access"]
    assert len(requests) > 30
    for line in lines:
        assert {"time", "level", "msg"} <= set(line)
    mine = [line for line in requests if line.get("request_id") == request_id]
    assert len(mine) == 1
    assert mine[0]["method"] == "GET"
    assert mine[0]["route"] == "/users/{key}"
    assert mine[0]["status"] == 200
    assert mine[0]["duration_ms"] >= 0
    assert mine[0]["user"] is not None  # the admin token's user
    assert all(set(line) >= {"request_id", "route", "status", "duration_ms"} for line in requests)
