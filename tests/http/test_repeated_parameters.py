"""A single-valued query parameter sent twice or with brackets is an array or object for
Directus's ``qs`` parser, never its first or last string."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, Harness, unique_email


@pytest.fixture
def registration_on(harness: Harness) -> Iterator[None]:
    harness.client.patch(
        "/settings",
        json={"public_registration": True, "public_registration_verify_email": True},
        headers=harness.admin,
    )
    yield
    harness.client.patch("/settings", json={"public_registration": False}, headers=harness.admin)


@pytest.mark.parametrize(
    "query", ["token={t}&token={t}", "token={t}&token=", "token[]={t}", "token[a]={t}"]
)
def test_a_repeated_verification_token_goes_to_the_sign_in_page(
    harness: Harness, registration_on: None, query: str
) -> None:
    email = unique_email()
    harness.client.post("/users/register", json={"email": email, "password": PASSWORD})
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    token = parse_qs(urlsplit(mail.data["url"]).query)["token"][0]

    response = harness.client.get(
        f"/users/register/verify-email?{query.format(t=token)}", follow_redirects=False
    )

    assert response.status_code == 302
    assert response.headers["location"] == "/admin/login"
    assert harness.login(email).status_code == 401  # still unverified
    verified = harness.client.get(
        "/users/register/verify-email", params={"token": token}, follow_redirects=False
    )
    assert verified.headers["location"].startswith("/admin/users/")
