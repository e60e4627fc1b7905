"""OAuth2 (no discovery: explicit authorize, token and profile URLs) against the real OpenID
Provider's endpoints; upstreams that are down, silent or unusable; the refused state cookie's
JSON answer; the ``invalid_grant`` retry with consent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sso.conftest import (
    Browser,
    BrowserFactory,
    OidcPeer,
    SsoApp,
    callbacks,
    new_login,
    sso_app,
)

STAFF_ROLE = "6a0c1e55-8f0b-4c11-a2b3-5d6e7f809101"
PASSWORD = "peer-Passw0rd"
PROVIDERS = ("gh", "posting", "slow", "down", "faceless")


@pytest.fixture(scope="module")
def app(
    oidc_peer: OidcPeer,
    blackhole: str,
    closed_port: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(callbacks(*PROVIDERS))
    post_client = oidc_peer.register_client(
        callbacks("posting"), token_endpoint_auth_method="client_secret_post"
    )
    env = {"AUTH_PROVIDERS": ",".join(PROVIDERS)}
    for name in PROVIDERS:
        prefix = f"AUTH_{name.upper()}_"
        env.update(
            {
                prefix + "DRIVER": "oauth2",
                prefix + "CLIENT_ID": client["client_id"],
                prefix + "CLIENT_SECRET": client["client_secret"],
                prefix + "AUTHORIZE_URL": oidc_peer.url("/auth"),
                prefix + "ACCESS_URL": oidc_peer.url("/token"),
                prefix + "PROFILE_URL": oidc_peer.url("/me"),
                # The provider's userinfo needs the openid scope.
                prefix + "SCOPE": "openid email profile",
                prefix + "ALLOW_PUBLIC_REGISTRATION": "true",
                prefix + "CLIENT_HTTP_TIMEOUT": "700",
            }
        )
    env.update(
        {
            "AUTH_GH_IDENTIFIER_KEY": "sub",
            "AUTH_GH_FIRST_NAME_KEY": "given_name",
            "AUTH_GH_LAST_NAME_KEY": "org.surname",  # a nested profile key
            "AUTH_GH_GROUP_CLAIM_NAME": "org.teams",
            "AUTH_GH_ROLE_MAPPING": f'json:{{"core": "{STAFF_ROLE}"}}',
            "AUTH_POSTING_CLIENT_ID": post_client["client_id"],
            "AUTH_POSTING_CLIENT_SECRET": post_client["client_secret"],
            "AUTH_POSTING_CLIENT_TOKEN_ENDPOINT_AUTH_METHOD": "client_secret_post",
            "AUTH_SLOW_ACCESS_URL": blackhole + "/token",
            "AUTH_DOWN_ACCESS_URL": closed_port + "/token",
            # A profile without any identifier or email (the JWKS document).
            "AUTH_FACELESS_PROFILE_URL": oidc_peer.url("/jwks"),
        }
    )
    with sso_app(env, "sqlite", tmp_path_factory.mktemp("oauth2")) as running:
        running.create_role(STAFF_ROLE, "Core team")
        yield running


@pytest.fixture
def browser(app: SsoApp, browser_factory: BrowserFactory) -> Browser:
    app.client.cookies.clear()
    made: Browser = browser_factory(app.client)
    return made


def account(peer: OidcPeer, **claims: Any) -> str:
    login = new_login("oauth")
    peer.add_account(
        login,
        PASSWORD,
        email=f"{login}@example.com",
        email_verified=True,
        given_name="Alan",
        org={"surname": "Turing", "teams": ["core", "ops"]},
        **claims,
    )
    return login


def test_the_start_redirects_to_the_configured_authorize_url(
    app: SsoApp, oidc_peer: OidcPeer
) -> None:
    response = app.client.get("/auth/login/gh")

    location = response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(oidc_peer.url("/auth?"))
    assert query["scope"] == ["openid email profile"]
    assert "nonce" not in query
    assert query["state"] == query["code_challenge"]
    assert response.headers["set-cookie"].startswith("oauth2.gh=")


def test_a_new_user_from_a_flattened_profile(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/gh?redirect=/home", login=login, password=PASSWORD)

    assert flow.location == "/home"
    me = app.me(flow.cookies())
    assert me["external_identifier"] == login
    assert me["email"] == f"{login}@example.com"
    assert (me["first_name"], me["last_name"]) == ("Alan", "Turing")
    assert me["provider"] == "gh"
    assert me["role"] == STAFF_ROLE


def test_without_identifier_key_the_email_identifies(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/posting", login=login, password=PASSWORD)

    assert flow.location == "/"
    me = app.me(flow.cookies())
    assert me["external_identifier"] == f"{login}@example.com"
    assert me["first_name"] is None  # no FIRST_NAME_KEY configured


def test_a_profile_without_identifier_is_refused(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/faceless?redirect=/x", login=login, password=PASSWORD)

    assert flow.location == "/x?reason=INVALID_CREDENTIALS"


@pytest.mark.parametrize("provider", ["slow", "down"])
def test_an_unreachable_token_endpoint_is_service_unavailable(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser, provider: str
) -> None:
    login = account(oidc_peer)

    flow = browser.login(f"/auth/login/{provider}?redirect=/x", login=login, password=PASSWORD)

    assert flow.last.status_code == 302
    assert flow.location == "/x?reason=SERVICE_UNAVAILABLE"
    assert "directus_session_token" not in flow.cookies()


def test_a_bad_state_cookie_is_a_401(app: SsoApp) -> None:
    app.client.cookies.clear()
    app.client.cookies.set("oauth2.gh", "enc1.forged", domain="authgate.test")

    response = app.client.get("/auth/login/gh/callback?code=abc&state=def")

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"


def test_a_refused_grant_restarts_the_flow_with_consent(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    used = browser.login("/auth/login/gh", login=login, password=PASSWORD, stop_before="/callback")
    code = parse_qs(urlsplit(used.location).query)["code"][0]
    assert app.client.get(used.location).status_code == 302  # the code is now spent
    app.client.cookies.clear()
    start = app.client.get("/auth/login/gh?redirect=/again")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]

    response = app.client.get("/auth/login/gh/callback", params={"code": code, "state": state})

    assert response.status_code == 302
    assert response.headers["location"] == "./?redirect=/again&prompt=true"
    again = app.client.get("/auth/login/gh/?redirect=/again&prompt=true")
    assert parse_qs(urlsplit(again.headers["location"]).query)["prompt"] == ["consent"]
