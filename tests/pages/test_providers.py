"""The sign-in page lists the providers ``GET /auth`` lists and honours
``AUTH_DISABLE_DEFAULT``; a provider's ``?reason=`` comes back as a sentence."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness
from tests.pages.conftest import Pages, problem_of

ENV = {
    "AUTH_DISABLE_DEFAULT": "true",
    "AUTH_PROVIDERS": "github,staff",
    "AUTH_GITHUB_DRIVER": "oauth2",
    "AUTH_GITHUB_LABEL": "GitHub",
    "AUTH_GITHUB_CLIENT_ID": "client",
    "AUTH_GITHUB_CLIENT_SECRET": "secret",
    "AUTH_GITHUB_AUTHORIZE_URL": "http://127.0.0.1:9/authorize",
    "AUTH_GITHUB_ACCESS_URL": "http://127.0.0.1:9/token",
    "AUTH_GITHUB_PROFILE_URL": "http://127.0.0.1:9/profile",
    "AUTH_STAFF_DRIVER": "local",
    "AUTH_STAFF_LABEL": "Staff directory",
}


def test_the_sso_buttons_link_to_the_api_flow(pages: Pages, harness: Harness) -> None:
    listed = harness.client.get("/auth").json()

    page = pages.get("/admin/login", params={"redirect": "/admin/roles"})

    assert [p["name"] for p in listed["data"]] == ["github", "staff"]
    assert "Sign in with GitHub" in page.text
    href = next(
        unquote(h.replace("&amp;", "&"))
        for h in re.findall(r'href="(/auth/login/github[^"]*)"', page.text)
    )
    back = parse_qs(urlsplit(href).query)["redirect"][0]
    assert back == "http://authgate.test/admin/login?redirect=/admin/roles"


def test_the_default_login_is_off(pages: Pages) -> None:
    page = pages.get("/admin/login")

    refused = pages.post(
        "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "provider": "default"}
    )

    assert '<option value="default">' not in page.text
    assert 'value="staff"' in page.text
    assert refused.status_code == 400
    assert problem_of(refused.text) == "Signing in with a password is turned off here."


def test_a_local_provider_signs_in_its_users(pages: Pages, harness: Harness) -> None:
    user = pages.user(provider="staff")

    response = pages.post(
        "/admin/login", {"email": user["email"], "password": PASSWORD, "provider": "staff"}
    )

    assert response.status_code == 303
    assert "directus_session_token=" in response.headers["set-cookie"]


def test_a_provider_reason_is_shown_in_words(pages: Pages) -> None:
    known = pages.get("/admin/login", params={"reason": "INVALID_PROVIDER"})
    unknown = pages.get("/admin/login", params={"reason": "<b>anything</b>"})

    assert problem_of(known.text).startswith("This account is linked to another sign-in method")
    assert problem_of(unknown.text) == ""
    assert "anything" not in unknown.text
