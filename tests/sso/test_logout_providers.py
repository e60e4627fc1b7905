"""Back-channel logout with two providers of one issuer (two clients): a logout token is for
the provider (client) it is addressed to, and ends only the sessions that provider opened,
whoever else the subject or ``sid`` may name; an oversized token or body ends nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2 as httpx
import pytest

from tests.sso.conftest import Browser, OidcPeer
from tests.sso.sso_servers import PEER_PASSWORD, OpServer, start_op_server
from tests.support.backends import BACKENDS

EVENT = "http://schemas.openid.net/event/backchannel-logout"
SESSION_COOKIE = "directus_session_token"


@pytest.fixture(scope="module", params=BACKENDS)
def op(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OpServer, str]]:
    """The server with providers ``op`` and ``op2`` (same issuer); ``op2``'s client id."""
    second = oidc_peer.register_client(["http://127.0.0.1:9/auth/login/op2/callback"])
    env = {
        "AUTH_PROVIDERS": "op,op2",
        "AUTH_OP2_DRIVER": "openid",
        "AUTH_OP2_ISSUER_URL": oidc_peer.issuer,
        "AUTH_OP2_CLIENT_ID": second["client_id"],
        "AUTH_OP2_CLIENT_SECRET": second["client_secret"],
    }
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"op-two-{request.param}")
        yield start_op_server(stack, tmp, request.param, oidc_peer, env), second["client_id"]


def _signed_in(server: OpServer, browser_factory: Any) -> tuple[Browser, str, str]:
    login = server.account()
    browser: Browser = browser_factory(server.client(), server.url)
    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PEER_PASSWORD)
    assert flow.location == "/app", flow.location
    return browser, login, browser.app.cookies[SESSION_COOKIE]


def _me(server: OpServer, cookie: str) -> int:
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    return httpx.get(f"{server.url}/users/me", headers=headers, timeout=10).status_code


def _token(server: OpServer, audience: str, **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": server.peer.issuer,
        "aud": audience,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "events": {EVENT: {}},
        **claims,
    }
    signed = httpx.post(
        server.peer.url("/_test/sign"), json={"header": {}, "claims": body}, timeout=10
    )
    assert signed.status_code == 200, signed.text
    return signed.text


def _post(server: OpServer, provider: str, **form: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/auth/login/{provider}/backchannel-logout", data=form, timeout=10
    )


def test_a_logout_token_for_another_provider_ends_none_of_this_ones_sessions(
    op: tuple[OpServer, str], browser_factory: Any
) -> None:
    server, second = op
    _browser, login, cookie = _signed_in(server, browser_factory)

    to_second = _post(server, "op2", logout_token=_token(server, second, sub=login))
    misaddressed = _post(server, "op", logout_token=_token(server, second, sub=login))

    assert to_second.status_code == 200, to_second.text  # valid for op2: op2 opened nothing
    assert misaddressed.status_code == 400
    assert _me(server, cookie) == 200
    ended = _post(server, "op", logout_token=_token(server, server.client_id, sub=login))
    assert ended.status_code == 200
    assert _me(server, cookie) == 401


def test_an_oversized_logout_token_or_body_ends_nothing(
    op: tuple[OpServer, str], browser_factory: Any
) -> None:
    server, _ = op
    _browser, login, cookie = _signed_in(server, browser_factory)
    padded = _token(server, server.client_id, sub=login, pad="x" * 20000)

    answers = [
        _post(server, "op", logout_token=padded),
        _post(server, "op", logout_token="a." * 600_000),
    ]

    for answer in answers:
        assert answer.status_code in (400, 413), answer.text
        assert "Traceback" not in answer.text
    assert _me(server, cookie) == 200
