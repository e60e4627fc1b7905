"""With ``AUTH_DISABLE_DEFAULT`` the passkey sign-in is off, as ``POST /auth/login`` is
(passkeys sign in users of the built-in provider)."""

from __future__ import annotations

from tests.conftest import Harness

ENV = {"AUTH_DISABLE_DEFAULT": "true"}


def test_the_passkey_sign_in_routes_are_not_found(harness: Harness) -> None:
    options = harness.client.post("/auth/passkey/options", json={})
    login = harness.client.post("/auth/passkey/login", json={"credential": {}})

    for response in (options, login):
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"
