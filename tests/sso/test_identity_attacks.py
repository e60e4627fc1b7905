"""Linked identities as an attacker would use them, against the real OpenID peer and a real
server (with a real SMTP sink), on SQLite and PostgreSQL + Redis:

* a token held back by two-factor enforcement (a policy of its user has ``enforce_tfa``, the
  user has no second factor) cannot link an identity: ``/auth/link/<name>`` acts on the
  token's account, unlike the rest of ``/auth`` (session cookie and ``?access_token=``);
* linking (a new way into the account, which a stolen session could add) and unlinking mail
  the owner a security notice, as every other change to how the account signs in does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import _Handler
from tests.sso.conftest import Browser, OidcPeer
from tests.sso.sso_servers import OpServer, start_op_server
from tests.sso.test_linked_identities import identities, link, local_browser
from tests.support.backends import BACKENDS

ADMIN = {"Authorization": "Bearer admin-static-token-for-tests"}


@pytest.fixture(scope="module", params=BACKENDS)
def op(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpServer]:
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"op-held-{request.param}")
        server = start_op_server(stack, tmp, request.param, oidc_peer)
        box = server.server.mailbox
        assert box is not None
        smtp = Controller(_Handler(box), hostname=box.host, port=box.port, ready_timeout=10)
        smtp.start()
        stack.callback(smtp.stop)
        yield server


def _enforced_user(op: OpServer) -> str:
    user, email = op.local_user()
    with httpx.Client(base_url=op.url, timeout=10, headers=ADMIN) as admin:
        policy = admin.post("/policies", json={"name": f"Enforced {user}", "enforce_tfa": True})
        assert policy.status_code == 200, policy.text
        attached = admin.post("/access", json={"user": user, "policy": policy.json()["data"]["id"]})
        assert attached.status_code == 200, attached.text
    return email


@pytest.mark.parametrize("mode", ["session", "cookie"])
def test_a_held_back_token_cannot_link_an_identity(op: OpServer, mode: str) -> None:
    email = _enforced_user(op)
    with op.client() as browser:
        tokens: dict[str, Any] = op.password_login(browser, email, mode)
        params = {"redirect": "/admin/account"}
        if mode == "cookie":
            params["access_token"] = tokens["access_token"]
        held = browser.get("/roles/me", params={k: v for k, v in params.items() if k != "redirect"})
        response = browser.get("/auth/link/op", params=params)
        encoded = browser.get("/auth/%6cink/op", params=params)  # no route as sent

    assert held.json()["errors"][0]["extensions"]["code"] == "TFA_SETUP_REQUIRED"
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "TFA_SETUP_REQUIRED"
    assert "location" not in response.headers
    assert encoded.status_code in (403, 404)
    assert "location" not in encoded.headers


def test_linking_and_unlinking_an_identity_mail_the_owner(
    op: OpServer, browser_factory: Any
) -> None:
    browser: Browser
    browser, user = local_browser(op, browser_factory)
    box = op.server.mailbox
    assert box is not None
    with httpx.Client(base_url=op.url, timeout=10, headers=ADMIN) as admin:
        email = admin.get(f"/users/{user}").json()["data"]["email"]

    assert link(browser, op.account()) == "/admin/account"
    linked = box.next_for(email)
    [identity] = identities(browser)
    removed = browser.app.delete(f"/users/me/identities/{identity['id']}")
    unlinked = box.next_for(email)

    assert removed.status_code == 204
    assert linked.subject == "A sign-in provider was linked to your account"
    assert unlinked.subject == "A sign-in provider was unlinked from your account"
    for mail in (linked, unlinked):
        assert "op" in mail.text
        assert "token" not in mail.text.lower()
