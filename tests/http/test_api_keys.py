"""``/users/me/keys`` and ``/users/:id/keys``: API keys, made, listed and revoked; used as a
static token is (header, ``?access_token=``, session cookie), limited to some of the user's
policies, refused at once when expired, revoked, or their user suspended."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import Harness, unique_email

TRANSPORTS = ["header", "query", "cookie"]
KINDS = ["custom", "app", "roleless", "admin"]
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@dataclass
class World:
    roles: dict[str, str | None]
    policy_a: str  # reads items of keys_a
    policy_b: str  # reads items of keys_b and one's own directus_users record


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 204), response.text
    return response.json()["data"] if response.status_code == 200 else None


@pytest.fixture(scope="module")
def world(harness: Harness) -> World:
    admin = harness.admin
    client = harness.client
    for name in ("keys_a", "keys_b"):
        _ok(
            client.post(
                "/collections",
                json={"collection": name, "fields": [{"field": "title", "type": "string"}]},
                headers=admin,
            )
        )
        _ok(client.post(f"/items/{name}", json={"title": f"in {name}"}, headers=admin))
    policy_a = _ok(client.post("/policies", json={"name": "Keys A"}, headers=admin))["id"]
    policy_b = _ok(client.post("/policies", json={"name": "Keys B"}, headers=admin))["id"]
    for policy, collection in ((policy_a, "keys_a"), (policy_b, "keys_b")):
        _ok(
            client.post(
                "/permissions",
                json={
                    "policy": policy,
                    "collection": collection,
                    "action": "read",
                    "fields": ["*"],
                },
                headers=admin,
            )
        )
    _ok(
        client.post(
            "/permissions",
            json={
                "policy": policy_b,
                "collection": "directus_users",
                "action": "read",
                "fields": ["*"],
                "permissions": {"id": {"_eq": "$CURRENT_USER"}},
            },
            headers=admin,
        )
    )
    custom = harness.create_role("Keys custom")
    harness.grant(custom, "directus_users", "read")
    roles = {
        "custom": custom,
        "app": harness.create_role("Keys app", app=True),
        "roleless": None,
        "admin": harness.create_role("Keys admins", admin=True),
    }
    return World(roles, policy_a, policy_b)


def _user(harness: Harness, world: World, kind: str = "custom", **fields: Any) -> dict[str, Any]:
    return harness.create_user(unique_email(f"keys-{kind}"), role=world.roles[kind], **fields)


def _bearer(harness: Harness, user: dict[str, Any]) -> dict[str, str]:
    return harness.bearer(user["email"])


def _create(
    harness: Harness, headers: dict[str, str], path: str = "/users/me/keys", **body: Any
) -> dict[str, Any]:
    data: dict[str, Any] = _ok(
        harness.client.post(path, json={"name": "script", **body}, headers=headers)
    )
    return data


def _as_key(
    harness: Harness, key: str, path: str = "/users/me", transport: str = "header"
) -> httpx.Response:
    harness.client.cookies.clear()
    if transport == "query":
        return harness.client.get(path, params={"access_token": key})
    if transport == "cookie":
        return harness.client.get(path, headers={"Cookie": f"directus_session_token={key}"})
    return harness.client.get(path, headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_key_is_shown_once_stored_hashed_and_used_like_a_static_token(
    harness: Harness, world: World, kind: str, transport: str
) -> None:
    user = _user(harness, world, kind)
    headers = _bearer(harness, user)

    created = _create(harness, headers, name="deploy")
    listed = _ok(harness.client.get("/users/me/keys", headers=headers))
    me = _as_key(harness, created["token"], "/users/me?fields=id", transport)

    assert created["token"].startswith("agk_")
    assert len(created["token"]) == 68
    assert set(created) == {"id", "name", "created", "expires", "last_used", "policies", "token"}
    assert [{**k, "last_used": None} for k in listed] == [
        {k: v for k, v in created.items() if k != "token"}
    ]
    assert me.status_code == 200, me.text
    assert me.json()["data"]["id"] == user["id"]
    stored = harness.sql("SELECT token FROM authgate_api_keys WHERE id = :id", id=created["id"])
    assert stored[0][0] != created["token"]
    assert created["token"] not in str(harness.sql("SELECT * FROM authgate_api_keys"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_expired_revoked_and_unknown_keys_answer_as_an_invalid_token(
    harness: Harness, world: World, transport: str
) -> None:
    user = _user(harness, world)
    headers = _bearer(harness, user)
    expires = (harness.clock.now().timestamp() + 3600) * 1000
    from datetime import UTC, datetime

    soon = datetime.fromtimestamp(expires / 1000, UTC).isoformat()
    expiring = _create(harness, headers, name="expiring", expires=soon)
    revoked = _create(harness, headers, name="revoked")
    unknown = _as_key(harness, "agk_" + secrets.token_urlsafe(48), transport=transport)
    other_static = _as_key(harness, "not-a-token-" + secrets.token_hex(8), transport=transport)

    assert _as_key(harness, expiring["token"], transport=transport).status_code == 200
    assert _ok(harness.client.delete(f"/users/me/keys/{revoked['id']}", headers=headers)) is None
    harness.clock.advance(3600)
    refused = [
        _as_key(harness, expiring["token"], transport=transport),
        _as_key(harness, revoked["token"], transport=transport),
    ]

    assert (unknown.status_code, _code(unknown)) == (401, "INVALID_CREDENTIALS")
    for response in refused:
        assert response.status_code == unknown.status_code
        assert response.json() == unknown.json() == other_static.json()


def test_suspending_the_user_stops_the_keys_at_once(harness: Harness, world: World) -> None:
    user = _user(harness, world, "app")
    key = _create(harness, _bearer(harness, user))["token"]
    assert _as_key(harness, key).status_code == 200

    _ok(
        harness.client.patch(
            f"/users/{user['id']}", json={"status": "suspended"}, headers=harness.admin
        )
    )
    suspended = _as_key(harness, key)
    _ok(
        harness.client.patch(
            f"/users/{user['id']}", json={"status": "active"}, headers=harness.admin
        )
    )

    assert (suspended.status_code, _code(suspended)) == (401, "INVALID_CREDENTIALS")
    assert _as_key(harness, key).status_code == 200


def _with_both_policies(harness: Harness, world: World) -> dict[str, Any]:
    user = _user(harness, world, "roleless")
    for policy in (world.policy_a, world.policy_b):
        _ok(
            harness.client.post(
                "/access", json={"user": user["id"], "policy": policy}, headers=harness.admin
            )
        )
    return user


def test_a_limited_key_reads_only_what_its_policies_grant(harness: Harness, world: World) -> None:
    user = _with_both_policies(harness, world)
    headers = _bearer(harness, user)
    only_a = _create(harness, headers, name="a", policies=[world.policy_a])
    only_b = _create(harness, headers, name="b", policies=[world.policy_b])
    both = _create(harness, headers, name="all")

    assert _as_key(harness, only_a["token"], "/items/keys_a").status_code == 200
    assert _as_key(harness, only_a["token"], "/items/keys_b").status_code == 403
    assert _as_key(harness, only_a["token"], "/users/me").json() == {"data": {"id": user["id"]}}
    assert _as_key(harness, only_b["token"], "/items/keys_a").status_code == 403
    assert _as_key(harness, only_b["token"], "/items/keys_b").status_code == 200
    assert _as_key(harness, only_b["token"], "/users/me?fields=email").json() == {
        "data": {"email": user["email"]}
    }
    for path in ("/items/keys_a", "/items/keys_b"):
        assert _as_key(harness, both["token"], path).status_code == 200
    assert only_a["policies"] == [world.policy_a]
    assert both["policies"] is None


def test_a_policy_taken_from_the_user_leaves_the_keys_reach_at_once(
    harness: Harness, world: World
) -> None:
    user = _with_both_policies(harness, world)
    key = _create(harness, _bearer(harness, user), policies=[world.policy_a])["token"]
    assert _as_key(harness, key, "/items/keys_a").status_code == 200
    access = _ok(
        harness.client.get(
            "/access",
            params={"filter[user][_eq]": user["id"], "filter[policy][_eq]": world.policy_a},
            headers=harness.admin,
        )
    )

    _ok(harness.client.delete(f"/access/{access[0]['id']}", headers=harness.admin))

    assert _as_key(harness, key, "/items/keys_a").status_code == 403
    assert _as_key(harness, key, "/items/keys_b").status_code == 403  # never more than it had
    assert _as_key(harness, key, "/users/me").json() == {"data": {"id": user["id"]}}


def test_a_key_cannot_be_limited_to_a_policy_its_user_lacks(harness: Harness, world: World) -> None:
    user = _user(harness, world, "app")
    headers = _bearer(harness, user)

    refused = [
        harness.client.post(
            "/users/me/keys", json={"name": "x", "policies": [world.policy_a]}, headers=headers
        ),
        harness.client.post(
            "/users/me/keys", json={"name": "x", "policies": [str(uuid.uuid4())]}, headers=headers
        ),
    ]

    for response in refused:
        assert (response.status_code, _code(response)) == (400, "INVALID_PAYLOAD")
    assert _ok(harness.client.get("/users/me/keys", headers=headers)) == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        "key",
        {},
        {"name": ""},
        {"name": 3},
        {"name": "x" * 256},
        {"name": "x", "expires": "tomorrow"},
        {"name": "x", "expires": "2020-01-01T00:00:00Z"},
        {"name": "x", "expires": "2999-01-01T00:00:00"},
        {"name": "x", "expires": 5},
        {"name": "x", "policies": "all"},
        {"name": "x", "policies": [3]},
        {"name": "x", "policies": ["not-a-uuid"]},
        {"name": "x", "admin": True},
    ],
)
def test_bad_payloads_are_refused_with_the_directus_envelope(
    harness: Harness, world: World, body: Any
) -> None:
    response = harness.client.post("/users/me/keys", json=body, headers=harness.admin)

    assert (response.status_code, _code(response)) == (400, "INVALID_PAYLOAD")
    assert set(response.json()) == {"errors"}


def test_a_request_made_with_a_key_manages_neither_keys_nor_sessions(
    harness: Harness, world: World
) -> None:
    user = _user(harness, world, "admin")
    key = _create(harness, _bearer(harness, user), policies=[])
    auth = {"Authorization": f"Bearer {key['token']}"}

    answers = [
        harness.client.post("/users/me/keys", json={"name": "wider"}, headers=auth),
        harness.client.get("/users/me/keys", headers=auth),
        harness.client.delete(f"/users/me/keys/{key['id']}", headers=auth),
        harness.client.get("/users/me/sessions", headers=auth),
        harness.client.delete("/users/me/sessions", headers=auth),
    ]

    for answer in answers:
        assert (answer.status_code, _code(answer)) == (403, "FORBIDDEN")
    assert _as_key(harness, key["token"], "/users").status_code == 403  # limited: not admin


def test_last_used_is_written_at_most_once_a_minute(harness: Harness, world: World) -> None:
    user = _user(harness, world)
    headers = _bearer(harness, user)
    key = _create(harness, headers)

    def last_used() -> Any:
        return _ok(harness.client.get("/users/me/keys", headers=headers))[0]["last_used"]

    assert last_used() is None
    assert _as_key(harness, key["token"]).status_code == 200
    first = last_used()
    harness.clock.advance(30)
    assert _as_key(harness, key["token"]).status_code == 200
    within = last_used()
    harness.clock.advance(31)
    assert _as_key(harness, key["token"]).status_code == 200

    assert first is not None
    assert within == first
    assert last_used() > first


@pytest.mark.parametrize("kind", ["custom", "app", "roleless", "anonymous"])
def test_only_administrators_manage_other_users_keys(
    harness: Harness, world: World, kind: str
) -> None:
    owner = _user(harness, world)
    key = _create(harness, _bearer(harness, owner))
    headers = {} if kind == "anonymous" else _bearer(harness, _user(harness, world, kind))
    path = f"/users/{owner['id']}/keys"

    answers = [
        harness.client.get(path, headers=headers),
        harness.client.post(path, json={"name": "mine now"}, headers=headers),
        harness.client.delete(f"{path}/{key['id']}", headers=headers),
        harness.client.delete(f"/users/me/keys/{key['id']}", headers=headers),
        harness.client.get(f"/users/{UNKNOWN}/keys", headers=headers),
    ]

    for answer in answers[:3] + answers[4:]:
        assert (answer.status_code, _code(answer)) == (403, "FORBIDDEN")
    expected = (401, "INVALID_CREDENTIALS") if kind == "anonymous" else (403, "FORBIDDEN")
    assert (answers[3].status_code, _code(answers[3])) == expected
    assert _as_key(harness, key["token"]).status_code == 200


def test_an_administrator_makes_lists_and_revokes_a_users_keys(
    harness: Harness, world: World
) -> None:
    owner = _with_both_policies(harness, world)
    path = f"/users/{owner['id']}/keys"

    made = _create(harness, harness.admin, path, policies=[world.policy_b])
    listed = _ok(harness.client.get(path, headers=harness.admin))
    as_owner = _as_key(harness, made["token"], "/users/me?fields=id")
    refused = harness.client.post(
        f"/users/{UNKNOWN}/keys", json={"name": "ghost"}, headers=harness.admin
    )
    revoked = harness.client.delete(f"{path}/{made['id']}", headers=harness.admin)

    assert [k["id"] for k in listed] == [made["id"]]
    assert as_owner.json() == {"data": {"id": owner["id"]}}
    assert (refused.status_code, _code(refused)) == (403, "FORBIDDEN")
    assert revoked.status_code == 204
    assert _as_key(harness, made["token"]).status_code == 401


def test_the_static_token_keeps_working_beside_keys(harness: Harness, world: World) -> None:
    static = "agk_" + secrets.token_hex(16)  # a static token that looks like a key
    user = _user(harness, world, token=static)
    key = _create(harness, _bearer(harness, user))["token"]

    for token in (static, key):
        response = _as_key(harness, token, "/users/me?fields=id")
        assert response.json() == {"data": {"id": user["id"]}}


def test_the_globals_of_a_limited_key_are_those_of_its_policies(
    harness: Harness, world: World
) -> None:
    user = _user(harness, world, "admin")
    headers = _bearer(harness, user)
    limited = _create(harness, headers, name="narrow", policies=[])["token"]
    whole = _create(harness, headers, name="whole")["token"]

    narrow = _as_key(harness, limited, "/policies/me/globals").json()["data"]
    wide = _as_key(harness, whole, "/policies/me/globals").json()["data"]

    assert (narrow["admin_access"], narrow["app_access"]) == (False, False)
    assert (wide["admin_access"], wide["app_access"]) == (True, True)


def test_deleting_a_user_deletes_its_keys_and_sessions(harness: Harness, world: World) -> None:
    user = _with_both_policies(harness, world)
    headers = _bearer(harness, user)
    key = _create(harness, headers, policies=[world.policy_a])

    deleted = harness.client.delete(f"/users/{user['id']}", headers=harness.admin)

    assert deleted.status_code == 204, deleted.text
    assert _as_key(harness, key["token"]).status_code == 401
    for table in ("authgate_api_keys", "authgate_sessions"):
        assert harness.sql(f'SELECT count(*) FROM {table} WHERE "user" = :u', u=user["id"]) == [
            (0,)
        ]


@pytest.mark.parametrize(
    ("where", "other"),
    [("header", "query"), ("header", "cookie"), ("query", "cookie"), ("cookie", "query")],
)
def test_a_key_has_the_precedence_of_a_static_token(
    harness: Harness, world: World, where: str, other: str
) -> None:
    static = f"static-{secrets.token_hex(12)}"
    user = _user(harness, world, token=static)
    key = _create(harness, _bearer(harness, user))["token"]

    def call(token: str) -> tuple[int, Any]:
        harness.client.cookies.clear()
        sent = {where: token, other: "not-a-token"}
        headers: dict[str, str] = {}
        params: dict[str, str] = {"fields": "id"}
        if "header" in sent:
            headers["Authorization"] = f"Bearer {sent['header']}"
        if "cookie" in sent:
            headers["Cookie"] = f"directus_session_token={sent['cookie']}"
        if "query" in sent:
            params["access_token"] = sent["query"]
        response = harness.client.get("/users/me", params=params, headers=headers)
        return response.status_code, response.json()

    assert call(key) == call(static)
