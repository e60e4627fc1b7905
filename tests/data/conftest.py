"""A small data model and the five kinds of caller, set up through the API once per module.

Collections: ``authors`` (id, name, email) and ``articles`` (id, title, status, body, rating,
published, owner -> directus_users, author -> authors), with ``authors.articles`` the o2m.
Callers: admin, an app user, an API-only user (role without app access), a role-less user,
and anonymous.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, Harness, unique_email

# Where a caller's token travels: the Authorization header, a session cookie, ?access_token=.
TRANSPORTS = ("header", "cookie", "query")

ARTICLE_FIELDS = [
    {
        "field": "id",
        "type": "integer",
        "schema": {"is_primary_key": True, "has_auto_increment": True},
    },
    {"field": "title", "type": "string", "schema": {"is_nullable": False}},
    {"field": "status", "type": "string", "schema": {"default_value": "draft"}},
    {"field": "body", "type": "text", "schema": {}},
    {"field": "rating", "type": "integer", "schema": {}},
    {"field": "published", "type": "timestamp", "schema": {}},
    {"field": "owner", "type": "uuid", "schema": {}, "meta": {"special": ["user-created"]}},
    {"field": "author", "type": "integer", "schema": {}},
    {"field": "data", "type": "json", "schema": {}},
    {"field": "featured", "type": "boolean", "schema": {"default_value": False}},
]


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    user_id: str | None = None
    role: str | None = None


@dataclass
class World:
    harness: Harness
    admin: Caller
    app: Caller
    api: Caller
    roleless: Caller
    anonymous: Caller
    app_policy: str
    api_policy: str

    def as_(self, caller: Caller, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.harness.client.request(method, path, headers=caller.headers, **kwargs)

    def grant(self, policy: str, collection: str, action: str, **row: Any) -> int:
        body = {
            "collection": collection,
            "action": action,
            "fields": ["*"],
            "policy": policy,
            **row,
        }
        response = self.harness.client.post("/permissions", json=body, headers=self.harness.admin)
        assert response.status_code == 200, response.text
        permission_id: int = response.json()["data"]["id"]
        return permission_id

    def revoke(self, permission_id: int) -> None:
        response = self.harness.client.delete(
            f"/permissions/{permission_id}", headers=self.harness.admin
        )
        assert response.status_code == 204, response.text


def call(
    world: World, caller: Caller, transport: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """The request with the caller's token in the header, a session cookie, or the query."""
    client = world.harness.client
    client.cookies.clear()
    if transport == "header":
        return client.request(method, path, headers=caller.headers, **kwargs)
    if transport == "query":
        token = caller.headers["Authorization"].removeprefix("Bearer ")
        params = {**dict(kwargs.pop("params", None) or {}), "access_token": token}
        return client.request(method, path, params=params, **kwargs)
    login = world.harness.login(caller.name, PASSWORD, mode="session")
    assert login.status_code == 200, login.text
    assert client.cookies.get("directus_session_token")
    try:
        return client.request(method, path, **kwargs)
    finally:
        client.cookies.clear()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 204), response.text
    return response.json()["data"] if response.status_code == 200 else None


@pytest.fixture(scope="module")
def world(harness: Harness) -> World:
    admin = harness.admin
    client = harness.client
    _ok(
        client.post(
            "/collections",
            json={
                "collection": "authors",
                "fields": [
                    {"field": "name", "type": "string", "schema": {}},
                    {"field": "email", "type": "string", "schema": {}},
                ],
            },
            headers=admin,
        )
    )
    _ok(
        client.post(
            "/collections", json={"collection": "articles", "fields": ARTICLE_FIELDS}, headers=admin
        )
    )
    _ok(
        client.post(
            "/relations",
            json={
                "collection": "articles",
                "field": "author",
                "related_collection": "authors",
                "meta": {"one_field": "articles"},
            },
            headers=admin,
        )
    )
    _ok(
        client.post(
            "/relations",
            json={
                "collection": "articles",
                "field": "owner",
                "related_collection": "directus_users",
            },
            headers=admin,
        )
    )
    # Roles with their own policies, created the way the app does it (nested writes).
    app_role = _ok(
        client.post(
            "/roles",
            json={
                "name": "Editors",
                "policies": {
                    "create": [{"policy": {"name": "Editors policy", "app_access": True}}],
                    "update": [],
                    "delete": [],
                },
            },
            headers=admin,
        )
    )
    api_role = _ok(
        client.post(
            "/roles",
            json={
                "name": "Robots",
                "policies": [{"policy": {"name": "Robots policy", "app_access": False}}],
            },
            headers=admin,
        )
    )
    access = _ok(
        client.get("/access", params={"fields": "role,policy", "limit": "-1"}, headers=admin)
    )
    app_policy = next(a["policy"] for a in access if a["role"] == app_role["id"])
    api_policy = next(a["policy"] for a in access if a["role"] == api_role["id"])

    def user(role: str | None) -> Caller:
        email = unique_email()
        created = harness.create_user(email, role=role)
        return Caller(email, harness.bearer(email, PASSWORD), created["id"], role)

    return World(
        harness=harness,
        admin=Caller("admin", admin),
        app=user(app_role["id"]),
        api=user(api_role["id"]),
        roleless=user(None),
        anonymous=Caller("anonymous", {}),
        app_policy=app_policy,
        api_policy=api_policy,
    )


@pytest.fixture
def articles(world: World) -> Iterator[list[dict[str, Any]]]:
    """Fresh rows for one test: three authors' articles (deleted afterwards)."""
    client, admin = world.harness.client, world.harness.admin
    created = _ok(
        client.post(
            "/items/articles",
            json=[
                {
                    "title": "Alpha",
                    "status": "published",
                    "rating": 5,
                    "author": {"name": "Ann", "email": "ann@example.com"},
                    "body": "first words",
                },
                {"title": "Beta", "status": "draft", "rating": 3, "author": {"name": "Bob"}},
                {"title": "Gamma", "status": "published", "rating": 1, "body": "100% pure_text"},
            ],
            headers=admin,
        )
    )
    yield created
    client.request("DELETE", "/items/articles", json=[a["id"] for a in created], headers=admin)
    client.request(
        "DELETE",
        "/items/authors",
        json={"query": {"filter": {"name": {"_in": ["Ann", "Bob"]}}}},
        headers=admin,
    )
