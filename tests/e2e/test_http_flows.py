"""The auth flows over real HTTP against a real ``authgate serve``, with mail through real SMTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import INVITE_URL, MAIL_FROM, REGISTER_URL, RESET_URL, Server

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "N3w-Passw0rd!-e2e"


def _error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    return response.status_code, body["errors"][0]["extensions"]["code"]


def _me(client: httpx.Client, **kwargs: Any) -> httpx.Response:
    return client.get("/users/me", params={"fields": "id,email,status"}, **kwargs)


def _login(
    client: httpx.Client, email: str, password: str = PASSWORD, **extra: Any
) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": password, **extra})


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> full Set-Cookie header of the response."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def _cleared(header: str) -> bool:
    """A Set-Cookie that leaves no usable value: empty (Directus) or expired."""
    value = header.split(";", 1)[0].split("=", 1)[1]
    return value == "" or "Max-Age=0" in header


# --------------------------------------------------------------------------------------------
# Login, refresh, logout


def test_json_mode_login_refresh_logout(server: Server) -> None:
    email = unique_email("json")
    user = server.create_user(email, PASSWORD)
    client = server.client()

    login = _login(client, email)
    assert login.status_code == 200, login.text
    assert login.headers["content-type"] == "application/json; charset=utf-8"
    data = login.json()["data"]
    assert sorted(data) == ["access_token", "expires", "refresh_token"]
    assert data["expires"] == 900_000
    assert len(data["refresh_token"]) == 64
    assert "set-cookie" not in login.headers

    me = _me(client, headers={"Authorization": f"Bearer {data['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["data"]["id"] == user["id"]

    refreshed = client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()["data"]
    assert sorted(new) == ["access_token", "expires", "refresh_token"]
    assert new["refresh_token"] != data["refresh_token"]
    me = _me(client, headers={"Authorization": f"Bearer {new['access_token']}"})
    assert me.status_code == 200
    assert me.json()["data"]["id"] == user["id"]

    # authgate's decision (sessions/service.py; Directus kills the old token at once): a repeat
    # within SESSION_REFRESH_GRACE_PERIOD is idempotent and gets the same successor.
    repeat = client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]})
    assert repeat.status_code == 200, repeat.text
    assert repeat.json()["data"]["refresh_token"] == new["refresh_token"]

    logout = client.post("/auth/logout", json={"refresh_token": new["refresh_token"]})
    assert logout.status_code == 204
    assert logout.content == b""
    for dead in (new["refresh_token"], data["refresh_token"]):
        after = client.post("/auth/refresh", json={"refresh_token": dead})
        assert _error(after) == (401, "INVALID_CREDENTIALS")


def test_cookie_mode_login_refresh_logout(server: Server) -> None:
    email = unique_email("cookie")
    user = server.create_user(email, PASSWORD)
    client = server.client()

    login = _login(client, email, mode="cookie")
    assert login.status_code == 200, login.text
    data = login.json()["data"]
    assert sorted(data) == ["access_token", "expires"]
    assert data["expires"] == 900_000
    cookie = _set_cookies(login)["directus_refresh_token"]
    assert "; Max-Age=604800; Path=/; Expires=" in cookie
    assert cookie.endswith("; HttpOnly; SameSite=Lax")
    first_refresh = client.cookies["directus_refresh_token"]
    assert len(first_refresh) == 64

    me = _me(client, headers={"Authorization": f"Bearer {data['access_token']}"})
    assert me.status_code == 200
    assert me.json()["data"]["id"] == user["id"]

    # No body at all: the mode defaults to cookie and the token comes from the cookie.
    refreshed = client.post("/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert sorted(refreshed.json()["data"]) == ["access_token", "expires"]
    assert "directus_refresh_token" in _set_cookies(refreshed)
    second_refresh = client.cookies["directus_refresh_token"]
    assert second_refresh not in ("", first_refresh)
    token = refreshed.json()["data"]["access_token"]
    me = _me(client, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["data"]["id"] == user["id"]

    logout = client.post("/auth/logout")
    assert logout.status_code == 204
    assert _cleared(_set_cookies(logout)["directus_refresh_token"])

    client.cookies.clear()
    for dead in (first_refresh, second_refresh):
        client.cookies.set("directus_refresh_token", dead)
        assert _error(client.post("/auth/refresh")) == (401, "INVALID_CREDENTIALS")
        client.cookies.clear()


def test_session_mode_login_refresh_logout(server: Server) -> None:
    email = unique_email("session")
    user = server.create_user(email, PASSWORD)
    client = server.client()

    login = _login(client, email, mode="session")
    assert login.status_code == 200, login.text
    assert login.json() == {"data": {"expires": 86_400_000}}
    cookie = _set_cookies(login)["directus_session_token"]
    assert cookie.startswith("directus_session_token=ey")
    assert "; Max-Age=86400; Path=/; Expires=" in cookie
    assert cookie.endswith("; HttpOnly; SameSite=Lax")

    # The cookie alone authenticates.
    me = _me(client)
    assert me.status_code == 200, me.text
    assert me.json()["data"]["id"] == user["id"]

    first_jwt = client.cookies["directus_session_token"]
    refreshed = client.post("/auth/refresh", json={"mode": "session"})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json() == {"data": {"expires": 86_400_000}}
    second_jwt = client.cookies["directus_session_token"]
    assert second_jwt not in ("", first_jwt)
    me = _me(client)
    assert me.status_code == 200
    assert me.json()["data"]["id"] == user["id"]

    logout = client.post("/auth/logout", json={"mode": "session"})
    assert logout.status_code == 204
    assert _cleared(_set_cookies(logout)["directus_session_token"])

    # The session behind the latest JWT is gone: the JWT no longer authenticates.
    client.cookies.clear()
    dead = _me(client, headers={"Authorization": f"Bearer {second_jwt}"})
    assert _error(dead) == (401, "INVALID_CREDENTIALS")
    anonymous = _me(client)
    assert _error(anonymous) == (401, "INVALID_CREDENTIALS")


def test_wrong_password_and_unknown_user_are_the_same_401(server: Server) -> None:
    email = unique_email("wrong")
    server.create_user(email, PASSWORD)
    client = server.client()

    wrong = _login(client, email, "not-the-password")
    unknown = _login(client, unique_email("nobody"))

    assert _error(wrong) == (401, "INVALID_CREDENTIALS")
    assert wrong.json() == unknown.json()
    assert wrong.json()["errors"][0]["message"] == "Invalid user credentials."


def test_static_token_and_query_parameter(server: Server) -> None:
    client = server.client()

    by_header = _me(client, headers=server.admin)
    access_token = server.admin["Authorization"].split(" ", 1)[1]
    by_query = client.get("/users/me", params={"fields": "email", "access_token": access_token})
    both = client.get("/users/me", params={"access_token": access_token}, headers=server.admin)

    assert by_header.status_code == 200, by_header.text
    assert by_query.status_code == 200, by_query.text
    assert by_query.json()["data"]["email"] == by_header.json()["data"]["email"]
    assert _error(both) == (400, "INVALID_PAYLOAD")


# --------------------------------------------------------------------------------------------
# Password reset by mail


def test_password_reset_through_the_mailed_link(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("reset")
    server.create_user(email, PASSWORD)
    client = server.client()
    old = _login(client, email).json()["data"]["refresh_token"]

    requested = client.post("/auth/password/request", json={"email": email})
    assert requested.status_code == 204, requested.text

    mail = server.mailbox.next_for(email)
    assert mail.subject == "Password Reset Request"
    assert mail.sender == MAIL_FROM
    assert mail.sender_name == "Directus"  # the project name
    assert mail.envelope_from == MAIL_FROM
    assert mail.to == email
    assert mail.envelope_to == [email]
    assert mail.link.startswith(f"{server.url}/admin/reset-password?token=")
    assert mail.link in mail.text or mail.token in mail.text

    reset = client.post(
        "/auth/password/reset", json={"token": mail.token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text

    assert _error(_login(client, email)) == (401, "INVALID_CREDENTIALS")
    assert _login(client, email, NEW_PASSWORD).status_code == 200
    # A reset ends every session of the user.
    assert _error(client.post("/auth/refresh", json={"refresh_token": old})) == (
        401,
        "INVALID_CREDENTIALS",
    )

    # The same link a second time: the stored hash changed, so the token is refused.
    again = client.post(
        "/auth/password/reset", json={"token": mail.token, "password": "An0ther-Passw0rd!"}
    )
    assert _error(again) == (403, "FORBIDDEN")
    assert _login(client, email, NEW_PASSWORD).status_code == 200


def test_password_request_with_an_allowed_reset_url(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("reseturl")
    server.create_user(email, PASSWORD)
    client = server.client()

    requested = client.post(
        "/auth/password/request", json={"email": email, "reset_url": f"{RESET_URL}?lang=de"}
    )
    assert requested.status_code == 204, requested.text

    mail = server.mailbox.next_for(email)
    parts = urlsplit(mail.link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == RESET_URL
    query = parse_qs(parts.query)
    assert query["lang"] == ["de"]
    assert (
        client.post(
            "/auth/password/reset", json={"token": query["token"][0], "password": NEW_PASSWORD}
        ).status_code
        == 204
    )


def test_a_reset_url_off_the_allow_list_is_refused(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("evil")
    server.create_user(email, PASSWORD)
    client = server.client()

    response = client.post(
        "/auth/password/request", json={"email": email, "reset_url": "http://evil.test/reset"}
    )

    assert _error(response) == (400, "INVALID_PAYLOAD")
    assert response.json()["errors"][0]["message"] == (
        'Invalid payload. URL "http://evil.test/reset" can\'t be used to reset passwords.'
    )
    server.mailbox.assert_none_for(email, wait=0.5)


def test_unknown_address_gets_the_same_answer_and_no_mail(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("ghost")
    client = server.client()

    response = client.post("/auth/password/request", json={"email": email})

    assert response.status_code == 204
    server.mailbox.assert_none_for(email, wait=0.5)


# --------------------------------------------------------------------------------------------
# Registration with email verification


def test_registration_verification_then_login(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("register")
    client = server.client()

    registered = client.post(
        "/users/register", json={"email": email, "password": PASSWORD, "first_name": "Reg"}
    )
    assert registered.status_code == 204, registered.text

    before = _login(client, email)
    assert _error(before) == (401, "INVALID_CREDENTIALS")

    mail = server.mailbox.next_for(email)
    assert mail.subject == "Verify your email address"
    assert mail.sender == MAIL_FROM
    assert mail.to == email
    assert mail.link.startswith(f"{server.url}/users/register/verify-email?token=")

    verified = client.get(mail.link)
    assert verified.status_code == 302, verified.text
    location = verified.headers["location"]
    assert location.startswith("/admin/users/")

    login = _login(client, email)
    assert login.status_code == 200, login.text
    me = _me(client, headers={"Authorization": f"Bearer {login.json()['data']['access_token']}"})
    # A user without a role may not read its own fields: /users/me answers just the id.
    assert me.json() == {"data": {"id": location.removeprefix("/admin/users/")}}

    again = client.get(mail.link)
    assert _error(again) == (400, "INVALID_PAYLOAD")


def test_registration_with_an_allowed_and_a_refused_verification_url(server: Server) -> None:
    assert server.mailbox is not None
    client = server.client()
    email = unique_email("regurl")

    refused = client.post(
        "/users/register",
        json={"email": email, "password": PASSWORD, "verification_url": "http://evil.test/verify"},
    )
    allowed = client.post(
        "/users/register",
        json={"email": email, "password": PASSWORD, "verification_url": REGISTER_URL},
    )

    assert _error(refused) == (400, "INVALID_PAYLOAD")
    assert allowed.status_code == 204, allowed.text
    mail = server.mailbox.next_for(email)
    assert mail.link.startswith(f"{REGISTER_URL}?token=")


# --------------------------------------------------------------------------------------------
# Invitations


def test_invite_accept_then_login(server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("invite")
    client = server.client()
    role = server.admin_role()

    invited = client.post(
        "/users/invite", json={"email": email, "role": role}, headers=server.admin
    )
    assert invited.status_code == 204, invited.text

    mail = server.mailbox.next_for(email)
    assert mail.subject == "You've been invited"
    assert mail.sender == MAIL_FROM
    assert mail.to == email
    assert mail.link.startswith(f"{server.url}/admin/accept-invite?token=")

    assert _error(_login(client, email)) == (401, "INVALID_CREDENTIALS")
    accepted = client.post("/users/invite/accept", json={"token": mail.token, "password": PASSWORD})
    assert accepted.status_code == 204, accepted.text

    login = _login(client, email)
    assert login.status_code == 200, login.text
    me = _me(client, headers={"Authorization": f"Bearer {login.json()['data']['access_token']}"})
    # Invited with the admin role: the user reads its own record.
    assert me.json()["data"]["email"] == email
    assert me.json()["data"]["status"] == "active"

    again = client.post("/users/invite/accept", json={"token": mail.token, "password": PASSWORD})
    assert _error(again) == (400, "INVALID_INVITE")


def test_invite_with_an_allowed_and_a_refused_invite_url(server: Server) -> None:
    assert server.mailbox is not None
    client = server.client()
    role = server.admin_role()
    email = unique_email("inviteurl")

    refused = client.post(
        "/users/invite",
        json={"email": email, "role": role, "invite_url": "http://evil.test/invite"},
        headers=server.admin,
    )
    allowed = client.post(
        "/users/invite",
        json={"email": email, "role": role, "invite_url": INVITE_URL},
        headers=server.admin,
    )

    assert _error(refused) == (400, "INVALID_PAYLOAD")
    assert allowed.status_code == 204, allowed.text
    mail = server.mailbox.next_for(email)
    assert mail.link.startswith(f"{INVITE_URL}?token=")


# --------------------------------------------------------------------------------------------


def test_the_server_logged_no_error(server: Server) -> None:
    """Runs after the flows above: nothing they did made the server log an error or a traceback."""
    bad = [
        line
        for line in server.stderr().splitlines()
        if "Traceback" in line or " ERROR " in line or " CRITICAL " in line
    ]
    assert bad == []
