"""OpenID Connect against a real OpenID Provider (node ``oidc-provider``), through the whole
browser flow: start, the provider's login and consent forms, the callback, the user, the
session; and what goes wrong: refused redirects, tampered or replayed state, unknown users,
unverified email, an email that belongs to a local account, a provider that is down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2 as httpx
import pytest

from authgate import totp
from authgate.crypto import Keys
from authgate.providers.accounts import open_auth_data
from tests.sso.conftest import (
    APP_ORIGIN,
    Browser,
    BrowserFactory,
    OidcPeer,
    SsoApp,
    callbacks,
    new_login,
    sso_app,
)
from tests.support.backends import BACKENDS

DEFAULT_ROLE = "0b1f3f2e-6f55-4a3e-9d0e-2c7f1a1d0001"
STAFF_ROLE = "0b1f3f2e-6f55-4a3e-9d0e-2c7f1a1d0002"
SECURE_ROLE = "0b1f3f2e-6f55-4a3e-9d0e-2c7f1a1d0003"
PASSWORD = "peer-Passw0rd"
ALLOWED = "http://app.example.com/welcome"
PROVIDERS = ("op", "closed", "synced", "posted", "cookies")


def provider_env(peer: OidcPeer, client: dict[str, Any]) -> dict[str, str]:
    env = {"AUTH_PROVIDERS": ",".join(PROVIDERS)}
    for name in PROVIDERS:
        prefix = f"AUTH_{name.upper()}_"
        env.update(
            {
                prefix + "DRIVER": "openid",
                prefix + "ISSUER_URL": peer.issuer,
                prefix + "CLIENT_ID": client["client_id"],
                prefix + "CLIENT_SECRET": client["client_secret"],
                prefix + "ALLOW_PUBLIC_REGISTRATION": "true",
            }
        )
    env.update(
        {
            "AUTH_OP_LABEL": "Our OP",
            "AUTH_OP_DEFAULT_ROLE_ID": DEFAULT_ROLE,
            "AUTH_OP_ROLE_MAPPING": (
                f'json:{{"staff": "{STAFF_ROLE}", "secure": "{SECURE_ROLE}"}}'
            ),
            "AUTH_OP_REQUIRE_VERIFIED_EMAIL": "true",
            "AUTH_OP_REDIRECT_ALLOW_LIST": ALLOWED,
            "AUTH_CLOSED_ALLOW_PUBLIC_REGISTRATION": "false",
            "AUTH_SYNCED_SYNC_USER_INFO": "true",
            "AUTH_POSTED_PARAMS": 'json:{"response_mode": "form_post"}',
            "AUTH_COOKIES_MODE": "cookie",
        }
    )
    return env


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(callbacks(*PROVIDERS))
    env = provider_env(oidc_peer, client)
    tmp = tmp_path_factory.mktemp(f"openid-{request.param}")
    with sso_app(env, request.param, tmp) as running:
        running.create_role(DEFAULT_ROLE, "Default")
        running.create_role(STAFF_ROLE, "Staff")
        running.create_role(SECURE_ROLE, "Secure", enforce_tfa=True)
        yield running


@pytest.fixture
def browser(app: SsoApp, browser_factory: BrowserFactory) -> Browser:
    app.client.cookies.clear()
    made: Browser = browser_factory(app.client)
    return made


def account(peer: OidcPeer, *, groups: list[str] | None = None, **claims: Any) -> str:
    login = new_login()
    peer.add_account(
        login,
        PASSWORD,
        email=claims.pop("email", f"{login}@example.com"),
        email_verified=claims.pop("email_verified", True),
        given_name=claims.pop("given_name", "Ada"),
        family_name=claims.pop("family_name", "Lovelace"),
        groups=groups or [],
        **claims,
    )
    return login


# ------------------------------------------------------------------------------- the start


def test_the_start_sends_the_browser_to_the_provider_with_pkce(
    app: SsoApp, oidc_peer: OidcPeer
) -> None:
    app.client.cookies.clear()
    response = app.client.get("/auth/login/op", params={"redirect": "/app"})

    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc_peer.url("/auth")
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == f"{APP_ORIGIN}/auth/login/op/callback"
    assert query["scope"] == "openid profile email"
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == query["code_challenge"] == query["nonce"]
    assert len(query["code_challenge"]) == 43
    assert "prompt" not in query
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("openid.op=")
    assert "; Path=/; HttpOnly; SameSite=Lax" in cookie
    assert "Max-Age" not in cookie
    # The state is sealed: neither the redirect nor the verifier can be read from it.
    assert "app" not in cookie.split(";")[0].split("=", 1)[1]


def test_prompt_asks_for_consent_again(app: SsoApp) -> None:
    response = app.client.get("/auth/login/op", params={"prompt": "true"})

    assert parse_qs(urlsplit(response.headers["location"]).query)["prompt"] == ["consent"]


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http://authgate.test.evil.example/",
        "http://authgate.test@evil.example/",
        "javascript:alert(1)",
        "http://app.example.com/other",
    ],
)
def test_a_redirect_elsewhere_is_refused(app: SsoApp, redirect: str) -> None:
    response = app.client.get("/auth/login/op", params={"redirect": redirect})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_PAYLOAD"
    assert error["message"] == (
        f'Invalid payload. URL "{redirect}" can\'t be used to redirect after login.'
    )
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("redirect", [ALLOWED, f"{APP_ORIGIN}/admin/content", "/relative"])
def test_allowed_redirects_start_the_flow(app: SsoApp, redirect: str) -> None:
    response = app.client.get("/auth/login/op", params={"redirect": redirect})

    assert response.status_code == 302


def test_unknown_providers_and_methods_are_not_routes(app: SsoApp) -> None:
    assert app.client.get("/auth/login/nope").status_code == 404
    assert app.client.post("/auth/login/op", json={}).status_code == 404
    assert app.client.get("/auth/login/op/metadata").status_code == 404


def test_the_providers_are_listed(app: SsoApp) -> None:
    listed = app.client.get("/auth").json()["data"]
    session_only = app.client.get("/auth?sessionOnly").json()["data"]

    assert listed[0] == {"name": "op", "label": "Our OP", "driver": "openid"}
    assert [p["name"] for p in listed] == list(PROVIDERS)
    assert "cookies" not in [p["name"] for p in session_only]


# ------------------------------------------------------------------------------ new users


def test_a_new_user_is_created_with_the_mapped_role_and_gets_a_session(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer, groups=["staff", "other"])

    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PASSWORD)

    assert flow.last.status_code == 302
    assert flow.location == "/app"
    cookies = flow.cookies()
    assert cookies["openid.op"] == ""  # the state is used up
    me = app.me(cookies)
    assert me["email"] == f"{login}@example.com"
    assert (me["first_name"], me["last_name"]) == ("Ada", "Lovelace")  # from userinfo
    assert me["provider"] == "op"
    assert me["external_identifier"] == login  # the sub
    assert me["role"] == STAFF_ROLE
    # The provider's refresh token is kept, sealed; only authgate's key opens it.
    stored = app.user_by_identifier(login)
    assert stored is not None
    assert stored["auth_data"]["refreshToken"].startswith("enc1.")
    keys = Keys.from_secret(app.settings.secret.reveal())
    assert open_auth_data(keys, stored["id"], stored["auth_data"])


def test_without_a_mapped_group_the_default_role_applies(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer, groups=["unmapped"])

    flow = browser.login("/auth/login/op", login=login, password=PASSWORD)

    assert flow.location == "/"
    assert app.me(flow.cookies())["role"] == DEFAULT_ROLE


def test_a_returning_user_is_the_same_user_and_the_mapping_follows_the_groups(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = account(oidc_peer, groups=["staff"])
    first = browser_factory(app.client).login("/auth/login/op", login=login, password=PASSWORD)
    before = app.me(first.cookies())
    oidc_peer.add_account(
        login, PASSWORD, email=f"{login}@example.com", email_verified=True, groups=[]
    )
    app.client.cookies.clear()

    second = browser_factory(app.client).login("/auth/login/op", login=login, password=PASSWORD)

    after = app.me(second.cookies())
    assert before["id"] == after["id"]
    assert (before["role"], after["role"]) == (STAFF_ROLE, DEFAULT_ROLE)
    # Names are not synced without SYNC_USER_INFO (the provider no longer sends them).
    assert after["first_name"] == "Ada"


def test_sync_user_info_updates_names_and_email(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = account(oidc_peer)
    browser_factory(app.client).login("/auth/login/synced", login=login, password=PASSWORD)
    oidc_peer.add_account(
        login,
        PASSWORD,
        email=f"renamed-{login}@example.com",
        email_verified=True,
        given_name="Grace",
        family_name="Hopper",
    )
    app.client.cookies.clear()

    flow = browser_factory(app.client).login("/auth/login/synced", login=login, password=PASSWORD)

    me = app.me(flow.cookies())
    assert (me["first_name"], me["last_name"]) == ("Grace", "Hopper")
    assert me["email"] == f"renamed-{login}@example.com"


def test_without_public_registration_an_unknown_user_is_refused(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/closed?redirect=/app?tab=1", login=login, password=PASSWORD)

    assert flow.location == "/app?reason=INVALID_CREDENTIALS"
    assert "directus_session_token" not in flow.cookies()
    assert app.user_by_identifier(login) is None


def test_an_unverified_email_is_refused_when_verification_is_required(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer, email_verified=False)

    flow = browser.login("/auth/login/op", login=login, password=PASSWORD)

    assert flow.reason == "INVALID_CREDENTIALS"
    assert app.user_by_identifier(login) is None


def test_the_email_of_a_local_account_is_not_taken_over(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    email = f"{new_login('local')}@example.com"
    created = app.client.post(
        "/users", json={"email": email, "password": "Str0ng-Passw0rd!"}, headers=app.admin
    )
    assert created.status_code == 200
    login = account(oidc_peer, email=email.upper())

    flow = browser.login("/auth/login/op", login=login, password=PASSWORD)

    assert flow.reason == "INVALID_PROVIDER"
    assert app.user_by_identifier(login) is None


def test_form_post_answers_reach_the_callback(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/posted?redirect=/done", login=login, password=PASSWORD)

    posted = [s for s in flow.app_steps("/auth/login/posted/callback") if s.method == "POST"]
    assert posted
    assert posted[0].response.status_code == 303
    assert posted[0].response.headers["location"].startswith("./callback?")
    assert flow.location == "/done"
    assert app.me(flow.cookies())["external_identifier"] == login


def test_mode_cookie_gives_a_refresh_cookie(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)

    flow = browser.login("/auth/login/cookies", login=login, password=PASSWORD)

    cookies = flow.cookies()
    assert "directus_session_token" not in cookies
    app.client.cookies.clear()
    answer = app.client.post(
        "/auth/refresh",
        json={"mode": "json"},
        headers={"Cookie": f"directus_refresh_token={cookies['directus_refresh_token']}"},
    )
    assert answer.status_code == 400  # mode json wants the token in the body
    answer = app.client.post(
        "/auth/refresh",
        json={"mode": "json", "refresh_token": cookies["directus_refresh_token"]},
    )
    assert answer.status_code == 200, answer.text


# --------------------------------------------------------------------------- what is refused


def _state_cookie(flow_start: httpx.Response) -> tuple[str, str]:
    name, _, rest = flow_start.headers["set-cookie"].partition("=")
    return name, rest.split(";", 1)[0]


def test_a_tampered_state_cookie_is_refused(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login(
        "/auth/login/op?redirect=/app", login=login, password=PASSWORD, stop_before="/callback"
    )
    callback = flow.location
    name = "openid.op"
    value = app.client.cookies[name]
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    app.client.cookies.clear()
    app.client.cookies.set(name, tampered, domain="authgate.test")

    response = app.client.get(callback, follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == f"{APP_ORIGIN}/admin/login?reason=INVALID_CREDENTIALS"
    assert "directus_session_token=" not in response.headers.get("set-cookie", "")
    assert app.user_by_identifier(login) is None


def test_a_state_made_for_another_provider_is_refused(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login("/auth/login/op", login=login, password=PASSWORD, stop_before="/callback")
    value = app.client.cookies["openid.op"]
    query = urlsplit(flow.location).query
    app.client.cookies.clear()
    app.client.cookies.set("openid.synced", value, domain="authgate.test")

    response = app.client.get(f"/auth/login/synced/callback?{query}", follow_redirects=False)

    assert response.headers["location"].endswith("/admin/login?reason=INVALID_CREDENTIALS")


def test_a_replayed_callback_restarts_the_flow_as_directus_does(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login(
        "/auth/login/op?redirect=/app", login=login, password=PASSWORD, stop_before="/callback"
    )
    callback, state = flow.location, app.client.cookies["openid.op"]
    first = app.client.get(callback, follow_redirects=False)
    assert first.headers["location"] == "/app"
    app.client.cookies.clear()
    app.client.cookies.set("openid.op", state, domain="authgate.test")

    replay = app.client.get(callback, follow_redirects=False)
    app.client.cookies.clear()
    restarted = browser.login(
        urljoin(f"{APP_ORIGIN}/auth/login/op/callback", replay.headers["location"]),
        stop_before="/callback",
    )

    # Directus: the used code is the provider's invalid_grant, answered with a restart of
    # the flow that asks for consent again; no session either way.
    assert replay.status_code == 302
    assert replay.headers["location"] == "./?redirect=/app&prompt=true"
    set_cookies = replay.headers.get_list("set-cookie")
    assert not any(c.startswith("directus_session_token=") for c in set_cookies)
    assert any(c.startswith("openid.op=;") for c in set_cookies)  # the state is cleared
    to_provider = parse_qs(urlsplit(restarted.steps[1].url).query)
    assert to_provider["prompt"] == ["consent"]


def test_a_replayed_restart_is_refused_with_invalid_token(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login(
        "/auth/login/op?redirect=/app&prompt=true",
        login=login,
        password=PASSWORD,
        stop_before="/callback",
    )
    callback, state = flow.location, app.client.cookies["openid.op"]
    first = app.client.get(callback, follow_redirects=False)
    app.client.cookies.clear()
    app.client.cookies.set("openid.op", state, domain="authgate.test")

    replay = app.client.get(callback, follow_redirects=False)

    assert first.headers["location"] == "/app"
    assert replay.headers["location"] == "/app?reason=INVALID_TOKEN"
    assert "directus_session_token=" not in replay.headers.get("set-cookie", "")


def test_a_callback_without_a_state_cookie_is_refused(app: SsoApp) -> None:
    app.client.cookies.clear()

    response = app.client.get("/auth/login/op/callback?code=x&state=y", follow_redirects=False)

    assert response.headers["location"].endswith("/admin/login?reason=INVALID_CREDENTIALS")


def test_a_wrong_state_parameter_is_refused(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login("/auth/login/op", login=login, password=PASSWORD, stop_before="/callback")
    query = {k: v[0] for k, v in parse_qs(urlsplit(flow.location).query).items()}
    query["state"] = "not-the-challenge"

    response = app.client.get("/auth/login/op/callback", params=query, follow_redirects=False)

    assert response.headers["location"] == "/?reason=INVALID_CREDENTIALS"


@pytest.mark.parametrize("error", ["access_denied", "consent_required", "server_error"])
def test_an_error_answer_of_the_provider_is_invalid_credentials(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser, error: str
) -> None:
    login = account(oidc_peer)
    flow = browser.login(
        "/auth/login/synced?redirect=/app", login=login, password=PASSWORD, stop_before="/callback"
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(flow.location).query).items()}
    # What the provider answers when the person refuses consent: no code, an error.
    answer = {k: v for k, v in query.items() if k in ("state", "iss")} | {"error": error}

    response = app.client.get("/auth/login/synced/callback", params=answer)

    assert response.status_code == 302
    assert response.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert "directus_session_token=" not in response.headers.get("set-cookie", "")
    assert app.user_by_identifier(login) is None


# --------------------------------------------------------------------------- two-factor


def test_two_factor_needs_the_code_given_at_the_start(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = account(oidc_peer)
    browser_factory(app.client).login("/auth/login/op", login=login, password=PASSWORD)
    user = app.user_by_identifier(login)
    assert user is not None
    secret = totp.generate_secret()
    app.set_user(user["id"], tfa_secret=secret)
    app.client.cookies.clear()

    without = browser_factory(app.client).login("/auth/login/op", login=login, password=PASSWORD)
    app.client.cookies.clear()
    code = totp.code_at(secret, totp.step_at(app.app.services.clock.now()))
    with_code = browser_factory(app.client).login(
        f"/auth/login/op?otp={code}", login=login, password=PASSWORD
    )

    assert without.reason == "INVALID_OTP"
    assert with_code.location == "/"
    assert app.me(with_code.cookies())["id"] == user["id"]


def test_a_role_that_enforces_two_factor_sends_the_user_to_set_it_up(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer, groups=["secure"])

    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PASSWORD)

    assert flow.location == f"{APP_ORIGIN}/admin/tfa-setup?redirect=%2Fapp&provider=op"
    assert app.me(flow.cookies())["role"] == SECURE_ROLE


# ------------------------------------------------------------------ session refresh upstream


def session_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"directus_session_token={token}"}


def test_a_session_refresh_refreshes_the_upstream_grant(
    app: SsoApp, oidc_peer: OidcPeer, browser: Browser
) -> None:
    login = account(oidc_peer)
    flow = browser.login("/auth/login/op", login=login, password=PASSWORD)
    session = flow.cookies()["directus_session_token"]
    keys = Keys.from_secret(app.settings.secret.reveal())
    user = app.user_by_identifier(login)
    assert user is not None
    upstream = open_auth_data(keys, user["id"], user["auth_data"])

    app.client.cookies.clear()
    refreshed = app.client.post(
        "/auth/refresh", json={"mode": "session"}, headers=session_cookie(session)
    )
    assert refreshed.status_code == 200, refreshed.text
    # The provider rotated its refresh token; the new one is what is kept.
    rotated = app.user_by_identifier(login)
    assert rotated is not None
    new_upstream = open_auth_data(keys, user["id"], rotated["auth_data"])
    assert new_upstream
    assert new_upstream != upstream

    # Once the provider revokes the grant, the next refresh is refused as Directus does.
    revoked = browser.web.post(
        oidc_peer.url("/token/revocation"),
        data={"token": new_upstream, "token_type_hint": "refresh_token"},
        auth=(
            app.settings.providers[0].options["CLIENT_ID"],
            app.settings.providers[0].options["CLIENT_SECRET"],
        ),
    )
    assert revoked.status_code == 200
    session = refreshed.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    app.client.cookies.clear()
    refused = app.client.post(
        "/auth/refresh", json={"mode": "session"}, headers=session_cookie(session)
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
