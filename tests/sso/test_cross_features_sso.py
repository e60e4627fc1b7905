"""Where SSO meets the other features, in process against the real OpenID peer (SQLite, and
PostgreSQL + Redis): a sign-in through the provider, or through an identity linked to a
password account, is a session ``/users/me/sessions`` lists (mode, current) and ends at once;
back-channel and RP-initiated logout take it off that list; "sign out everywhere else" ends it
but keeps API keys; linking mails its owner once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import jwt as pyjwt
import pytest

from authgate.mail.outbox import MemoryOutbox
from tests.sso.conftest import (
    APP_ORIGIN,
    BrowserFactory,
    OidcPeer,
    SsoApp,
    callbacks,
    new_login,
    sso_app,
)
from tests.sso.sso_servers import PEER_PASSWORD, OpServer, start_op_server
from tests.sso.test_openid_logout import confirm_logout_at_provider
from tests.support.backends import BACKENDS

PASSWORD = "peer-Passw0rd"
LOCAL_PASSWORD = "local-Passw0rd-1"
ALLOWED = "http://app.example.com/bye"
SESSION_COOKIE = "directus_session_token"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


CLIENT_IDS: dict[str, str] = {}


def _running(
    request: pytest.FixtureRequest,
    oidc_peer: OidcPeer,
    tmp_path_factory: pytest.TempPathFactory,
    extra: dict[str, str],
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(
        callbacks("op"),
        post_logout_redirect_uris=[ALLOWED],
        backchannel_logout_uri=f"{APP_ORIGIN}/auth/login/op/backchannel-logout",
        backchannel_logout_session_required=True,
    )
    env = {
        "AUTH_PROVIDERS": "op",
        "AUTH_OP_DRIVER": "openid",
        "AUTH_OP_ISSUER_URL": oidc_peer.issuer,
        "AUTH_OP_CLIENT_ID": client["client_id"],
        "AUTH_OP_CLIENT_SECRET": client["client_secret"],
        "AUTH_OP_ALLOW_PUBLIC_REGISTRATION": "true",
        "AUTH_OP_REDIRECT_ALLOW_LIST": ALLOWED,
        **extra,
    }
    folder = tmp_path_factory.mktemp(f"cross-sso-{request.param}")
    with sso_app(env, request.param, folder) as running:
        CLIENT_IDS[running.backend] = str(client["client_id"])
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    yield from _running(request, oidc_peer, tmp_path_factory, {})


@pytest.fixture(scope="module", params=BACKENDS)
def eddsa(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    yield from _running(request, oidc_peer, tmp_path_factory, {"AUTH_JWT_ALGORITHM": "EdDSA"})


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


def _call(app: SsoApp, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    app.client.cookies.clear()
    return app.client.request(method, path, headers=headers)


def _sessions(app: SsoApp, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = _call(app, "GET", "/users/me/sessions", headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def _current(app: SsoApp, headers: dict[str, str]) -> dict[str, Any]:
    [current] = [s for s in _sessions(app, headers) if s["current"]]
    return current


def _account(oidc_peer: OidcPeer) -> str:
    login = new_login("cross")
    oidc_peer.add_account(login, PASSWORD, email=f"{login}@peer.example.com", email_verified=True)
    return login


def _provider_sign_in(app: SsoApp, browser_factory: BrowserFactory, login: str) -> dict[str, str]:
    """A sign-in through the provider (a new browser at the peer); its session cookie."""
    app.client.cookies.clear()
    flow = browser_factory(app.client).login(
        "/auth/login/op?redirect=/app", login=login, password=PASSWORD
    )
    assert flow.location == "/app", flow.location
    value = app.client.cookies[SESSION_COOKIE]
    app.client.cookies.clear()
    return _cookie(value)


def _local(app: SsoApp) -> tuple[str, str]:
    email = f"{new_login('local')}@example.com"
    app.client.cookies.clear()
    made = app.client.post(
        "/users", json={"email": email, "password": LOCAL_PASSWORD}, headers=app.admin
    )
    assert made.status_code == 200, made.text
    return str(made.json()["data"]["id"]), email


def _password(app: SsoApp, email: str, mode: str = "json") -> dict[str, str]:
    app.client.cookies.clear()
    response = app.client.post(
        "/auth/login", json={"email": email, "password": LOCAL_PASSWORD, "mode": mode}
    )
    assert response.status_code == 200, response.text
    if mode == "session":
        value = app.client.cookies[SESSION_COOKIE]
        app.client.cookies.clear()
        return _cookie(value)
    app.client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def _linked(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> tuple[str, str, str]:
    """A password account with the peer's identity ``login`` linked; ``(id, email, login)``."""
    user, email = _local(app)
    login = _account(oidc_peer)
    app.client.cookies.clear()
    signed = app.client.post(
        "/auth/login", json={"email": email, "password": LOCAL_PASSWORD, "mode": "session"}
    )
    assert signed.status_code == 200, signed.text
    flow = browser_factory(app.client).login(
        "/auth/link/op?redirect=/admin/account", login=login, password=PASSWORD
    )
    assert flow.location == "/admin/account", flow.location
    app.client.cookies.clear()
    return user, email, login


def _notices(app: SsoApp, to: str) -> list[str]:
    outbox = app.app.services.outbox
    assert isinstance(outbox, MemoryOutbox)
    return [m.template for m in outbox.sent if m.to == to and m.template.startswith("security-")]


def _logout_token(oidc_peer: OidcPeer, app: SsoApp, sub: str) -> str:
    """A back-channel logout token naming ``sub``, signed by the provider's key."""
    now = int(time.time())
    claims = {
        "iss": oidc_peer.issuer,
        "aud": CLIENT_IDS[app.backend],
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "events": {EVENT: {}},
        "sub": sub,
    }
    response = httpx.post(
        oidc_peer.url("/_test/sign"), json={"header": {}, "claims": claims}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.text


def _back_channel(app: SsoApp, token: str) -> httpx.Response:
    app.client.cookies.clear()
    return app.client.post("/auth/login/op/backchannel-logout", data={"logout_token": token})


# --------------------------------------------------------------------------- sign-in paths


def test_a_provider_sign_in_is_listed_current_and_ended_at_once(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = _account(oidc_peer)
    first = _provider_sign_in(app, browser_factory, login)
    second = _provider_sign_in(app, browser_factory, login)

    mine = _current(app, first)
    ended = _call(app, "DELETE", f"/users/me/sessions/{mine['id']}", second)

    assert mine["mode"] == "session"
    assert mine["id"] != _current(app, second)["id"]
    assert ended.status_code == 204, ended.text
    assert _call(app, "GET", "/users/me", first).status_code == 401
    assert [s["id"] for s in _sessions(app, second)] == [_current(app, second)["id"]]


def test_a_linked_identity_sign_in_is_listed_current_and_ended_at_once(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    user, email, login = _linked(app, oidc_peer, browser_factory)
    by_password = _password(app, email)

    by_link = _provider_sign_in(app, browser_factory, login)
    mine = _current(app, by_link)
    me = _call(app, "GET", "/users/me", by_link).json()["data"]
    before = [s["id"] for s in _sessions(app, by_password)]
    ended = _call(app, "DELETE", f"/users/me/sessions/{mine['id']}", by_password)

    assert me["id"] == user
    assert mine["mode"] == "session"
    assert mine["id"] in before
    assert ended.status_code == 204, ended.text
    assert _call(app, "GET", "/users/me", by_link).status_code == 401
    assert mine["id"] not in [s["id"] for s in _sessions(app, by_password)]


# ------------------------------------------------------------------------------- logouts


def test_a_back_channel_logout_takes_the_session_off_the_list(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = _account(oidc_peer)
    signed = _provider_sign_in(app, browser_factory, login)
    user = _call(app, "GET", "/users/me", signed).json()["data"]["id"]
    session = _current(app, signed)["id"]

    answer = _back_channel(app, _logout_token(oidc_peer, app, login))
    listed = _call(app, "GET", f"/users/{user}/sessions", app.admin)

    assert answer.status_code == 200, answer.text
    assert _call(app, "GET", "/users/me/sessions", signed).status_code == 401
    assert session not in [s["id"] for s in listed.json()["data"]]


def test_a_back_channel_logout_ends_a_linked_identitys_session_only(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    _, email, login = _linked(app, oidc_peer, browser_factory)
    by_password = _password(app, email)
    by_link = _provider_sign_in(app, browser_factory, login)
    linked_session = _current(app, by_link)["id"]

    answer = _back_channel(app, _logout_token(oidc_peer, app, login))

    assert answer.status_code == 200, answer.text
    assert _call(app, "GET", "/users/me", by_link).status_code == 401
    listed = _sessions(app, by_password)
    assert linked_session not in [s["id"] for s in listed]
    assert _current(app, by_password)["mode"] == "json"


@pytest.mark.parametrize("linked", [False, True])
def test_an_rp_initiated_logout_takes_the_session_off_the_list(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory, linked: bool
) -> None:
    if linked:
        _, email, login = _linked(app, oidc_peer, browser_factory)
    else:
        login = _account(oidc_peer)
    by_provider = _provider_sign_in(app, browser_factory, login)
    other = _password(app, email) if linked else _provider_sign_in(app, browser_factory, login)
    session = _current(app, by_provider)["id"]

    app.client.cookies.clear()
    response = app.client.get("/auth/logout/op", params={"redirect": ALLOWED}, headers=by_provider)

    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc_peer.url("/session/end")
    assert _call(app, "GET", "/users/me", by_provider).status_code == 401
    assert session not in [s["id"] for s in _sessions(app, other)]


def test_sign_out_everywhere_else_ends_sso_sessions_and_keeps_keys(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    _, email, login = _linked(app, oidc_peer, browser_factory)
    caller = _password(app, email, "session")
    by_link = _provider_sign_in(app, browser_factory, login)
    made = app.client.post("/users/me/keys", json={"name": "ci"}, headers=caller)
    assert made.status_code == 200, made.text
    key = {"Authorization": f"Bearer {made.json()['data']['token']}"}

    ended = _call(app, "DELETE", "/users/me/sessions", caller)

    assert ended.status_code == 204, ended.text
    assert _call(app, "GET", "/users/me", by_link).status_code == 401
    assert [s["current"] for s in _sessions(app, caller)] == [True]
    assert _call(app, "GET", "/users/me", key).status_code == 200


# ------------------------------------------------------------------------------- notices


def test_linking_then_signing_in_with_the_identity_mails_once(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    _, email, login = _linked(app, oidc_peer, browser_factory)

    _provider_sign_in(app, browser_factory, login)
    _provider_sign_in(app, browser_factory, login)

    assert _notices(app, email) == ["security-identity-linked"]


def test_unlinking_mails_once_and_leaves_the_sessions_it_opened_listed(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    _, email, login = _linked(app, oidc_peer, browser_factory)
    by_password = _password(app, email)
    by_link = _provider_sign_in(app, browser_factory, login)
    [identity] = _call(app, "GET", "/users/me/identities", by_password).json()["data"]

    gone = _call(app, "DELETE", f"/users/me/identities/{identity['id']}", by_password)

    assert gone.status_code == 204, gone.text
    assert _notices(app, email) == ["security-identity-linked", "security-identity-unlinked"]
    # As the README says: sessions it opened stand until they end.
    assert _current(app, by_link)["id"] in [s["id"] for s in _sessions(app, by_password)]


# ---------------------------------------------------------------------------------- EdDSA


def test_with_eddsa_provider_and_linked_sessions_are_listed_and_ended(
    eddsa: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    _, email, login = _linked(eddsa, oidc_peer, browser_factory)
    by_password = _password(eddsa, email)
    token = by_password["Authorization"].removeprefix("Bearer ")
    assert pyjwt.get_unverified_header(token)["alg"] == "EdDSA"
    by_link = _provider_sign_in(eddsa, browser_factory, login)
    eddsa.client.cookies.clear()
    made = eddsa.client.post("/users/me/keys", json={"name": "ci"}, headers=by_password)
    assert made.status_code == 200, made.text
    key = {"Authorization": f"Bearer {made.json()['data']['token']}"}

    mine = _current(eddsa, by_link)
    ended = _call(eddsa, "DELETE", f"/users/me/sessions/{mine['id']}", by_password)
    logged_out = _back_channel(eddsa, _logout_token(oidc_peer, eddsa, login))

    assert mine["mode"] == "session"
    assert ended.status_code == 204, ended.text
    assert _call(eddsa, "GET", "/users/me", by_link).status_code == 401
    assert logged_out.status_code == 200, logged_out.text
    listed = _sessions(eddsa, by_password)
    assert mine["id"] not in [s["id"] for s in listed]
    assert [s["mode"] for s in listed if s["current"]] == ["json"]
    assert _call(eddsa, "GET", "/users/me", key).status_code == 200


# ------------------------------------------------- the provider's own back-channel (a server)


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpServer]:
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"cross-op-{request.param}")
        yield start_op_server(stack, tmp, request.param, oidc_peer)


def test_signing_out_at_the_provider_ends_a_linked_identitys_session_here(
    server: OpServer, browser_factory: BrowserFactory
) -> None:
    """The provider's own logout token (``sid`` and ``sub``, the linked identity's subject)."""
    _, email = server.local_user()
    login = server.account()
    linking = browser_factory(server.client(), server.url)
    server.password_login(linking.app, email, "session")
    flow = linking.login(
        "/auth/link/op?redirect=/admin/account", login=login, password=PEER_PASSWORD
    )
    assert flow.location == "/admin/account", flow.location
    password = server.client()
    tokens = server.password_login(password, email, "json")
    by_password = {"Authorization": f"Bearer {tokens['access_token']}"}
    browser = browser_factory(server.client(), server.url)
    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PEER_PASSWORD)
    assert flow.location == "/app", flow.location
    mine = [s for s in browser.app.get("/users/me/sessions").json()["data"] if s["current"]]
    assert len(mine) == 1

    answer = confirm_logout_at_provider(browser, server.peer.url("/session/end"))

    assert answer.status_code == 303
    assert f"back-channel logout to {server.client_id} delivered" in server.peer.log()
    assert browser.app.get("/users/me").status_code == 401
    listed = password.get("/users/me/sessions", headers=by_password)
    assert listed.status_code == 200, listed.text
    assert mine[0]["id"] not in [s["id"] for s in listed.json()["data"]]
