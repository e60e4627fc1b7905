"""Second factors of a user of an OpenID provider (README "Recovery codes", "Adding a factor
needs the password"): such a user has no password, so recovery codes ask only for the session
and a current code; a recovery code stands in for the code of the SSO sign-in (``?otp=``),
once; ``tfa/generate`` asks no password of them either; the user cannot add a passkey (its
options need a password). Against the real
``oidc-provider`` peer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from authgate import totp
from tests.sso.conftest import BrowserFactory, OidcPeer, SsoApp, callbacks, new_login, sso_app
from tests.support.backends import BACKENDS

PASSWORD = "peer-Passw0rd"


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
        "AUTH_OP_ALLOW_PUBLIC_REGISTRATION": "true",
        "AUTH_OP_MODE": "session",
    }
    tmp = tmp_path_factory.mktemp(f"sso-factors-{request.param}")
    with sso_app(env, request.param, tmp) as running:
        yield running


def _code(app: SsoApp, secret: str) -> str:
    return totp.code_at(secret, totp.step_at(app.app.services.clock.now()))


def test_recovery_codes_of_an_sso_user_need_no_password_and_stand_in_for_the_code(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: BrowserFactory
) -> None:
    login = new_login("sso-codes")
    oidc_peer.add_account(login, PASSWORD, email=f"{login}@example.com", email_verified=True)
    first = browser_factory(app.client).login("/auth/login/op", login=login, password=PASSWORD)
    user = app.me(first.cookies())
    assert user["password"] is None
    name = app.settings.session_cookie.name
    session = {"Cookie": f"{name}={first.cookies()[name]}"}
    app.client.cookies.clear()

    generated = app.client.post("/users/me/tfa/generate", json={}, headers=session)
    assert generated.status_code == 200, generated.text
    assert generated.json()["data"]["secret"]
    # (Enabling needs update permission on tfa_secret, which this role-less user lacks.)
    secret = totp.generate_secret()
    app.set_user(user["id"], tfa_secret=secret)

    passkey_options = app.client.post(
        "/users/me/passkeys/options", json={"password": "anything"}, headers=session
    )
    made = app.client.post(
        "/users/me/tfa/recovery-codes",
        json={"otp": _code(app, secret)},
        headers=session,
    )
    assert made.status_code == 200, made.text
    codes = made.json()["data"]["codes"]
    app.client.cookies.clear()
    with_code = browser_factory(app.client).login(
        f"/auth/login/op?otp={codes[0]}", login=login, password=PASSWORD
    )
    app.client.cookies.clear()
    again = browser_factory(app.client).login(
        f"/auth/login/op?otp={codes[0]}", login=login, password=PASSWORD
    )

    assert passkey_options.status_code == 401
    assert passkey_options.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert len(codes) == 10
    assert with_code.location == "/"
    assert app.me(with_code.cookies())["id"] == user["id"]
    assert again.reason == "INVALID_OTP"
