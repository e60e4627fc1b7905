"""Linking an OAuth2 provider's identity needs a subject the provider keeps for that person
(``IDENTIFIER_KEY``): a profile read without one identifies by its email address, which many
providers let a person change to anyone's, so such an identity is never linked (the link ends
with ``reason=INVALID_PROVIDER``). In process, on SQLite and PostgreSQL + Redis, against the
real OpenID peer's OAuth2 endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sso.conftest import BrowserFactory, OidcPeer, SsoApp, callbacks, new_login, sso_app
from tests.support.backends import BACKENDS

PASSWORD = "peer-Passw0rd"
LOCAL_PASSWORD = "local-Passw0rd-1"
ACCOUNT = "/admin/account"


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(callbacks("keyed", "mailed"))
    env = {"AUTH_PROVIDERS": "keyed,mailed", "AUTH_KEYED_IDENTIFIER_KEY": "sub"}
    for name in ("keyed", "mailed"):
        prefix = f"AUTH_{name.upper()}_"
        env.update(
            {
                prefix + "DRIVER": "oauth2",
                prefix + "CLIENT_ID": client["client_id"],
                prefix + "CLIENT_SECRET": client["client_secret"],
                prefix + "AUTHORIZE_URL": oidc_peer.url("/auth"),
                prefix + "ACCESS_URL": oidc_peer.url("/token"),
                prefix + "PROFILE_URL": oidc_peer.url("/me"),
                prefix + "SCOPE": "openid email profile",
            }
        )
    folder = tmp_path_factory.mktemp(f"link-oauth2-{request.param}")
    with sso_app(env, request.param, folder) as running:
        yield running


def _signed_in(app: SsoApp) -> str:
    email = f"{new_login('local')}@example.com"
    made = app.client.post(
        "/users", json={"email": email, "password": LOCAL_PASSWORD}, headers=app.admin
    )
    assert made.status_code == 200, made.text
    app.client.cookies.clear()
    signed = app.client.post(
        "/auth/login", json={"email": email, "password": LOCAL_PASSWORD, "mode": "session"}
    )
    assert signed.status_code == 200, signed.text
    return str(made.json()["data"]["id"])


@pytest.mark.parametrize(
    ("provider", "location", "linked"),
    [("keyed", ACCOUNT, 1), ("mailed", f"{ACCOUNT}?reason=INVALID_PROVIDER", 0)],
)
def test_only_an_identity_with_a_kept_subject_is_linked(
    app: SsoApp,
    oidc_peer: OidcPeer,
    browser_factory: BrowserFactory,
    provider: str,
    location: str,
    linked: int,
) -> None:
    _signed_in(app)
    login = new_login("oauth-link")
    oidc_peer.add_account(login, PASSWORD, email=f"{login}@example.com", email_verified=True)
    browser = browser_factory(app.client)

    flow = browser.login(
        f"/auth/link/{provider}?redirect={ACCOUNT}", login=login, password=PASSWORD
    )

    assert flow.location == location
    listed = app.client.get("/users/me/identities")
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]) == linked
