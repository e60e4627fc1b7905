"""``/users/me/sessions`` and ``/users/:id/sessions``: one's own sessions, listed with the
current one marked, ended one by one or all but the current one; an administrator's view of
anyone's. Every login mode, every token transport, every kind of user."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import Harness, unique_email

SESSION_COOKIE = "directus_session_token"
MODES = ["json", "cookie", "session"]
TRANSPORTS = ["header", "query", "cookie"]
KINDS = ["custom", "app", "roleless", "admin"]


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture(scope="module")
def roles(harness: Harness) -> dict[str, str | None]:
    custom = harness.create_role("Sessions readers")
    harness.grant(custom, "directus_users", "read")
    return {
        "custom": custom,
        "app": harness.create_role("Sessions app", app=True),
        "roleless": None,
        "admin": harness.create_role("Sessions admins", admin=True),
    }


def _user(harness: Harness, roles: dict[str, str | None], kind: str = "custom") -> dict[str, Any]:
    static = f"static-{secrets.token_hex(12)}"
    user = harness.create_user(unique_email(f"own-{kind}"), role=roles[kind], token=static)
    user["static"] = static
    return user


@dataclass
class Signed:
    """One session of a user: its access credential and a way to refresh it."""

    mode: str
    access: str  # the access token, or the session JWT in session mode
    refresh_token: str | None
    refresh_cookie: str | None

    def headers(self, transport: str = "header") -> dict[str, str]:
        if self.mode == "session" or transport == "cookie":
            return {"Cookie": f"{SESSION_COOKIE}={self.access}"}
        return {"Authorization": f"Bearer {self.access}"}

    def call(
        self, harness: Harness, method: str, path: str, transport: str = "header"
    ) -> httpx.Response:
        harness.client.cookies.clear()
        if transport == "query" and self.mode != "session":
            return harness.client.request(method, path, params={"access_token": self.access})
        return harness.client.request(method, path, headers=self.headers(transport))

    def refresh(self, harness: Harness, agent: str = "testclient") -> httpx.Response:
        harness.client.cookies.clear()
        headers = {"User-Agent": agent}
        if self.mode == "json":
            body: dict[str, Any] = {"refresh_token": self.refresh_token, "mode": "json"}
        elif self.mode == "cookie":
            body = {"mode": "cookie"}
            headers["Cookie"] = f"directus_refresh_token={self.refresh_cookie}"
        else:
            body = {"mode": "session"}
            headers["Cookie"] = f"{SESSION_COOKIE}={self.access}"
        response = harness.client.post("/auth/refresh", json=body, headers=headers)
        if response.status_code == 200:
            data = response.json()["data"]
            if self.mode == "session":
                self.access = harness.client.cookies[SESSION_COOKIE]
            else:
                self.access = data["access_token"]
            if self.mode == "cookie":
                self.refresh_cookie = harness.client.cookies["directus_refresh_token"]
            self.refresh_token = data.get("refresh_token")
        harness.client.cookies.clear()
        return response


def _sign_in(harness: Harness, email: str, mode: str = "json", agent: str = "testclient") -> Signed:
    harness.client.cookies.clear()
    response = harness.client.post(
        "/auth/login",
        json={"email": email, "password": "Str0ng-Passw0rd!", "mode": mode},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    cookies = dict(harness.client.cookies)
    harness.client.cookies.clear()
    if mode == "session":
        return Signed(mode, cookies[SESSION_COOKIE], None, None)
    return Signed(
        mode, data["access_token"], data.get("refresh_token"), cookies.get("directus_refresh_token")
    )


def _listed(harness: Harness, signed: Signed, transport: str = "header") -> list[dict[str, Any]]:
    response = signed.call(harness, "GET", "/users/me/sessions", transport)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_the_list_shows_each_session_and_marks_the_current_one(
    harness: Harness, roles: dict[str, str | None], kind: str, mode: str
) -> None:
    user = _user(harness, roles, kind)
    other = _sign_in(harness, user["email"], "json", agent="Phone/1.0")
    harness.clock.advance(5)
    mine = _sign_in(harness, user["email"], mode, agent="Laptop/2.0")

    listed = _listed(harness, mine)

    assert len(listed) == 2
    current = [s for s in listed if s["current"]]
    assert len(current) == 1
    assert current[0]["mode"] == mode
    assert current[0]["user_agent"] == "Laptop/2.0"
    (older,) = [s for s in listed if not s["current"]]
    assert older["mode"] == "json"
    assert older["user_agent"] == "Phone/1.0"
    assert set(current[0]) == {
        "id", "created", "last_used", "expires", "mode", "ip", "user_agent", "current"
    }  # fmt: skip
    assert current[0]["ip"] == "127.0.0.1"
    assert current[0]["created"] > older["created"]
    stored = harness.sql("SELECT token FROM directus_sessions")
    for session in listed:
        assert re.fullmatch(r"[0-9a-f-]{36}", session["id"])
        assert session["id"] not in {row[0] for row in stored}
        assert session["id"] not in (other.access, other.refresh_token, mine.access)
    assert _listed(harness, other)[0]["current"] is (listed[0]["id"] == older["id"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_transport_knows_its_current_session(
    harness: Harness, roles: dict[str, str | None], transport: str
) -> None:
    user = _user(harness, roles)
    first = _sign_in(harness, user["email"], "json")
    second = _sign_in(harness, user["email"], "json")

    one = [s["id"] for s in _listed(harness, first, transport) if s["current"]]
    two = [s["id"] for s in _listed(harness, second, transport) if s["current"]]

    assert len(one) == len(two) == 1
    assert one != two


@pytest.mark.parametrize("mode", MODES)
def test_a_refresh_keeps_the_sessions_identity_and_what_was_first_seen(
    harness: Harness, roles: dict[str, str | None], mode: str
) -> None:
    user = _user(harness, roles)
    signed = _sign_in(harness, user["email"], mode, agent="First/1.0")
    (before,) = _listed(harness, signed)
    harness.clock.advance(120)

    assert signed.refresh(harness, agent="Second/2.0").status_code == 200
    harness.clock.advance(60)
    assert signed.refresh(harness, agent="Third/3.0").status_code == 200
    (after,) = _listed(harness, signed)

    assert after["id"] == before["id"]
    assert after["current"] is True
    assert after["created"] == before["created"]
    assert after["user_agent"] == "First/1.0"
    assert after["last_used"] > before["last_used"]


def test_requests_do_not_move_last_used_but_a_refresh_does(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    user = _user(harness, roles)
    signed = _sign_in(harness, user["email"])
    (first,) = _listed(harness, signed)
    harness.clock.advance(90)
    assert signed.call(harness, "GET", "/users/me").status_code == 200
    (unchanged,) = _listed(harness, signed)
    assert signed.refresh(harness).status_code == 200
    (refreshed,) = _listed(harness, signed)

    assert unchanged["last_used"] == first["last_used"]
    assert refreshed["last_used"] > first["last_used"]


@pytest.mark.parametrize("ended_mode", MODES)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_ending_a_session_stops_its_tokens_at_once(
    harness: Harness, roles: dict[str, str | None], ended_mode: str, transport: str
) -> None:
    user = _user(harness, roles)
    keeper = _sign_in(harness, user["email"], "cookie")
    doomed = _sign_in(harness, user["email"], ended_mode)
    old_access = doomed.access
    if ended_mode != "session":
        assert doomed.refresh(harness).status_code == 200  # a rotated chain ends as a whole
    assert doomed.call(harness, "GET", "/users/me").status_code == 200
    target = next(s["id"] for s in _listed(harness, doomed) if s["current"])

    ended = keeper.call(harness, "DELETE", f"/users/me/sessions/{target}", transport)

    assert ended.status_code == 204, ended.text
    refused = doomed.call(harness, "GET", "/users/me")
    assert (refused.status_code, _code(refused)) == (401, "INVALID_CREDENTIALS")
    earlier = Signed(ended_mode, old_access, None, None).call(harness, "GET", "/users/me")
    assert earlier.status_code == 401
    assert doomed.refresh(harness).status_code in (400, 401)
    assert keeper.call(harness, "GET", "/users/me").status_code == 200
    assert [s["id"] for s in _listed(harness, keeper)] != [target]
    assert target not in [s["id"] for s in _listed(harness, keeper)]


@pytest.mark.parametrize("mode", MODES)
def test_signing_out_everywhere_else_keeps_the_current_session(
    harness: Harness, roles: dict[str, str | None], mode: str
) -> None:
    user = _user(harness, roles, "app")
    others = [_sign_in(harness, user["email"], m) for m in MODES]
    mine = _sign_in(harness, user["email"], mode)

    response = mine.call(harness, "DELETE", "/users/me/sessions")

    assert response.status_code == 204, response.text
    listed = _listed(harness, mine)
    assert [s["current"] for s in listed] == [True]
    for other in others:
        assert other.call(harness, "GET", "/users/me").status_code == 401


def test_a_static_token_has_no_current_session_and_signs_every_session_out(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    user = _user(harness, roles)
    signed = _sign_in(harness, user["email"])
    static = {"Authorization": f"Bearer {user['static']}"}

    listed = harness.client.get("/users/me/sessions", headers=static).json()["data"]
    ended = harness.client.delete("/users/me/sessions", headers=static)

    assert [s["current"] for s in listed] == [False]
    assert ended.status_code == 204
    assert signed.call(harness, "GET", "/users/me").status_code == 401
    assert harness.client.get("/users/me", headers=static).status_code == 200


def test_another_users_session_cannot_be_ended_nor_told_apart_from_none(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    owner = _user(harness, roles)
    intruder = _user(harness, roles)
    victim = _sign_in(harness, owner["email"])
    target = _listed(harness, victim)[0]["id"]
    attacker = _sign_in(harness, intruder["email"])

    answers = [
        attacker.call(harness, "DELETE", f"/users/me/sessions/{target}"),
        attacker.call(harness, "DELETE", "/users/me/sessions/00000000-0000-4000-8000-000000000000"),
        attacker.call(harness, "DELETE", "/users/me/sessions/not-a-session"),
    ]

    for answer in answers:
        assert (answer.status_code, _code(answer)) == (403, "FORBIDDEN")
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert victim.call(harness, "GET", "/users/me").status_code == 200


def test_anonymous_callers_have_no_sessions(harness: Harness) -> None:
    listed = harness.client.get("/users/me/sessions")
    ended = harness.client.delete("/users/me/sessions")

    assert (listed.status_code, _code(listed)) == (401, "INVALID_CREDENTIALS")
    assert (ended.status_code, _code(ended)) == (401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("kind", ["custom", "app", "roleless", "anonymous"])
def test_only_administrators_see_or_end_other_users_sessions(
    harness: Harness, roles: dict[str, str | None], kind: str
) -> None:
    target = _user(harness, roles)
    signed = _sign_in(harness, target["email"])
    headers: dict[str, str] = {}
    if kind != "anonymous":
        caller = _user(harness, roles, kind)
        headers = _sign_in(harness, caller["email"]).headers()
    session = _listed(harness, signed)[0]["id"]
    paths = [
        ("GET", f"/users/{target['id']}/sessions"),
        ("DELETE", f"/users/{target['id']}/sessions"),
        ("DELETE", f"/users/{target['id']}/sessions/{session}"),
        ("GET", "/users/00000000-0000-4000-8000-000000000000/sessions"),
    ]

    for method, path in paths:
        response = harness.client.request(method, path, headers=headers)
        assert (response.status_code, _code(response)) == (403, "FORBIDDEN"), path
    assert signed.call(harness, "GET", "/users/me").status_code == 200


@pytest.mark.parametrize("credential", ["admin-session", "admin-static"])
def test_an_administrator_lists_and_ends_a_users_sessions(
    harness: Harness, roles: dict[str, str | None], credential: str
) -> None:
    target = _user(harness, roles, "app")
    one = _sign_in(harness, target["email"], "json")
    two = _sign_in(harness, target["email"], "session")
    if credential == "admin-static":
        admin = harness.admin
    else:
        admin_user = _user(harness, roles, "admin")
        admin = _sign_in(harness, admin_user["email"]).headers()
    path = f"/users/{target['id']}/sessions"

    listed = harness.client.get(path, headers=admin).json()["data"]
    first = harness.client.delete(f"{path}/{listed[0]['id']}", headers=admin)
    remaining = harness.client.get(path, headers=admin).json()["data"]
    everything = harness.client.delete(path, headers=admin)
    unknown = harness.client.get(
        "/users/00000000-0000-4000-8000-000000000000/sessions", headers=admin
    )

    assert len(listed) == 2
    assert not any(s["current"] for s in listed)
    assert first.status_code == 204
    assert [s["id"] for s in remaining] == [listed[1]["id"]]
    assert everything.status_code == 204
    assert harness.client.get(path, headers=admin).json() == {"data": []}
    for signed in (one, two):
        assert signed.call(harness, "GET", "/users/me").status_code == 401
    assert (unknown.status_code, _code(unknown)) == (403, "FORBIDDEN")


def test_a_logout_removes_the_session_from_the_list(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    user = _user(harness, roles)
    keeper = _sign_in(harness, user["email"])
    leaving = _sign_in(harness, user["email"])

    harness.client.post("/auth/logout", json={"refresh_token": leaving.refresh_token})

    assert [s["current"] for s in _listed(harness, keeper)] == [True]
