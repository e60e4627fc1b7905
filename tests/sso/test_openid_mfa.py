"""Two-factor enforced by the API and SSO: a user whose OpenID provider asserts a multi-factor
sign-in (``amr``/``acr`` in the ID token) is exempt, only where ``AUTH_<NAME>_TRUST_MFA`` is
true; the exemption is the session's (kept through refresh), not the user's. Against the real
``oidc-provider`` peer, whose sign-in asserts what the account says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from tests.sso.conftest import OidcPeer, SsoApp, callbacks, new_login, sso_app
from tests.support.backends import BACKENDS

ENFORCED_ROLE = "0b1f3f2e-6f55-4a3e-9d0e-2c7f1a1d0101"
PASSWORD = "peer-Passw0rd"
PROVIDERS = ("trusting", "wary", "gold")
PAPE_MULTI_FACTOR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    client = oidc_peer.register_client(callbacks(*PROVIDERS))
    env = {"AUTH_PROVIDERS": ",".join(PROVIDERS)}
    for name in PROVIDERS:
        prefix = f"AUTH_{name.upper()}_"
        env |= {
            prefix + "DRIVER": "openid",
            prefix + "ISSUER_URL": oidc_peer.issuer,
            prefix + "CLIENT_ID": client["client_id"],
            prefix + "CLIENT_SECRET": client["client_secret"],
            prefix + "ALLOW_PUBLIC_REGISTRATION": "true",
            prefix + "DEFAULT_ROLE_ID": ENFORCED_ROLE,
            prefix + "MODE": "session",
        }
    env["AUTH_TRUSTING_TRUST_MFA"] = "true"
    env["AUTH_GOLD_TRUST_MFA"] = "true"
    env["AUTH_GOLD_TRUST_MFA_ACR"] = "urn:example:gold, urn:example:platinum"
    tmp = tmp_path_factory.mktemp(f"openid-mfa-{request.param}")
    with sso_app(env, request.param, tmp) as running:
        running.create_role(ENFORCED_ROLE, "Enforced", enforce_tfa=True)
        yield running


def _account(peer: OidcPeer, **login_result: Any) -> str:
    login = new_login("mfa")
    response = httpx.post(
        peer.url("/_test/accounts"),
        json={
            "login": login,
            "password": PASSWORD,
            "claims": {"email": f"{login}@example.com", "email_verified": True},
            "login_result": login_result,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return login


def _roles_me(app: SsoApp, session: str) -> Any:
    name = app.settings.session_cookie.name
    return app.client.get("/roles/me", headers={"Cookie": f"{name}={session}"})


def _signed_in(app: SsoApp, browser_factory: Any, provider: str, login: str) -> str:
    app.client.cookies.clear()
    flow = browser_factory(app.client).login(
        f"/auth/login/{provider}", login=login, password=PASSWORD
    )
    session: str = flow.cookies()[app.settings.session_cookie.name]
    return session


@pytest.mark.parametrize(
    "asserted", [{"amr": ["mfa"]}, {"amr": ["pwd", "otp"]}, {"acr": PAPE_MULTI_FACTOR}]
)
def test_a_trusted_multi_factor_sign_in_is_exempt(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any, asserted: dict[str, Any]
) -> None:
    login = _account(oidc_peer, **asserted)

    session = _signed_in(app, browser_factory, "trusting", login)
    answer = _roles_me(app, session)

    assert answer.status_code == 200, answer.text
    app.client.cookies.clear()
    refreshed = app.client.post(
        "/auth/refresh",
        json={"mode": "session"},
        headers={"Cookie": f"{app.settings.session_cookie.name}={session}"},
    )
    assert refreshed.status_code == 200, refreshed.text
    successor = refreshed.cookies[app.settings.session_cookie.name]
    assert _roles_me(app, successor).status_code == 200


def test_a_single_factor_sign_in_is_held_back(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any
) -> None:
    login = _account(oidc_peer, amr=["pwd"])

    answer = _roles_me(app, _signed_in(app, browser_factory, "trusting", login))

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["code"] == "TFA_SETUP_REQUIRED"


def test_a_provider_not_trusted_for_mfa_is_held_back_whatever_it_asserts(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any
) -> None:
    login = _account(oidc_peer, amr=["mfa"])

    answer = _roles_me(app, _signed_in(app, browser_factory, "wary", login))

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["code"] == "TFA_SETUP_REQUIRED"


@pytest.mark.parametrize(
    ("acr", "exempt"),
    [("urn:example:platinum", True), (PAPE_MULTI_FACTOR, False), ("urn:example:silver", False)],
)
def test_trust_mfa_acr_names_the_acr_values_that_mean_multi_factor(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any, acr: str, exempt: bool
) -> None:
    login = _account(oidc_peer, acr=acr)

    answer = _roles_me(app, _signed_in(app, browser_factory, "gold", login))

    assert (answer.status_code == 200) is exempt, answer.text


def _linked_passkey_user(app: SsoApp, login: str, provider: str) -> str:
    """A local user under the enforcing role whose second factor is a passkey and who has
    ``login``'s identity of ``provider`` linked (rows written directly: the rule under test is
    the sign-in's, not the linking's or the enrolment's)."""
    import uuid
    from datetime import UTC, datetime

    from authgate.identities import repo as identities_repo
    from authgate.storage.tables import passkeys

    made = app.client.post(
        "/users",
        json={
            "email": f"local-{login}@example.com",
            "password": "L0cal-pass",
            "role": ENFORCED_ROLE,
        },
        headers=app.admin,
    )
    assert made.status_code == 200, made.text
    user = str(made.json()["data"]["id"])
    now = datetime.now(UTC)

    def work(conn: Any) -> None:
        identities_repo.insert_identity(
            conn, id=str(uuid.uuid4()), user=user, provider=provider, subject=login, now=now
        )
        conn.execute(
            passkeys.insert().values(
                id=str(uuid.uuid4()),
                user=user,
                credential_id=uuid.uuid4().hex,
                public_key="pQECAyYgASFYIA",
                user_handle=uuid.uuid4().hex,
                name="Phone",
                created=now,
            )
        )

    app.db.write_sync(work)
    return user


@pytest.mark.parametrize(("provider", "amr"), [("wary", ["mfa"]), ("trusting", ["pwd"])])
def test_a_linked_identity_does_not_skip_an_enforced_users_passkey(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any, provider: str, amr: list[str]
) -> None:
    """The passkey counts as the user's second factor for the enforcement, so a sign-in must
    give it: an SSO sign-in cannot carry an assertion, and is refused (``INVALID_OTP``) unless
    a trusted provider asserts multi-factor."""
    login = _account(oidc_peer, amr=amr)
    _linked_passkey_user(app, login, provider)
    app.client.cookies.clear()

    flow = browser_factory(app.client).login(
        f"/auth/login/{provider}", login=login, password=PASSWORD
    )

    assert app.settings.session_cookie.name not in flow.cookies()
    assert "INVALID_OTP" in flow.last.text + flow.location


def test_a_trusted_multi_factor_sign_in_of_a_linked_passkey_user_is_let_through(
    app: SsoApp, oidc_peer: OidcPeer, browser_factory: Any
) -> None:
    login = _account(oidc_peer, amr=["mfa"])
    _linked_passkey_user(app, login, "trusting")

    answer = _roles_me(app, _signed_in(app, browser_factory, "trusting", login))

    assert answer.status_code == 200, answer.text
