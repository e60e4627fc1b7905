"""Nothing the server stores is a credential: a copy of its database lets nobody in.

A server of its own (SQLite) goes through every flow that writes secrets: logins in the three
modes and their refreshes, a logout, a pending password reset, a pending registration, a
pending invitation, a user with TFA, a user with a static token, failed logins. Then every
value of every text column of every table is read from the database file (read-only) and
tried as each kind of credential the API accepts. None may work. Positive controls, with the
real credentials that the flows received, prove that each probe would notice one that works.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, PASSWORD, unique_email
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

PROBE_PASSWORD = "Pr0be-Passw0rd!-never-set"
# Tables the flows write secrets (or their stand-ins) to; each must be read and not empty.
REQUIRED_TABLES = ("directus_users", "directus_sessions", "directus_settings", "authgate_counters")
STATIC_TOKEN = "e2e-static-token-0123456789abcdefghijklmnop"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238: SHA-1, 6 digits, 30 s steps."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


@dataclass
class Controls:
    """Real credentials the flows received, still valid: each probe must accept its own kind."""

    access_token: str
    refresh_token: str
    refresh_cookie: str
    session_cookie: str
    reset_token: str
    invite_token: str
    verify_token: str


def _ok(response: httpx.Response, expected: int = 200) -> httpx.Response:
    assert response.status_code == expected, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response


def run_flows(server: Server) -> Controls:
    """Everything that makes the server store something secret, done as a client would."""
    assert server.mailbox is not None
    mailbox = server.mailbox
    role = server.admin_role()
    client = server.client()

    def login(email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
        client.cookies.clear()
        return client.post("/auth/login", json={"email": email, "password": password, **extra})

    # Sessions in every mode, each refreshed once (session mode leaves a rotated row behind).
    data = _ok(login(ADMIN_EMAIL, ADMIN_PASSWORD)).json()["data"]
    _ok(client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]}))
    _ok(login(ADMIN_EMAIL, ADMIN_PASSWORD, mode="cookie"))
    _ok(client.post("/auth/refresh"))
    _ok(login(ADMIN_EMAIL, ADMIN_PASSWORD, mode="session"))
    _ok(client.post("/auth/refresh", json={"mode": "session"}))

    # A user with a session that is then logged out, and failed logins (attempt counters).
    gone = unique_email("gone")
    server.create_user(gone, PASSWORD)
    refresh = _ok(login(gone)).json()["data"]["refresh_token"]
    _ok(client.post("/auth/logout", json={"refresh_token": refresh}), 204)
    for _ in range(3):
        assert login(gone, "wrong-password").status_code == 401
    assert login(unique_email("nobody"), "wrong-password").status_code == 401

    # A user with a static token, set by the admin (Directus stores it as given; we must not).
    static_user = server.create_user(unique_email("static"), PASSWORD)
    _ok(
        client.patch(
            f"/users/{static_user['id']}", json={"token": STATIC_TOKEN}, headers=server.admin
        )
    )
    client.cookies.clear()
    _ok(client.get("/users/me", headers={"Authorization": f"Bearer {STATIC_TOKEN}"}))

    # A user with TFA on (its secret is stored). No OTP login afterwards: the enabling code's
    # 30 s step is spent (authgate refuses replays) and waiting for the next one is too slow.
    tfa = unique_email("tfa")
    server.create_user(tfa, PASSWORD, role=role)
    bearer = {"Authorization": f"Bearer {_ok(login(tfa)).json()['data']['access_token']}"}
    generated = _ok(
        client.post("/users/me/tfa/generate", json={"password": PASSWORD}, headers=bearer)
    )
    secret = generated.json()["data"]["secret"]
    _ok(
        client.post(
            "/users/me/tfa/enable", json={"secret": secret, "otp": totp(secret)}, headers=bearer
        ),
        204,
    )

    # A pending password reset.
    reset = unique_email("reset")
    server.create_user(reset, PASSWORD)
    client.cookies.clear()
    _ok(client.post("/auth/password/request", json={"email": reset}), 204)
    reset_token = mailbox.next_for(reset).token

    # A pending registration.
    registered = unique_email("register")
    _ok(client.post("/users/register", json={"email": registered, "password": PASSWORD}), 204)
    verify_token = mailbox.next_for(registered).token

    # A pending invitation.
    invited = unique_email("invite")
    _ok(
        client.post("/users/invite", json={"email": invited, "role": role}, headers=server.admin),
        204,
    )
    invite_token = mailbox.next_for(invited).token

    # Live credentials for the positive controls.
    control = unique_email("control")
    server.create_user(control, PASSWORD)
    json_login = _ok(login(control)).json()["data"]
    _ok(login(control, mode="cookie"))
    refresh_cookie = client.cookies["directus_refresh_token"]
    _ok(login(control, mode="session"))
    session_cookie = client.cookies["directus_session_token"]
    client.cookies.clear()
    return Controls(
        access_token=json_login["access_token"],
        refresh_token=json_login["refresh_token"],
        refresh_cookie=refresh_cookie,
        session_cookie=session_cookie,
        reset_token=reset_token,
        invite_token=invite_token,
        verify_token=verify_token,
    )


# --------------------------------------------------------------------------------------------
# Reading the database


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)


def stored_values(path: Path) -> tuple[dict[str, set[str]], dict[str, int]]:
    """value -> the ``table.column`` places it was found in; and the row count of each table."""
    found: dict[str, set[str]] = {}
    rows_per_table: dict[str, int] = {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
            rows_per_table[table] = len(rows)
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", errors="replace")
                    if table in REQUIRED_TABLES and isinstance(value, int | float):
                        value = str(value)  # these tables: every value, not only text
                    if not isinstance(value, str) or value == "":
                        continue
                    place = f"{table}.{column}"
                    found.setdefault(value, set()).add(place)
                    if value[:1] in "{[":
                        try:
                            parsed = json.loads(value)
                        except ValueError:
                            continue
                        for leaf in _leaves(parsed):
                            if leaf:
                                found.setdefault(leaf, set()).add(f"{place} (JSON)")
    finally:
        connection.close()
    return found, rows_per_table


# --------------------------------------------------------------------------------------------
# The probes: each sends ``value`` as one kind of credential; True if the server accepted it.


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _cookie_safe(value: str) -> bool:
    return _header_safe(value) and not any(c in value for c in ';," \\')


Probe = Callable[[httpx.Client, str], "httpx.Response | None"]


def _bearer(client: httpx.Client, value: str) -> httpx.Response | None:
    if not _header_safe(value):
        return None
    return client.get("/users/me", headers={"Authorization": f"Bearer {value}"})


def _query(client: httpx.Client, value: str) -> httpx.Response | None:
    return client.get("/users/me", params={"access_token": value})


def _session_cookie(client: httpx.Client, value: str) -> httpx.Response | None:
    if not _cookie_safe(value):
        return None
    return client.get("/users/me", headers={"Cookie": f"directus_session_token={value}"})


def _refresh_json(client: httpx.Client, value: str) -> httpx.Response | None:
    return client.post("/auth/refresh", json={"refresh_token": value})


def _refresh_cookie(client: httpx.Client, value: str) -> httpx.Response | None:
    if not _cookie_safe(value):
        return None
    return client.post("/auth/refresh", headers={"Cookie": f"directus_refresh_token={value}"})


def _session_refresh(client: httpx.Client, value: str) -> httpx.Response | None:
    if not _cookie_safe(value):
        return None
    return client.post(
        "/auth/refresh",
        json={"mode": "session"},
        headers={"Cookie": f"directus_session_token={value}"},
    )


def _reset(client: httpx.Client, value: str) -> httpx.Response | None:
    return client.post("/auth/password/reset", json={"token": value, "password": PROBE_PASSWORD})


def _invite(client: httpx.Client, value: str) -> httpx.Response | None:
    return client.post("/users/invite/accept", json={"token": value, "password": PROBE_PASSWORD})


def _verify(client: httpx.Client, value: str) -> httpx.Response | None:
    return client.get("/users/register/verify-email", params={"token": value})


PROBES: dict[str, Probe] = {
    "Authorization: Bearer": _bearer,
    "?access_token=": _query,
    "directus_session_token cookie": _session_cookie,
    "session-mode refresh cookie": _session_refresh,
    "refresh_token (json)": _refresh_json,
    "directus_refresh_token cookie": _refresh_cookie,
    "password reset token": _reset,
    "invite token": _invite,
    "verification token": _verify,
}


def accepted(response: httpx.Response) -> bool:
    if response.status_code in (200, 204):
        return True
    return response.status_code == 302 and response.headers.get("location", "").startswith(
        "/admin/users/"
    )


@pytest.fixture(scope="module")
def probed(sqlite_server: Server) -> dict[str, Any]:
    controls = run_flows(sqlite_server)
    assert sqlite_server.sqlite_path is not None
    values, rows = stored_values(sqlite_server.sqlite_path)
    return {"controls": controls, "values": values, "rows": rows}


def test_every_table_the_flows_write_was_read(probed: dict[str, Any]) -> None:
    rows: dict[str, int] = probed["rows"]
    for table in REQUIRED_TABLES:
        assert table in rows, f"{table} is not in the database"
        assert rows[table] > 0, f"{table} is empty: the flows should have written to it"
    places = {place for found in probed["values"].values() for place in found}
    for column in (
        "directus_sessions.token",
        "directus_users.password",
        "directus_users.token",
        "directus_users.tfa_secret",
    ):
        assert column in places, f"no value read from {column}"


def test_no_stored_value_is_a_credential(sqlite_server: Server, probed: dict[str, Any]) -> None:
    values: dict[str, set[str]] = probed["values"]
    assert ADMIN_TOKEN not in values, "the admin's static token is stored as given"
    assert STATIC_TOKEN not in values, "a user's static token is stored as given"

    accepted_by: list[str] = []
    server_errors: list[str] = []
    tried = 0
    with httpx.Client(base_url=sqlite_server.url, timeout=15.0, follow_redirects=False) as client:
        for value, places in sorted(values.items()):
            for name, probe in PROBES.items():
                response = probe(client, value)
                if response is None:
                    continue
                tried += 1
                shown = f"{sorted(places)} {value[:40]!r}{'…' if len(value) > 40 else ''} as {name}"
                if accepted(response):
                    accepted_by.append(f"{shown}: {response.status_code}")
                elif response.status_code >= 500:
                    server_errors.append(f"{shown}: {response.status_code} {response.text[:200]}")

    assert tried >= len(values) * 3
    assert accepted_by == [], "stored values that authenticate:\n" + "\n".join(accepted_by)
    assert server_errors == [], "probes that made the server fail:\n" + "\n".join(server_errors)


def test_the_probes_accept_real_credentials(sqlite_server: Server, probed: dict[str, Any]) -> None:
    """Positive controls: the same probes, given live credentials, do get in."""
    controls: Controls = probed["controls"]
    with httpx.Client(base_url=sqlite_server.url, timeout=15.0, follow_redirects=False) as client:
        checks = {
            "Authorization: Bearer": (_bearer, controls.access_token),
            "?access_token=": (_query, controls.access_token),
            "static token": (_bearer, ADMIN_TOKEN),
            "directus_session_token cookie": (_session_cookie, controls.session_cookie),
            "session-mode refresh cookie": (_session_refresh, controls.session_cookie),
            "refresh_token (json)": (_refresh_json, controls.refresh_token),
            "directus_refresh_token cookie": (_refresh_cookie, controls.refresh_cookie),
            "password reset token": (_reset, controls.reset_token),
            "invite token": (_invite, controls.invite_token),
            "verification token": (_verify, controls.verify_token),
        }
        results = {}
        for name, (probe, value) in checks.items():
            response = probe(client, value)
            assert response is not None
            results[name] = (response.status_code, accepted(response))
    assert all(ok for _, ok in results.values()), results
