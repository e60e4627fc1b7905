"""A single-valued query parameter sent twice or with brackets is an array or object for
Directus's ``qs`` parser, never its first or last string."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
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


@pytest.fixture(scope="module")
def reader(harness: Harness) -> dict[str, str]:
    role = harness.create_role("Query parameter readers")
    harness.grant(role, "directus_users", "read")
    for _ in range(3):
        harness.create_user(unique_email("qp"))
    email = harness.create_user(unique_email("qpreader"), role=role)["email"]
    return harness.bearer(email)


def _reason(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_QUERY"
    reason: str = error["extensions"]["reason"]
    return reason


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("limit=abc", '"limit" must be a number'),
        ("limit=1&limit=2", '"limit" must be a number'),
        ("limit[]=1&limit[]=2", '"limit" must be a number'),
        ("limit[a]=1", '"limit" must be a number'),
        ("limit=1.5", '"limit" must be an integer'),
        ("limit=-2", '"limit" must be greater than or equal to -1'),
        ("limit=Infinity", '"limit" cannot be infinity'),
        ("limit=99999999999", '"limit" must be less than or equal to 2147483647'),
        ("offset=abc", '"offset" must be a number'),
        ("offset=-1", '"offset" must be greater than or equal to 0'),
        ("offset=1.5", '"offset" must be an integer'),
        ("page=1&page=2", '"page" must be a number'),
        ("page=-1", '"page" must be greater than or equal to 0'),
        ("meta=bogus", '"meta[0]" must be one of [total_count, filter_count]'),
        ("meta=total_count,bogus", '"meta[1]" must be one of [total_count, filter_count]'),
        ("meta=*&meta=total_count", '"meta[0]" must be one of [total_count, filter_count]'),
        ("meta[]=*", '"meta[0]" must be one of [total_count, filter_count]'),
    ],
)
def test_numbers_and_meta_are_read_as_directus_reads_them(
    harness: Harness, reader: dict[str, str], query: str, reason: str
) -> None:
    response = harness.client.get(f"/users?fields=id&{query}", headers=reader)

    assert _reason(response) == reason


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("limit=", 0),  # Number("") is 0
        ("limit[]=1", 1),
        ("limit=%202%20", 2),
        ("limit=1e0", 1),
        ("limit=0x2", 2),
        ("limit=3&search[]=x", 3),  # a search that is not one string is ignored
        ("limit=3&search[a]=x", 3),
    ],
)
def test_javascript_numbers_are_limits(
    harness: Harness, reader: dict[str, str], query: str, count: int
) -> None:
    response = harness.client.get(f"/users?fields=id&{query}", headers=reader)

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == count


def test_a_search_body_takes_json_numbers(harness: Harness, reader: dict[str, str]) -> None:
    response = harness.client.request(
        "SEARCH", "/users", json={"query": {"fields": ["id"], "limit": 2}}, headers=reader
    )

    assert len(response.json()["data"]) == 2
