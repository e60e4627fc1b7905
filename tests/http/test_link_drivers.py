"""Only OAuth2 and OpenID providers link identities and log out at the provider (README
"Linked identities", "RP-initiated logout"): for an LDAP, a SAML or a second password
(``local``) provider, ``GET /auth/link/<name>`` and ``GET /auth/logout/<name>`` are ``404
ROUTE_NOT_FOUND`` and start or end nothing."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, Harness
from tests.sso.peers.saml_idp.peer import make_key_pair
from tests.sso.test_saml_config import idp_metadata

ENV = {
    "PUBLIC_URL": "http://127.0.0.1:8055",
    "AUTH_PROVIDERS": "directory,corp,other",
    "AUTH_CORP_DRIVER": "saml",
    "AUTH_CORP_IDP_metadata": idp_metadata(make_key_pair("link drivers IdP")),
    "AUTH_DIRECTORY_DRIVER": "ldap",
    "AUTH_DIRECTORY_CLIENT_URL": "ldap://127.0.0.1:1",
    "AUTH_DIRECTORY_BIND_DN": "cn=reader,dc=example,dc=com",
    "AUTH_DIRECTORY_BIND_PASSWORD": "unused",
    "AUTH_DIRECTORY_USER_DN": "ou=people,dc=example,dc=com",
    "AUTH_OTHER_DRIVER": "local",
}


@pytest.mark.parametrize("provider", ["directory", "corp", "other"])
@pytest.mark.parametrize("action", ["link", "logout"])
def test_only_redirect_providers_link_or_log_out_at_the_provider(
    harness: Harness, provider: str, action: str
) -> None:
    assert provider in {p["name"] for p in harness.client.get("/auth").json()["data"]}
    user = harness.create_user()
    harness.client.cookies.clear()
    signed = harness.client.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD, "mode": "session"},
    )
    assert signed.status_code == 200, signed.text

    answer = harness.client.get(f"/auth/{action}/{provider}", params={"redirect": "/admin"})

    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"
    assert "set-cookie" not in answer.headers
    assert harness.client.get("/users/me").status_code == 200  # the session stands
    assert harness.sql('SELECT id FROM authgate_identities WHERE "user" = :u', u=user["id"]) == []
