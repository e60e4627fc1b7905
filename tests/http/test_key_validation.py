"""A key its collection cannot hold is refused before any permission is looked at, with the bare
FORBIDDEN Directus's validateKeys throws, whoever asks (checked against Directus 12.4.0:
``GET /users/not-a-uuid`` as a role-less user or anonymously)."""

from __future__ import annotations

import pytest

from tests.conftest import Harness

BARE = {
    "errors": [
        {
            "message": "You don't have permission to access this.",
            "extensions": {"code": "FORBIDDEN"},
        }
    ]
}


@pytest.mark.parametrize("path", ["/users/not-a-uuid", "/users/123"])
def test_an_impossible_user_key_is_a_bare_forbidden_for_a_roleless_user(
    harness: Harness, path: str
) -> None:
    user = harness.create_user()
    token = harness.tokens(user["email"])["access_token"]
    harness.client.cookies.clear()

    for headers, params in (
        ({"Authorization": f"Bearer {token}"}, {}),
        ({}, {"access_token": token}),
    ):
        response = harness.client.get(path, headers=headers, params=params)
        assert response.status_code == 403
        assert response.json() == BARE


def test_an_impossible_user_key_is_a_bare_forbidden_anonymously(harness: Harness) -> None:
    response = harness.client.get("/users/not-a-uuid")

    assert response.status_code == 403
    assert response.json() == BARE


def test_a_possible_key_without_permission_still_names_the_collection(harness: Harness) -> None:
    response = harness.client.get("/users/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 403
    assert "directus_users" in response.json()["errors"][0]["message"]
