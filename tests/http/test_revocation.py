"""Decision 16: what revokes access revokes the access tokens already issued, at once.

Every way a user is signed in (a json or cookie mode access token as a Bearer header, the
session cookie of session mode, a static token) and every change that ends or narrows the
access: suspending, deleting, a role, policy, permission or password change, a logout. Also
the session mode's own refresh rules: reuse of a rotated session cookie revokes its chain, and
what the session JWT carries is no refresh token in another mode. And ``ip_access`` fails
closed when the client address is unknown.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import jwt as pyjwt
import pytest

from tests.conftest import Harness

ENV = {"IP_TRUST_PROXY": "true"}

SESSION_COOKIE = "directus_session_token"
ROLES = "/roles?fields=id,name"
MODES = ["json", "cookie", "session", "static"]
SIGNED_IN = ["json", "cookie", "session"]


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@dataclass
class Caller:
    """One signed-in user, in one mode: ``get`` sends the mode's credential, ``logout`` ends
    the session the way a client of that mode does."""

    user: dict[str, Any]
    get: Callable[[str], httpx.Response]
    logout: Callable[[], httpx.Response | None]


def _sign_in(harness: Harness, mode: str, **fields: Any) -> Caller:
    static = f"static-{secrets.token_hex(12)}"
    user = harness.create_user(token=static, **fields)
    client = harness.client
    if mode == "static":
        headers = {"Authorization": f"Bearer {static}"}
        return Caller(user, lambda path: client.get(path, headers=headers), lambda: None)
    data = harness.tokens(user["email"], mode=mode)
    cookies = dict(client.cookies)
    client.cookies.clear()
    if mode == "session":
        headers = {"Cookie": f"{SESSION_COOKIE}={cookies[SESSION_COOKIE]}"}

        def logout() -> httpx.Response:
            return client.post("/auth/logout", json={"mode": "session"}, headers=headers)

    elif mode == "cookie":
        headers = {"Authorization": f"Bearer {data['access_token']}"}
        refresh_cookie = {"Cookie": f"directus_refresh_token={cookies['directus_refresh_token']}"}

        def logout() -> httpx.Response:
            return client.post("/auth/logout", json={"mode": "cookie"}, headers=refresh_cookie)

    else:
        headers = {"Authorization": f"Bearer {data['access_token']}"}

        def logout() -> httpx.Response:
            return client.post("/auth/logout", json={"refresh_token": data["refresh_token"]})

    def get(path: str) -> httpx.Response:
        client.cookies.clear()
        return client.get(path, headers=headers)

    return Caller(user, get, logout)


def _role_reading_roles(harness: Harness) -> str:
    role = harness.create_role(f"revocation-reader-{secrets.token_hex(4)}")
    harness.grant(role, "directus_roles", "read")
    return role


def _refused(response: httpx.Response, code: str = "INVALID_CREDENTIALS") -> None:
    assert response.status_code == 401, response.text
    assert _code(response) == code


# ------------------------------------------------------------------ ending the user


@pytest.mark.parametrize("mode", MODES)
def test_suspending_ends_the_users_tokens(harness: Harness, mode: str) -> None:
    caller = _sign_in(harness, mode)
    assert caller.get("/users/me").status_code == 200

    patched = harness.client.patch(
        f"/users/{caller.user['id']}", json={"status": "suspended"}, headers=harness.admin
    )

    assert patched.status_code == 200
    _refused(caller.get("/users/me"))


@pytest.mark.parametrize("mode", MODES)
def test_deleting_ends_the_users_tokens(harness: Harness, mode: str) -> None:
    caller = _sign_in(harness, mode)
    assert caller.get("/users/me").status_code == 200

    deleted = harness.client.delete(f"/users/{caller.user['id']}", headers=harness.admin)

    assert deleted.status_code == 204
    _refused(caller.get("/users/me"))


@pytest.mark.parametrize("mode", SIGNED_IN)
def test_a_password_change_ends_the_users_sessions_and_their_tokens(
    harness: Harness, mode: str
) -> None:
    caller = _sign_in(harness, mode)
    assert caller.get("/users/me").status_code == 200

    patched = harness.client.patch(
        f"/users/{caller.user['id']}", json={"password": "An0ther-Passw0rd!"}, headers=harness.admin
    )

    assert patched.status_code == 200
    _refused(caller.get("/users/me"))


def test_a_password_change_through_the_users_own_json_token_keeps_that_session(
    harness: Harness,
) -> None:
    role = harness.create_role(f"revocation-self-{secrets.token_hex(4)}")
    harness.grant(role, "directus_users", "update", fields="password")
    user = harness.create_user(role=role)
    mine = harness.tokens(user["email"])
    other = harness.tokens(user["email"])
    headers = {"Authorization": f"Bearer {mine['access_token']}"}

    patched = harness.client.patch(
        "/users/me", json={"password": "An0ther-Passw0rd!"}, headers=headers
    )

    assert patched.status_code in (200, 204), patched.text
    assert harness.client.get("/users/me", headers=headers).status_code == 200
    _refused(
        harness.client.get(
            "/users/me", headers={"Authorization": f"Bearer {other['access_token']}"}
        )
    )


@pytest.mark.parametrize("mode", SIGNED_IN)
def test_logout_ends_the_access_tokens_of_that_session_only(harness: Harness, mode: str) -> None:
    caller = _sign_in(harness, mode)
    elsewhere = harness.tokens(caller.user["email"])
    harness.client.cookies.clear()
    assert caller.get("/users/me").status_code == 200

    response = caller.logout()
    assert response is not None
    assert response.status_code == 204

    _refused(caller.get("/users/me"))
    other = harness.client.get(
        "/users/me", headers={"Authorization": f"Bearer {elsewhere['access_token']}"}
    )
    assert other.status_code == 200


def test_reuse_after_the_grace_period_ends_the_access_tokens_of_the_chain(
    harness: Harness,
) -> None:
    user = harness.create_user()
    first = harness.tokens(user["email"])
    second = harness.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    thief = {"Authorization": f"Bearer {second.json()['data']['access_token']}"}
    assert harness.client.get("/users/me", headers=thief).status_code == 200
    harness.clock.advance(11)

    reused = harness.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    _refused(reused)
    _refused(harness.client.get("/users/me", headers=thief))


# ------------------------------------------------------------- narrowing the access


@pytest.mark.parametrize("mode", MODES)
def test_a_role_change_ends_tokens_issued_under_the_old_role(harness: Harness, mode: str) -> None:
    caller = _sign_in(harness, mode, role=_role_reading_roles(harness))
    assert caller.get(ROLES).status_code == 200
    other_role = harness.create_role(f"revocation-other-{secrets.token_hex(4)}")

    patched = harness.client.patch(
        f"/users/{caller.user['id']}", json={"role": other_role}, headers=harness.admin
    )

    assert patched.status_code == 200
    after = caller.get(ROLES)
    if mode == "static":
        assert after.status_code == 403  # a static token has no role of its own: the current one
    else:
        _refused(after, "TOKEN_EXPIRED")  # a refresh gives a token of the new role


def test_after_a_role_change_a_refresh_gives_the_new_roles_access(harness: Harness) -> None:
    user = harness.create_user(role=_role_reading_roles(harness))
    tokens = harness.tokens(user["email"])
    harness.client.patch(
        f"/users/{user['id']}",
        json={"role": harness.create_role(f"revocation-other-{secrets.token_hex(4)}")},
        headers=harness.admin,
    )

    refreshed = harness.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    ).json()["data"]
    headers = {"Authorization": f"Bearer {refreshed['access_token']}"}

    assert harness.client.get("/users/me", headers=headers).status_code == 200
    assert harness.client.get(ROLES, headers=headers).status_code == 403


@pytest.mark.parametrize("mode", MODES)
def test_removing_a_users_policy_narrows_its_tokens_at_once(harness: Harness, mode: str) -> None:
    role = harness.create_role(f"revocation-direct-{secrets.token_hex(4)}")
    harness.grant(role, "directus_roles", "read")
    policy = harness.sql("SELECT policy FROM directus_access WHERE role = :r", r=role)[0][0]
    caller = _sign_in(harness, mode)
    attached = harness.client.post(
        "/access", json={"user": caller.user["id"], "policy": str(policy)}, headers=harness.admin
    )
    assert attached.status_code == 200, attached.text
    assert caller.get(ROLES).status_code == 200

    removed = harness.client.delete(
        f"/access/{attached.json()['data']['id']}", headers=harness.admin
    )

    assert removed.status_code == 204
    assert caller.get(ROLES).status_code == 403


@pytest.mark.parametrize("mode", MODES)
def test_removing_a_permission_stops_serving_at_once(harness: Harness, mode: str) -> None:
    role = _role_reading_roles(harness)
    caller = _sign_in(harness, mode, role=role)
    assert caller.get(ROLES).status_code == 200
    permission = harness.sql(
        "SELECT p.id FROM directus_permissions p JOIN directus_access a ON a.policy = p.policy"
        " WHERE a.role = :r",
        r=role,
    )[0][0]

    removed = harness.client.delete(f"/permissions/{permission}", headers=harness.admin)

    assert removed.status_code == 204
    assert caller.get(ROLES).status_code == 403


# ------------------------------------------------------------------ session mode


def _session_login(harness: Harness) -> str:
    user = harness.create_user()
    harness.login(user["email"], mode="session")
    cookie: str = harness.client.cookies[SESSION_COOKIE]
    harness.client.cookies.clear()
    return cookie


def _session_refresh(harness: Harness, cookie: str) -> httpx.Response:
    harness.client.cookies.clear()
    return harness.client.post(
        "/auth/refresh", json={"mode": "session"}, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
    )


def _me(harness: Harness, cookie: str) -> httpx.Response:
    harness.client.cookies.clear()
    return harness.client.get("/users/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})


def _new_cookie(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    value: str = response.cookies[SESSION_COOKIE]
    return value


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return claims


def test_reuse_of_a_rotated_session_cookie_revokes_the_chain(harness: Harness) -> None:
    victim = _session_login(harness)
    thief = _new_cookie(_session_refresh(harness, victim))
    assert _me(harness, thief).status_code == 200
    harness.clock.advance(11)

    reused = _session_refresh(harness, victim)

    _refused(reused)
    assert reused.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=; Max-Age=0;")
    _refused(_me(harness, thief))
    _refused(_session_refresh(harness, thief))


def test_a_session_cookie_refreshed_twice_within_the_grace_period_gets_one_successor(
    harness: Harness,
) -> None:
    cookie = _session_login(harness)

    one = _new_cookie(_session_refresh(harness, cookie))
    harness.clock.advance(5)
    two = _new_cookie(_session_refresh(harness, cookie))

    assert _claims(one)["session"] == _claims(two)["session"]
    assert _me(harness, two).status_code == 200


@pytest.mark.parametrize("cookie", ["garbage", "logged out"])
def test_a_dead_session_cookie_is_refused_at_refresh_as_directus_does(
    harness: Harness, cookie: str
) -> None:
    value = "garbage"
    if cookie == "logged out":
        value = _session_login(harness)
        logout = harness.client.post(
            "/auth/logout",
            json={"mode": "session"},
            headers={"Cookie": f"{SESSION_COOKIE}={value}"},
        )
        assert logout.status_code == 204

    for body in ({"mode": "session"}, {}):
        harness.client.cookies.clear()
        response = harness.client.post(
            "/auth/refresh", json=body, headers={"Cookie": f"{SESSION_COOKIE}={value}"}
        )
        _refused(response)
        assert response.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=; Max-Age=0;")


def test_a_session_cookie_of_a_changed_role_refreshes_into_the_new_role(harness: Harness) -> None:
    user = harness.create_user(role=_role_reading_roles(harness))
    harness.login(user["email"], mode="session")
    cookie = harness.client.cookies[SESSION_COOKIE]
    other_role = harness.create_role(f"revocation-other-{secrets.token_hex(4)}")
    harness.client.patch(f"/users/{user['id']}", json={"role": other_role}, headers=harness.admin)
    _refused(_me(harness, cookie), "TOKEN_EXPIRED")

    refreshed = _new_cookie(_session_refresh(harness, cookie))

    assert _claims(refreshed)["role"] == other_role
    assert _me(harness, refreshed).status_code == 200


def test_the_session_jwt_carries_no_refresh_token_for_json_mode(harness: Harness) -> None:
    cookie = _session_login(harness)
    claims = _claims(cookie)
    assert set(claims) >= {"id", "role", "app_access", "admin_access", "session", "iat", "exp"}

    response = harness.client.post(
        "/auth/refresh", json={"refresh_token": claims["session"], "mode": "json"}
    )

    _refused(response)
    assert _me(harness, cookie).status_code == 200


def test_the_session_jwt_refreshes_nothing_once_the_cookie_expired(harness: Harness) -> None:
    cookie = _session_login(harness)
    harness.clock.advance(harness.settings.session_cookie_ttl.total_seconds() + 1)

    as_json = harness.client.post(
        "/auth/refresh", json={"refresh_token": _claims(cookie)["session"], "mode": "json"}
    )
    as_session = _session_refresh(harness, cookie)

    _refused(as_json)
    _refused(as_session, "TOKEN_EXPIRED")


def test_json_and_cookie_access_tokens_name_their_session_but_not_as_session_mode(
    harness: Harness,
) -> None:
    user = harness.create_user()
    for mode in ("json", "cookie"):
        claims = _claims(harness.tokens(user["email"], mode=mode)["access_token"])
        assert "session" not in claims
        assert isinstance(claims.get("sid"), str)


# ------------------------------------------------------------------------ ip_access


def test_ip_access_fails_closed_when_the_client_address_is_unknown(harness: Harness) -> None:
    role = harness.create_role(f"revocation-ip-{secrets.token_hex(4)}", admin=True)
    harness.db.write_sync(
        lambda conn: conn.exec_driver_sql(
            "UPDATE directus_policies SET ip_access = '10.0.0.0/8' WHERE id IN"
            f" (SELECT policy FROM directus_access WHERE role = '{role}')"
        )
    )
    static = f"static-{secrets.token_hex(12)}"
    harness.create_user(token=static, role=role)
    headers = {"Authorization": f"Bearer {static}"}

    known_outside = harness.client.get(
        "/users", headers={**headers, "X-Forwarded-For": "192.0.2.7"}
    )
    unknown = harness.client.get("/users", headers={**headers, "X-Forwarded-For": "garbage"})
    inside = harness.client.get("/users", headers={**headers, "X-Forwarded-For": "10.1.2.3"})

    assert known_outside.status_code == 403
    assert unknown.status_code == 403, unknown.text
    assert inside.status_code == 200
