"""``PATCH /users/me`` answers a caller without the update permission 403 whatever its payload
holds: Directus raises the users rules' refusals (admin-only fields, email syntax, password
policy) only after the access checks (its ``preMutationError``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness, unique_email

PAYLOADS: list[dict[str, Any]] = [
    {"provider": "default"},
    {"external_identifier": "x"},
    {"provider": "github", "first_name": "x"},
    {"tfa_secret": "x"},
    {"email": "not-an-email"},
    {"first_name": "x"},
]


@pytest.fixture(scope="module")
def reader(harness: Harness) -> dict[str, str]:
    role = harness.create_role("Me readers")
    harness.grant(role, "directus_users", "read")
    email = harness.create_user(unique_email("reader"), role=role)["email"]
    return harness.bearer(email)


@pytest.fixture(scope="module")
def editor(harness: Harness) -> dict[str, str]:
    role = harness.create_role("Me editors")
    harness.grant(role, "directus_users", "read")
    harness.grant(role, "directus_users", "update")
    email = harness.create_user(unique_email("editor"), role=role)["email"]
    return harness.bearer(email)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_without_the_update_permission_every_payload_is_forbidden(
    harness: Harness, reader: dict[str, str], payload: dict[str, Any]
) -> None:
    response = harness.client.patch("/users/me", json=payload, headers=reader)

    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == (
        'You don\'t have permission to access collection "directus_users" or it does not exist.'
        " Queried in root."
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"provider": "default"},
            'Invalid payload. You can\'t change the "provider" value manually.',
        ),
        (
            {"external_identifier": "x"},
            'Invalid payload. You can\'t change the "external_identifier" value manually.',
        ),
    ],
)
def test_with_the_update_permission_the_users_rules_answer(
    harness: Harness, editor: dict[str, str], payload: dict[str, Any], message: str
) -> None:
    response = harness.client.patch("/users/me", json=payload, headers=editor)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == message


def test_graphql_has_no_update_users_me_without_the_permission(
    harness: Harness, reader: dict[str, str]
) -> None:
    # As in Directus: the mutation is not in the caller's schema, whatever its data.
    query = 'mutation { update_users_me(data: {provider: "x"}) { id } }'

    response = harness.client.post("/graphql/system", json={"query": query}, headers=reader)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION"
    assert "update_users_me" in error["extensions"]["errors"][0]["message"]
