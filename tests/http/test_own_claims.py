"""Claims of the README's "Own sessions", "API keys", "Linked identities" and "GraphQL" that no
other test checked: malformed or unknown ids are ``403 FORBIDDEN`` for an administrator too; a
password or email change ends a user's sessions but not their keys; the OpenAPI document lists
the single sign-on account routes; none of these capabilities has a GraphQL operation."""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import Harness

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]


def _key(harness: Harness, headers: dict[str, str], path: str = "/users/me/keys") -> Any:
    response = harness.client.post(path, json={"name": "claims"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_malformed_and_unknown_ids_are_forbidden_for_an_administrator_too(
    harness: Harness,
) -> None:
    target = harness.create_user()
    harness.bearer(target["email"])  # a session to hide among
    _key(harness, harness.admin, f"/users/{target['id']}/keys")
    own = f"/users/{target['id']}"

    answers = {
        path: harness.client.request(method, path, headers=harness.admin)
        for method, path in [
            ("GET", "/users/not-a-user/sessions"),
            ("DELETE", "/users/not-a-user/sessions"),
            ("GET", "/users/not-a-user/keys"),
            ("DELETE", f"{own}/sessions/not-a-session"),
            ("DELETE", f"{own}/sessions/{UNKNOWN}"),
            ("DELETE", f"{own}/keys/not-a-key"),
            ("DELETE", f"{own}/keys/{UNKNOWN}"),
            ("DELETE", "/users/me/keys/not-a-key"),
            ("DELETE", f"/users/me/keys/{UNKNOWN}"),
            ("DELETE", "/users/me/identities/not-an-identity"),
        ]
    }

    for path, answer in answers.items():
        assert _code(answer) == (403, "FORBIDDEN"), path
    listed = harness.client.get(f"{own}/keys", headers=harness.admin).json()["data"]
    assert len(listed) == 1


@pytest.mark.parametrize("field", ["password", "email"])
def test_a_credential_change_ends_the_sessions_but_not_the_keys(
    harness: Harness, field: str
) -> None:
    user = harness.create_user()
    session = harness.bearer(user["email"])
    key = _key(harness, session)
    value = "An0ther-Passw0rd!" if field == "password" else f"moved-{user['email']}"

    changed = harness.client.patch(
        f"/users/{user['id']}", json={field: value}, headers=harness.admin
    )
    harness.client.cookies.clear()
    after_session = harness.client.get("/users/me", headers=session)
    after_key = harness.client.get("/users/me", headers={"Authorization": f"Bearer {key['token']}"})

    assert changed.status_code == 200, changed.text
    assert after_session.status_code == 401
    assert after_key.status_code == 200, after_key.text
    assert after_key.json()["data"]["id"] == user["id"]


def test_the_openapi_document_lists_the_single_sign_on_account_routes(harness: Harness) -> None:
    paths = harness.client.get("/server/specs/oas", headers=harness.admin).json()["paths"]

    for path, method in [
        ("/auth/logout/{provider}", "get"),
        ("/auth/link/{provider}", "get"),
        ("/auth/login/{provider}/backchannel-logout", "post"),
        ("/users/me/identities", "get"),
        ("/users/me/identities/{id}", "delete"),
        ("/users/me/sessions/{session}", "delete"),
        ("/users/{key}/sessions/{session}", "delete"),
        ("/users/{key}/keys/{id}", "delete"),
        ("/.well-known/jwks.json", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"


@pytest.mark.parametrize(
    "endpoint",
    ["/server/specs/graphql/system", "/server/specs/graphql", "/server/specs/graphql/items"],
)
def test_graphql_has_no_operation_for_authgates_own_capabilities(
    harness: Harness, endpoint: str
) -> None:
    sdl = harness.client.get(endpoint, headers=harness.admin)

    assert sdl.status_code == 200, sdl.text
    text = sdl.text.lower()
    if endpoint.endswith("/system"):
        assert "users_me" in text
    else:  # the project's collections; /items is the same document under another name
        assert sdl.text == harness.client.get("/server/specs/graphql", headers=harness.admin).text
    for word in ("passkey", "recovery", "identit", "sessions", "authgate"):
        assert word not in text, word
    assert not re.search(r"\bkeys\b", text)
