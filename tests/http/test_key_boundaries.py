"""What a request made with an API key may not do, even where its policies let it write the
user's record: change the credentials of the key's own user (a static token, the password,
the email address), nor manage the user's linked identities. A key limited to some policies
would otherwise make itself a static token that carries every policy of the user, and any
stolen key would become the account for good."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import event

from tests.conftest import PASSWORD, Harness, unique_email


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 204), response.text
    return response.json()["data"] if response.status_code == 200 else None


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@dataclass
class World:
    profile: str  # may read and update one's own directus_users record (every field)
    secret: str  # reads the collection kb_secret


@pytest.fixture(scope="module")
def world(harness: Harness) -> World:
    admin = harness.admin
    client = harness.client
    _ok(
        client.post(
            "/collections",
            json={"collection": "kb_secret", "fields": [{"field": "title", "type": "string"}]},
            headers=admin,
        )
    )
    secret_row = _ok(client.post("/items/kb_secret", json={"title": "kb-hidden"}, headers=admin))
    _ok(
        client.post(
            "/collections",
            json={
                "collection": "kb_open",
                "fields": [
                    {"field": "title", "type": "string"},
                    {"field": "secret", "type": "integer", "schema": {}},
                    {"field": "owner", "type": "uuid", "schema": {}},
                ],
            },
            headers=admin,
        )
    )
    _ok(
        client.post(
            "/relations",
            json={
                "collection": "kb_open",
                "field": "secret",
                "related_collection": "kb_secret",
                "meta": {"one_field": "opens"},
            },
            headers=admin,
        )
    )
    _ok(
        client.post(
            "/relations",
            json={
                "collection": "kb_open",
                "field": "owner",
                "related_collection": "directus_users",
            },
            headers=admin,
        )
    )
    _ok(
        client.post(
            "/items/kb_open", json={"title": "open", "secret": secret_row["id"]}, headers=admin
        )
    )
    profile = _ok(client.post("/policies", json={"name": "KB profile"}, headers=admin))["id"]
    secret = _ok(client.post("/policies", json={"name": "KB secret"}, headers=admin))["id"]
    mine = {"id": {"_eq": "$CURRENT_USER"}}
    for policy, collection, action, rule in (
        (profile, "directus_users", "read", mine),
        (profile, "directus_users", "update", mine),
        (profile, "kb_open", "read", None),
        (profile, "kb_open", "create", None),
        (secret, "kb_secret", "read", None),
    ):
        body = {"policy": policy, "collection": collection, "action": action, "fields": ["*"]}
        _ok(client.post("/permissions", json={**body, "permissions": rule}, headers=admin))
    return World(profile, secret)


def _user_and_key(harness: Harness, world: World, *, limited: bool) -> tuple[dict[str, Any], str]:
    user = harness.create_user(unique_email("kb"))
    for policy in (world.profile, world.secret):
        _ok(
            harness.client.post(
                "/access", json={"user": user["id"], "policy": policy}, headers=harness.admin
            )
        )
    body: dict[str, Any] = {"name": "script"}
    if limited:
        body["policies"] = [world.profile]
    created = _ok(
        harness.client.post("/users/me/keys", json=body, headers=harness.bearer(user["email"]))
    )
    harness.client.cookies.clear()
    return user, created["token"]


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("limited", [True, False])
@pytest.mark.parametrize(
    "change",
    [
        {"token": "kb-static-token-0123456789"},
        {"password": "an0ther-Passw0rd!"},
        {"email": "kb-taken-over@example.com"},
    ],
)
def test_a_key_cannot_change_its_users_credentials(
    harness: Harness, world: World, limited: bool, change: dict[str, str]
) -> None:
    user, key = _user_and_key(harness, world, limited=limited)
    change = {
        name: (f"{user['id'][:8]}-{value}" if name == "email" else value)
        for name, value in change.items()
    }

    answers = [
        harness.client.patch("/users/me", json=change, headers=_as(key)),
        harness.client.patch(f"/users/{user['id']}", json=change, headers=_as(key)),
        harness.client.patch(
            "/users", json={"keys": [user["id"]], "data": change}, headers=_as(key)
        ),
    ]
    graphql = harness.client.post(
        "/graphql/system",
        json={
            "query": "mutation($d: update_directus_users_input!) { update_users_me(data: $d) { id } }",
            "variables": {"d": change},
        },
        headers=_as(key),
    )

    # nor through a relation: an item whose m2o writes the user's own record
    answers.append(
        harness.client.post(
            "/items/kb_open",
            json={"title": "via", "owner": {"id": user["id"], **change}},
            headers=_as(key),
        )
    )
    for answer in answers:
        assert (answer.status_code, _code(answer)) == (403, "FORBIDDEN"), answer.text
    assert graphql.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", graphql.text
    assert harness.login(user["email"], PASSWORD).status_code == 200
    static = harness.client.get("/items/kb_secret", headers=_as("kb-static-token-0123456789"))
    assert static.status_code == 401
    # what the policy grants on the record stays granted to the key
    renamed = harness.client.patch("/users/me", json={"first_name": "Kay"}, headers=_as(key))
    assert renamed.status_code == 200, renamed.text


def test_a_limited_key_reaches_nothing_beyond_its_policies(harness: Harness, world: World) -> None:
    _user, key = _user_and_key(harness, world, limited=True)

    assert harness.client.get("/items/kb_secret", headers=_as(key)).status_code == 403
    graphql = harness.client.post(
        "/graphql", json={"query": "{ kb_secret { title } }"}, headers=_as(key)
    )
    me = _ok(harness.client.get("/permissions/me", headers=_as(key)))
    assert "errors" in graphql.json(), graphql.text
    assert "kb_secret" not in me
    # nor through a relation from a collection it may read
    through = [
        harness.client.get("/items/kb_open", params={"fields": "secret.title"}, headers=_as(key)),
        harness.client.get(
            "/items/kb_open", params={"filter[secret][title][_eq]": "kb-hidden"}, headers=_as(key)
        ),
    ]
    for answer in through:  # refused, or read without what it may not reach
        assert answer.status_code in (200, 403), answer.text
        assert "kb-hidden" not in answer.text
    assert through[1].status_code == 403
    nested = harness.client.post(
        "/graphql", json={"query": "{ kb_open { secret { title } } }"}, headers=_as(key)
    )
    assert "kb-hidden" not in nested.text
    full = _user_and_key(harness, world, limited=False)[1]
    assert harness.client.get("/items/kb_secret", headers=_as(full)).status_code == 200


def test_an_administrators_key_changes_other_users_credentials(
    harness: Harness, world: World
) -> None:
    admin = harness.create_user(
        unique_email("kb-admin"), role=harness.create_role("KB admins", admin=True)
    )
    key = _ok(
        harness.client.post(
            "/users/me/keys", json={"name": "ops"}, headers=harness.bearer(admin["email"])
        )
    )["token"]
    other = harness.create_user(unique_email("kb-other"))

    changed = harness.client.patch(
        f"/users/{other['id']}", json={"password": "n3w-Passw0rd!"}, headers=_as(key)
    )

    assert changed.status_code == 200, changed.text
    assert harness.login(other["email"], "n3w-Passw0rd!").status_code == 200


def test_a_key_does_not_manage_linked_identities(harness: Harness, world: World) -> None:
    _user, key = _user_and_key(harness, world, limited=False)

    answers = [
        harness.client.get("/users/me/identities", headers=_as(key)),
        harness.client.delete(
            "/users/me/identities/00000000-0000-4000-8000-000000000000", headers=_as(key)
        ),
    ]

    for answer in answers:
        assert (answer.status_code, _code(answer)) == (403, "FORBIDDEN"), answer.text


def test_a_burst_of_requests_with_a_stale_key_writes_last_used_once(
    harness: Harness, world: World
) -> None:
    """``last_used`` is stale once a minute; the requests in flight at that moment must not
    each write it (40 conditional updates taking the write lock for one row)."""
    _user, key = _user_and_key(harness, world, limited=False)
    updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE AUTHGATE_API_KEYS"):
            updates.append(statement)

    def call(_: int) -> httpx.Response:
        return harness.client.get("/users/me", params={"fields": "id"}, headers=_as(key))

    event.listen(harness.db.engine, "before_cursor_execute", count)
    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(call, range(40)))
        harness.clock.advance(61)
        with ThreadPoolExecutor(max_workers=40) as pool:
            answers += list(pool.map(call, range(40)))
    finally:
        event.remove(harness.db.engine, "before_cursor_execute", count)

    assert [answer.status_code for answer in answers] == [200] * 80
    assert len(updates) == 2


def test_a_key_stops_at_its_expiry_exactly(harness: Harness, world: World) -> None:
    user = harness.create_user(unique_email("kb-expiry"))
    expires = (harness.clock.now() + timedelta(hours=1)).isoformat()
    key = _ok(
        harness.client.post(
            "/users/me/keys",
            json={"name": "hour", "expires": expires},
            headers=harness.bearer(user["email"]),
        )
    )["token"]
    harness.client.cookies.clear()

    harness.clock.advance(3599)
    before = harness.client.get("/users/me", params={"fields": "id"}, headers=_as(key))
    harness.clock.advance(1)
    at = harness.client.get("/users/me", params={"fields": "id"}, headers=_as(key))

    assert before.status_code == 200, before.text
    assert (at.status_code, _code(at)) == (401, "INVALID_CREDENTIALS")


def test_a_key_follows_its_users_role(harness: Harness, world: World) -> None:
    """A key carries the user's current role: a role taken away takes its policies along."""
    reader = harness.create_role("KB readers")
    harness.grant(reader, "kb_secret", "read")
    user = harness.create_user(unique_email("kb-role"), role=reader)
    key = _ok(
        harness.client.post(
            "/users/me/keys", json={"name": "r"}, headers=harness.bearer(user["email"])
        )
    )["token"]
    harness.client.cookies.clear()
    assert harness.client.get("/items/kb_secret", headers=_as(key)).status_code == 200

    _ok(harness.client.patch(f"/users/{user['id']}", json={"role": None}, headers=harness.admin))

    assert harness.client.get("/items/kb_secret", headers=_as(key)).status_code == 403


def test_the_answer_that_shows_a_keys_secret_is_never_stored(
    harness: Harness, world: World
) -> None:
    user = harness.create_user(unique_email("kb-store"))

    created = harness.client.post(
        "/users/me/keys", json={"name": "once"}, headers=harness.bearer(user["email"])
    )
    listed = harness.client.get("/users/me/keys", headers=harness.bearer(user["email"]))

    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    assert created.json()["data"]["token"] not in listed.text


def test_a_new_key_mails_its_user_without_its_secret(harness: Harness, world: World) -> None:
    """A key is a new way in: its user is told (as for a passkey), whoever made it."""
    user = harness.create_user(unique_email("kb-notice"))
    before = len(harness.outbox.sent)

    own = _ok(
        harness.client.post(
            "/users/me/keys", json={"name": "laptop"}, headers=harness.bearer(user["email"])
        )
    )
    by_admin = _ok(
        harness.client.post(
            f"/users/{user['id']}/keys", json={"name": "ops"}, headers=harness.admin
        )
    )
    refused = harness.client.post(
        "/users/me/keys",
        json={"name": "x", "policies": [world.secret]},
        headers=harness.bearer(user["email"]),
    )

    assert refused.status_code == 400
    mails = [m for m in harness.outbox.sent[before:] if m.to == user["email"]]
    assert [(m.template, m.data["name"]) for m in mails] == [
        ("security-api-key-added", "laptop"),
        ("security-api-key-added", "ops"),
    ]
    assert mails[0].subject == "An API key was added to your account"
    for mail in mails:
        for secret in (own["token"], by_admin["token"]):
            assert secret not in mail.html + mail.text


def test_an_expiry_past_the_last_date_is_refused_not_a_crash(harness: Harness) -> None:
    answer = harness.client.post(
        "/users/me/keys",
        json={"name": "far", "expires": "9999-12-31T23:59:59-14:00"},
        headers=harness.admin,
    )

    assert (answer.status_code, _code(answer)) == (400, "INVALID_PAYLOAD"), answer.text


def test_an_expiry_is_answered_in_utc_as_it_is_listed(harness: Harness) -> None:
    made = _ok(
        harness.client.post(
            "/users/me/keys",
            json={"name": "offset", "expires": "2030-01-01T00:00:00+23:59"},
            headers=harness.admin,
        )
    )
    listed = _ok(harness.client.get("/users/me/keys", headers=harness.admin))

    assert made["expires"] == "2029-12-31T00:01:00Z"
    assert [k["expires"] for k in listed if k["id"] == made["id"]] == [made["expires"]]
