"""Linking an identity is a new way into the account: its owner gets a security notice (as for
a passkey), which names the provider and holds nothing that signs in. In process, on SQLite
and on PostgreSQL + Redis, against the real OpenID peer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authgate.mail.outbox import MemoryOutbox
from tests.sso.conftest import BrowserFactory, OidcPeer, SsoApp, callbacks, new_login, sso_app
from tests.support.backends import BACKENDS

PASSWORD = "peer-Passw0rd"
LOCAL_PASSWORD = "local-Passw0rd-1"


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(callbacks("op"))
    env = {
        "AUTH_PROVIDERS": "op",
        "AUTH_OP_DRIVER": "openid",
        "AUTH_OP_ISSUER_URL": oidc_peer.issuer,
        "AUTH_OP_CLIENT_ID": client["client_id"],
        "AUTH_OP_CLIENT_SECRET": client["client_secret"],
    }
    folder = tmp_path_factory.mktemp(f"link-notice-{request.param}")
    with sso_app(env, request.param, folder) as running:
        yield running


def _sent(app: SsoApp) -> list[Any]:
    outbox = app.app.services.outbox
    assert isinstance(outbox, MemoryOutbox)
    return list(outbox.sent)


def test_linking_an_identity_mails_the_owner(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    email = f"{new_login('notice')}@example.com"
    made = app.client.post(
        "/users", json={"email": email, "password": LOCAL_PASSWORD}, headers=app.admin
    )
    assert made.status_code == 200, made.text
    app.client.cookies.clear()
    signed = app.client.post(
        "/auth/login", json={"email": email, "password": LOCAL_PASSWORD, "mode": "session"}
    )
    assert signed.status_code == 200, signed.text
    login = new_login("linked")
    oidc_peer.add_account(login, PASSWORD)
    before = len(_sent(app))
    browser = browser_factory(app.client)

    flow = browser.login("/auth/link/op?redirect=/admin/account", login=login, password=PASSWORD)

    assert flow.location == "/admin/account", flow.location
    mails = [m for m in _sent(app)[before:] if m.to == email]
    assert [m.template for m in mails] == ["security-identity-linked"]
    assert mails[0].subject == "A sign-in provider was linked to your account"
    assert mails[0].data["provider"] == "op"
    assert '"op"' in mails[0].text
    assert login not in mails[0].html + mails[0].text
