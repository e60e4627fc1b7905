"""GET /server/specs/oas (an OpenAPI 3.1 document of every REST route, per caller) and GET
/server/specs/graphql[/system] (the SDL), as Directus serves them."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from tests.conftest import Harness


def _oas(harness: Harness, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = harness.client.get("/server/specs/oas", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    document: dict[str, Any] = response.json()
    return document


def _collection(harness: Harness, name: str) -> None:
    response = harness.client.post(
        "/collections",
        json={
            "collection": name,
            "schema": {},
            "fields": [
                {
                    "field": "id",
                    "type": "integer",
                    "schema": {"is_primary_key": True, "has_auto_increment": True},
                },
                {"field": "title", "type": "string"},
            ],
        },
        headers=harness.admin,
    )
    assert response.status_code == 200, response.text


def test_the_admin_document_is_valid_openapi_and_lists_every_rest_route(harness: Harness) -> None:
    _collection(harness, "ops_articles")
    document = _oas(harness, harness.admin)

    validate(document)  # raises on an invalid document
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    for path, method in [
        ("/auth/login", "post"),
        ("/auth/refresh", "post"),
        ("/auth/password/reset", "post"),
        ("/users", "get"),
        ("/users/{key}", "patch"),
        ("/users/me/tfa/generate", "post"),
        ("/roles", "get"),
        ("/policies/{key}", "delete"),
        ("/permissions/me", "get"),
        ("/collections", "post"),
        ("/fields/{collection}/{field}", "patch"),
        ("/settings", "patch"),
        ("/server/health", "get"),
        ("/server/specs/oas", "get"),
        ("/items/ops_articles", "get"),
        ("/items/ops_articles/{key}", "delete"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"
    assert not any(
        p.startswith(("/admin", "/graphql")) or ("{collection}" in p and p.startswith("/items"))
        for p in paths
    )
    login = paths["/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "email",
        "password",
    ]
    assert login["responses"]["401"] == {"$ref": "#/components/responses/UnauthorizedError"}
    envelope = document["components"]["schemas"]["Errors"]
    assert envelope["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["OpsArticles"]["properties"]["title"]["type"] == [
        "string",
        "null",
    ]


def test_own_sessions_and_keys_are_described_without_the_user_item(harness: Harness) -> None:
    anonymous = _oas(harness)["paths"]
    admin = _oas(harness, harness.admin)["paths"]

    assert set(anonymous["/users/me/sessions"]) == {"get", "delete"}
    assert "/users/{key}/keys" not in anonymous
    create = admin["/users/{key}/keys"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name"]
    assert set(body["properties"]) == {"name", "expires", "policies"}
    assert admin["/users/me/keys/{id}"]["delete"]["responses"]["204"] == {
        "$ref": "#/components/responses/NoContentResponse"
    }
    assert "$ref" not in str(admin["/users/{key}/sessions"]["get"]["responses"]["200"])


def test_callers_see_only_what_they_may_read(harness: Harness) -> None:
    _collection(harness, "ops_public_notes")
    _collection(harness, "ops_hidden_notes")
    harness.grant(None, "ops_public_notes", "read")
    role = harness.create_role("ops-specs-reader")
    harness.grant(role, "directus_users", "read")
    user = harness.create_user(role=role)

    anonymous = _oas(harness)
    reader = _oas(harness, harness.bearer(user["email"]))

    validate(anonymous)
    assert "/auth/login" in anonymous["paths"]
    assert "/server/info" in anonymous["paths"]
    assert "/items/ops_public_notes" in anonymous["paths"]
    assert "/items/ops_hidden_notes" not in anonymous["paths"]
    assert "/users" not in anonymous["paths"]
    assert "/roles" not in anonymous["paths"]
    assert "/users" in reader["paths"]
    assert "/roles" not in reader["paths"]
    assert "/items/ops_hidden_notes" not in reader["paths"]


def test_graphql_sdl_per_caller(harness: Harness) -> None:
    _collection(harness, "ops_sdl_things")
    anonymous = harness.client.get("/server/specs/graphql")
    admin = harness.client.get("/server/specs/graphql", headers=harness.admin)
    system = harness.client.get("/server/specs/graphql/system", headers=harness.admin)

    for response in (anonymous, admin, system):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/octet-stream; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="')
        assert "type Query" in response.text
    assert "ops_sdl_things" in admin.text
    assert "ops_sdl_things" not in anonymous.text
    assert "users_me" in system.text
    assert "ops_sdl_things" not in system.text


def test_passkeys_recovery_codes_and_the_key_set_are_described(harness: Harness) -> None:
    document = _oas(harness)
    validate(document)
    paths = document["paths"]

    def body(path: str, method: str) -> dict[str, Any]:
        schema: dict[str, Any] = paths[path][method]["requestBody"]["content"]["application/json"][
            "schema"
        ]
        return schema

    assert set(paths["/users/me/passkeys"]) == {"get", "post"}
    assert body("/users/me/passkeys/options", "post")["required"] == ["password"]
    assert body("/users/me/passkeys", "post")["required"] == ["credential", "name"]
    assert set(body("/users/me/passkeys/{key}", "delete")["properties"]) == {
        "password",
        "otp",
        "passkey",
    }
    assert paths["/users/me/passkeys/{key}"]["delete"]["responses"]["204"]
    assert set(body("/auth/passkey/options", "post")["properties"]) == {"email"}
    login = body("/auth/passkey/login", "post")
    assert login["required"] == ["credential"]
    assert login["properties"]["mode"]["enum"] == ["json", "cookie", "session"]
    assert "passkey" in body("/auth/login", "post")["properties"]
    assert set(paths["/users/me/tfa/recovery-codes"]) == {"get", "post"}
    assert body("/users/me/tfa/recovery-codes", "post")["required"] == ["otp"]
    jwks = paths["/.well-known/jwks.json"]["get"]
    assert jwks["tags"] == ["Authentication"]
    schema = jwks["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["keys"]
