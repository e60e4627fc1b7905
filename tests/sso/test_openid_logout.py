"""OpenID Connect RP-initiated logout and back-channel logout, against the suite's real OpenID
provider (node ``oidc-provider``, both features on) and a real ``authgate serve`` on SQLite
and on PostgreSQL + Redis: the provider POSTs its logout tokens to the server itself.

Hand-made logout tokens are signed by the provider's own key (the peer's ``/_test/sign``), so
that each refusal is about the one claim a test changed, not about the signature."""

from __future__ import annotations

import html.parser
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2 as httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sso.conftest import Browser, OidcPeer
from tests.sso.sso_servers import ALLOWED, PEER_PASSWORD, OpServer, start_op_server
from tests.support.backends import BACKENDS

EVENT = "http://schemas.openid.net/event/backchannel-logout"
SESSION_COOKIE = "directus_session_token"
REFUSED = {
    "errors": [
        {
            "message": "Invalid payload. The logout token can't be accepted.",
            "extensions": {
                "reason": "The logout token can't be accepted",
                "code": "INVALID_PAYLOAD",
            },
        }
    ]
}


@pytest.fixture(scope="module", params=BACKENDS)
def op(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpServer]:
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"op-logout-{request.param}")
        yield start_op_server(stack, tmp, request.param, oidc_peer)


def signed_in(op: OpServer, browser_factory: Any) -> tuple[Browser, str]:
    """A browser signed in to authgate through the provider (a new account); its login."""
    login = op.account()
    browser: Browser = browser_factory(op.client(), op.url)
    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PEER_PASSWORD)
    assert flow.location == "/app", flow.location
    assert SESSION_COOKIE in browser.app.cookies
    return browser, login


def me(client: httpx.Client, cookie: str) -> int:
    """The status of ``GET /users/me`` with only this session cookie."""
    base = str(client.base_url).rstrip("/")
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    return httpx.get(f"{base}/users/me", headers=headers, timeout=10).status_code


class _Form(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.buttons: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "button":
            self.buttons.append(values)


def confirm_logout_at_provider(browser: Browser, url: str) -> httpx.Response:
    """The provider's logout confirmation page, answered "Yes, sign me out" as a person's
    browser sends it (the form's fields and the pressed button's name and value)."""
    page = browser.web.get(url)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    yes = next(b for b in form.buttons if b.get("name") == "logout")
    fields = {**form.fields, yes["name"]: yes["value"]}
    return browser.web.post(urljoin(url, form.action), data=fields)


def needs_a_password_again(browser: Browser) -> bool:
    """A new authorization request stops at the provider's login form."""
    flow = browser.login("/auth/login/op?redirect=/app")
    return flow.last.status_code == 200 and 'name="password"' in flow.last.text


# ---------------------------------------------------------------------- RP-initiated logout


def test_without_logout_the_provider_signs_in_again_without_a_password(
    op: OpServer, browser_factory: Any
) -> None:
    browser, _ = signed_in(op, browser_factory)

    assert not needs_a_password_again(browser)


def test_logout_ends_the_session_here_and_at_the_provider(
    op: OpServer, browser_factory: Any
) -> None:
    browser, login = signed_in(op, browser_factory)
    cookie = browser.app.cookies[SESSION_COOKIE]
    assert me(browser.app, cookie) == 200

    response = browser.app.get("/auth/logout/op", params={"redirect": ALLOWED})

    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    target = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == op.peer.url("/session/end")
    assert query["post_logout_redirect_uri"] == ALLOWED
    assert query["client_id"] == op.client_id
    hint = pyjwt.decode(query["id_token_hint"], options={"verify_signature": False})
    assert (hint["sub"], hint["aud"], hint["iss"]) == (login, op.client_id, op.peer.issuer)
    assert f"{SESSION_COOKIE}=;" in response.headers["set-cookie"]
    assert me(browser.app, cookie) == 401  # the session has ended here

    answer = confirm_logout_at_provider(browser, response.headers["location"])

    assert answer.status_code == 303
    assert answer.headers["location"] == ALLOWED
    assert needs_a_password_again(browser)
    # The ID token was kept for this, and is neither logged nor answered anywhere.
    assert query["id_token_hint"] not in op.server.stderr()


def test_a_redirect_that_is_not_allowed_is_refused_and_ends_nothing(
    op: OpServer, browser_factory: Any
) -> None:
    browser, _ = signed_in(op, browser_factory)
    cookie = browser.app.cookies[SESSION_COOKIE]

    for redirect in ("https://evil.example/", "//evil.example/", "http://app.example.com/x"):
        response = browser.app.get("/auth/logout/op", params={"redirect": redirect})
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "INVALID_PAYLOAD"
        assert error["message"] == (
            f'Invalid payload. URL "{redirect}" can\'t be used to redirect after login.'
        )
        assert "location" not in response.headers

    assert me(browser.app, cookie) == 200


def test_a_relative_redirect_goes_to_the_provider_as_an_absolute_url(
    op: OpServer, browser_factory: Any
) -> None:
    browser, _ = signed_in(op, browser_factory)

    response = browser.app.get("/auth/logout/op", params={"redirect": "/after-logout"})

    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["post_logout_redirect_uri"] == [f"{op.url}/after-logout"]


@pytest.mark.parametrize("mode", ["session", "cookie", "json"])
def test_a_session_the_provider_did_not_open_ends_here_only(op: OpServer, mode: str) -> None:
    """Whatever carries it: the session cookie, the refresh cookie, a bearer token."""
    _, email = op.local_user()
    client = op.client()
    tokens = op.password_login(client, email, mode)
    bearer = {} if mode == "session" else {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/users/me", headers=bearer).status_code == 200

    response = client.get(
        "/auth/logout/op", params={"redirect": ALLOWED}, headers=bearer if mode == "json" else {}
    )

    assert response.status_code == 302
    assert response.headers["location"] == ALLOWED
    assert client.get("/users/me", headers=bearer).status_code == 401
    if mode == "cookie":
        refresh = client.post("/auth/refresh", json={"mode": "cookie"})
        assert refresh.status_code in (400, 401)


def test_logout_is_only_for_redirect_providers(op: OpServer) -> None:
    client = op.client()

    assert client.get("/auth/logout/nope", params={"redirect": ALLOWED}).status_code == 404


# ---------------------------------------------------------------------- back-channel logout


def test_a_logout_at_the_provider_ends_that_session_here(
    op: OpServer, browser_factory: Any
) -> None:
    login = op.account()
    first: Browser = browser_factory(op.client(), op.url)
    second: Browser = browser_factory(op.client(), op.url)
    for browser in (first, second):
        flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PEER_PASSWORD)
        assert flow.location == "/app"
    first_cookie = first.app.cookies[SESSION_COOKIE]
    second_cookie = second.app.cookies[SESSION_COOKIE]

    # The person signs out at the provider itself, in the first browser; the provider tells
    # authgate over the back channel (a logout token naming that browser's sid).
    answer = confirm_logout_at_provider(first, op.peer.url("/session/end"))

    assert answer.status_code == 303
    assert f"back-channel logout to {op.client_id} delivered" in op.peer.log()
    assert me(first.app, first_cookie) == 401
    assert me(second.app, second_cookie) == 200  # another provider session, another sid


def logout_token(op: OpServer, **changes: Any) -> str:
    """A logout token signed by the provider's key, with ``changes`` to its claims (``None``
    removes one) and ``header`` to its header."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": op.peer.issuer,
        "aud": op.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "events": {EVENT: {}},
    }
    header = changes.pop("header", {})
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    response = httpx.post(
        op.peer.url("/_test/sign"), json={"header": header, "claims": claims}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.text


def post_token(op: OpServer, token: str) -> httpx.Response:
    with httpx.Client(base_url=op.url, timeout=10) as client:
        return client.post("/auth/login/op/backchannel-logout", data={"logout_token": token})


def test_a_hand_made_logout_token_naming_the_subject_ends_every_session_of_it(
    op: OpServer, browser_factory: Any
) -> None:
    browser, login = signed_in(op, browser_factory)
    cookie = browser.app.cookies[SESSION_COOKIE]

    response = post_token(op, logout_token(op, sub=login))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert me(browser.app, cookie) == 401


def _other_key_token(op: OpServer, login: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": op.peer.issuer,
        "aud": op.client_id,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": login,
        "events": {EVENT: {}},
    }
    return pyjwt.encode(claims, key, algorithm="RS256", headers={"kid": "peer-rs256"})


def _tampered(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = ("A" if signature[5] != "A" else "B") + signature[6:]
    return f"{head}.{body}.{signature[:5]}{flipped}"


BAD_TOKENS: dict[str, Callable[[OpServer, str], str]] = {
    "wrong aud": lambda op, sub: logout_token(op, sub=sub, aud="another-client"),
    "wrong iss": lambda op, sub: logout_token(op, sub=sub, iss="http://127.0.0.1:1"),
    "no events": lambda op, sub: logout_token(op, sub=sub, events=None),
    "other event": lambda op, sub: logout_token(op, sub=sub, events={"urn:x": {}}),
    "a nonce": lambda op, sub: logout_token(op, sub=sub, nonce="n-0S6_WzA2Mj"),
    "neither sid nor sub": lambda op, sub: logout_token(op),
    "no jti": lambda op, sub: logout_token(op, sub=sub, jti=None),
    "old iat": lambda op, sub: logout_token(op, sub=sub, iat=int(time.time()) - 3600),
    "expired": lambda op, sub: logout_token(op, sub=sub, exp=int(time.time()) - 600),
    "bad signature": lambda op, sub: _tampered(logout_token(op, sub=sub)),
    "another key": _other_key_token,
    "alg none": lambda op, sub: pyjwt.encode(
        {"iss": op.peer.issuer, "aud": op.client_id, "sub": sub, "events": {EVENT: {}}},
        "",
        algorithm="none",
    ),
    "not a jwt": lambda op, sub: "not-a-token",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_logout_token_is_refused_without_detail_and_ends_nothing(
    op: OpServer, browser_factory: Any, case: str
) -> None:
    browser, login = signed_in(op, browser_factory)
    cookie = browser.app.cookies[SESSION_COOKIE]

    response = post_token(op, BAD_TOKENS[case](op, login))

    assert response.status_code == 400
    assert response.json() == REFUSED
    assert me(browser.app, cookie) == 200


def test_a_replayed_logout_token_is_refused(op: OpServer, browser_factory: Any) -> None:
    _browser, login = signed_in(op, browser_factory)
    token = logout_token(op, sub=login)
    assert post_token(op, token).status_code == 200
    _again, _ = signed_in(op, browser_factory)  # (another account, untouched either way)

    response = post_token(op, token)

    assert response.status_code == 400
    assert response.json() == REFUSED


def test_a_logout_token_must_be_a_form_field(op: OpServer) -> None:
    with httpx.Client(base_url=op.url, timeout=10) as client:
        missing = client.post("/auth/login/op/backchannel-logout", data={})
        json_body = client.post("/auth/login/op/backchannel-logout", json={"logout_token": "x"})

    assert missing.status_code == 400
    assert json_body.status_code == 400
    assert missing.json() == REFUSED


def test_a_refreshed_session_is_still_the_providers(op: OpServer, browser_factory: Any) -> None:
    """The provider's facts follow the session through rotation."""
    browser, _login = signed_in(op, browser_factory)
    old = browser.app.cookies[SESSION_COOKIE]
    refreshed = browser.app.post("/auth/refresh", json={"mode": "session"})
    assert refreshed.status_code == 200, refreshed.text
    cookie = browser.app.cookies[SESSION_COOKIE]
    assert cookie != old

    hinted = browser.app.get("/auth/logout/op", params={"redirect": ALLOWED})

    assert "id_token_hint=" in hinted.headers["location"]
    assert me(browser.app, cookie) == 401
    again, _ = signed_in(op, browser_factory)
    fresh = again.app.post("/auth/refresh", json={"mode": "session"})
    assert fresh.status_code == 200
    assert post_token(op, logout_token(op, sub=_login_of(op, again))).status_code == 200
    assert me(again.app, again.app.cookies[SESSION_COOKIE]) == 401


def _login_of(op: OpServer, browser: Browser) -> str:
    user = browser.app.get("/users/me", params={"fields": "id"}).json()["data"]["id"]
    with httpx.Client(base_url=op.url, timeout=10) as admin:
        found = admin.get(
            f"/users/{user}",
            params={"fields": "external_identifier"},
            headers=op.server.admin,
        )
    identifier: str = found.json()["data"]["external_identifier"]
    return identifier


# ---------------------------------------------------------------------- own sessions


def test_a_session_the_provider_opened_is_listed_and_ended_like_any_other(
    op: OpServer, browser_factory: Any
) -> None:
    """``/users/me/sessions`` knows SSO sessions; ending one stops its session cookie."""
    browser, _ = signed_in(op, browser_factory)
    cookie = browser.app.cookies[SESSION_COOKIE]
    listed = browser.app.get("/users/me/sessions")
    assert listed.status_code == 200, listed.text
    [session] = listed.json()["data"]
    assert (session["current"], session["mode"]) == (True, "session")
    user = browser.app.get("/users/me", params={"fields": "id"}).json()["data"]["id"]

    with httpx.Client(base_url=op.url, timeout=10) as admin:
        ended = admin.delete(f"/users/{user}/sessions/{session['id']}", headers=op.server.admin)

    assert ended.status_code == 204, ended.text
    assert me(browser.app, cookie) == 401
