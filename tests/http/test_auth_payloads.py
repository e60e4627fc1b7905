"""Login and reset payloads read as Directus 12.4's Joi schemas read them: an empty ``otp``,
an address whose local part is over 64 bytes, an empty password on a reset link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, Harness, unique_email


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.fixture(scope="module")
def member(harness: Harness) -> str:
    role = harness.create_role("Payload readers")
    harness.grant(role, "directus_users", "read")
    email: str = harness.create_user(unique_email("payload"), role=role)["email"]
    return email


@pytest.mark.parametrize("mode", ["json", "cookie", "session"])
def test_an_empty_otp_is_refused_before_the_password_is_checked(
    harness: Harness, member: str, mode: str
) -> None:
    response = harness.login(member, otp="", mode=mode)

    assert _error(response) == (
        400,
        "INVALID_PAYLOAD",
        'Invalid payload. "otp" is not allowed to be empty.',
    )
    assert "set-cookie" not in response.headers
    assert harness.login(member, otp="   ", mode=mode).status_code == 200  # Joi does not trim


def test_graphql_auth_login_takes_an_empty_otp_as_none(harness: Harness, member: str) -> None:
    # Directus's GraphQL resolver does not validate with Joi: "" is no code at all.
    query = 'mutation { auth_login(email: "%s", password: "%s", otp: "") { expires } }'

    response = harness.client.post("/graphql/system", json={"query": query % (member, PASSWORD)})

    assert response.status_code == 200
    assert response.json()["data"]["auth_login"]["expires"]


@pytest.mark.parametrize("local", ["a" * 65, "ä" * 33, "a" * 60 + "ääü"])
def test_a_local_part_over_64_bytes_is_not_an_email(harness: Harness, local: str) -> None:
    response = harness.login(f"{local}@example.com")

    assert _error(response) == (
        400,
        "INVALID_PAYLOAD",
        'Invalid payload. "email" must be a valid email.',
    )


@pytest.mark.parametrize("local", ["a" * 64, "ä" * 32])
def test_a_local_part_of_64_bytes_is_an_email(harness: Harness, local: str) -> None:
    response = harness.login(f"{local}@example.com")

    assert _error(response)[:2] == (401, "INVALID_CREDENTIALS")


def test_registration_and_users_refuse_a_long_local_part_too(harness: Harness) -> None:
    email = "b" * 65 + "@example.com"

    created = harness.client.post(
        "/users", json={"email": email, "password": PASSWORD}, headers=harness.admin
    )

    assert created.status_code == 400
    assert harness.sql("SELECT id FROM directus_users WHERE email = :e", e=email) == []


def _reset_token(harness: Harness, email: str) -> str:
    harness.client.post("/auth/password/request", json={"email": email})
    url: str = [m for m in harness.outbox.sent if m.to == email][-1].data["url"]
    return parse_qs(urlsplit(url).query)["token"][0]


def test_an_empty_password_on_a_reset_link_is_refused_and_changes_nothing(
    harness: Harness,
) -> None:
    role = harness.create_role("Reset readers")
    harness.grant(role, "directus_users", "read")
    member = harness.create_user(unique_email("reset"), role=role)["email"]
    token = _reset_token(harness, member)

    response = harness.client.post("/auth/password/reset", json={"token": token, "password": ""})

    assert _error(response) == (
        400,
        "INVALID_PAYLOAD",
        'Invalid payload. "password" is not allowed to be empty.',
    )
    assert harness.login(member).status_code == 200
    # The link still works for a real password.
    done = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": "N3w-Passw0rd!"}
    )
    assert done.status_code == 204
    assert harness.login(member, "N3w-Passw0rd!").status_code == 200


@pytest.mark.parametrize("token", ["garbage", ""])
def test_an_empty_password_with_a_bad_link_is_the_links_error(harness: Harness, token: str) -> None:
    response = harness.client.post("/auth/password/reset", json={"token": token, "password": ""})

    assert _error(response)[:2] == (403, "INVALID_TOKEN")


@pytest.mark.parametrize(
    ("reset_url", "shown"),
    [
        (5, "5"),
        (1.5, "1.5"),
        (True, "true"),
        ([1, 2], "1,2"),
        ([None, "a"], ",a"),
        ([], ""),
        ({}, "[object Object]"),
    ],
)
def test_a_reset_url_of_another_type_is_refused_as_directus_prints_it(
    harness: Harness, member: str, reset_url: object, shown: str
) -> None:
    before = len(harness.outbox.sent)

    response = harness.client.post(
        "/auth/password/request", json={"email": member, "reset_url": reset_url}
    )

    assert _error(response) == (
        400,
        "INVALID_PAYLOAD",
        f'Invalid payload. URL "{shown}" can\'t be used to reset passwords.',
    )
    assert len(harness.outbox.sent) == before


@pytest.mark.parametrize("reset_url", [0, False, "", None])
def test_a_falsy_reset_url_is_no_reset_url(
    harness: Harness, member: str, reset_url: object
) -> None:
    response = harness.client.post(
        "/auth/password/request", json={"email": member, "reset_url": reset_url}
    )

    assert response.status_code == 204
