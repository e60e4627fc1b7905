"""Caps on what one user may own: live API keys (``AUTH_API_KEYS_MAX``) and passkeys
(``AUTH_WEBAUTHN_MAX_PASSKEYS``). Past the cap, ``400 INVALID_PAYLOAD`` and nothing written;
concurrent creations at the cap never go past it (the user's row is locked while counting)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, Harness, unique_email
from tests.support.authenticator import SoftAuthenticator

KEYS_MAX = 3
PASSKEYS_MAX = 2
ENV = {
    "AUTH_API_KEYS_MAX": str(KEYS_MAX),
    "AUTH_WEBAUTHN_MAX_PASSKEYS": str(PASSKEYS_MAX),
    "IP_TRUST_PROXY": "true",
}
KEYS_REASON = f"A user can have at most {KEYS_MAX} API keys: revoke one first"
PASSKEYS_REASON = f"A user can have at most {PASSKEYS_MAX} passkeys: remove one first"
KINDS = ["custom", "app", "roleless", "admin"]
TRANSPORTS = ["header", "query", "cookie"]


def _refusal(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["extensions"]["code"], error["extensions"]["reason"]


def _keys_of(harness: Harness, user: str) -> int:
    rows = harness.sql('SELECT count(*) FROM authgate_api_keys WHERE "user" = :u', u=user)
    return int(rows[0][0])


def _passkeys_of(harness: Harness, user: str) -> int:
    rows = harness.sql('SELECT count(*) FROM authgate_passkeys WHERE "user" = :u', u=user)
    return int(rows[0][0])


def _key_mails(harness: Harness, to: str) -> int:
    return sum(
        1
        for mail in harness.outbox.sent
        if mail.template == "security-api-key-added" and mail.to == to
    )


@pytest.fixture(scope="module")
def roles(harness: Harness) -> dict[str, str | None]:
    custom = harness.create_role("Caps custom")
    harness.grant(custom, "directus_users", "read")
    return {
        "custom": custom,
        "app": harness.create_role("Caps app", app=True),
        "roleless": None,
        "admin": harness.create_role("Caps admins", admin=True),
    }


def _user(harness: Harness, roles: dict[str, str | None], kind: str = "custom") -> dict[str, Any]:
    return harness.create_user(unique_email(f"caps-{kind}"), role=roles[kind])


def _new_key(
    harness: Harness, headers: dict[str, str], path: str = "/users/me/keys", **body: Any
) -> httpx.Response:
    return harness.client.post(path, json={"name": "script", **body}, headers=headers)


def _fill(harness: Harness, headers: dict[str, str], count: int = KEYS_MAX) -> list[str]:
    made = []
    for _ in range(count):
        response = _new_key(harness, headers)
        assert response.status_code == 200, response.text
        made.append(response.json()["data"]["id"])
    return made


# ------------------------------------------------------------------------------- API keys


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_past_the_key_cap_is_refused_and_nothing_is_written(
    harness: Harness, roles: dict[str, str | None], kind: str
) -> None:
    user = _user(harness, roles, kind)
    headers = harness.bearer(user["email"])
    _fill(harness, headers)
    mails = _key_mails(harness, user["email"])

    refused = _new_key(harness, headers)

    assert _refusal(refused) == (400, "INVALID_PAYLOAD", KEYS_REASON)
    assert refused.json()["errors"][0]["message"] == f"Invalid payload. {KEYS_REASON}."
    assert _keys_of(harness, user["id"]) == KEYS_MAX
    assert _key_mails(harness, user["email"]) == mails
    listed = harness.client.get("/users/me/keys", headers=headers)
    assert len(listed.json()["data"]) == KEYS_MAX


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_key_cap_holds_whatever_carries_the_token(
    harness: Harness, roles: dict[str, str | None], transport: str
) -> None:
    user = _user(harness, roles, "app")
    token = harness.tokens(user["email"])["access_token"]
    _fill(harness, {"Authorization": f"Bearer {token}"})
    harness.client.cookies.clear()
    body = {"name": "one more"}

    if transport == "query":
        refused = harness.client.post("/users/me/keys", params={"access_token": token}, json=body)
    elif transport == "cookie":
        session = harness.login(user["email"], mode="session")
        assert session.status_code == 200, session.text
        refused = harness.client.post("/users/me/keys", json=body)
    else:
        refused = harness.client.post(
            "/users/me/keys", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    assert _refusal(refused) == (400, "INVALID_PAYLOAD", KEYS_REASON)
    assert _keys_of(harness, user["id"]) == KEYS_MAX


def test_revoked_keys_do_not_count(harness: Harness, roles: dict[str, str | None]) -> None:
    user = _user(harness, roles)
    headers = harness.bearer(user["email"])
    made = _fill(harness, headers)
    assert _new_key(harness, headers).status_code == 400

    revoked = harness.client.delete(f"/users/me/keys/{made[0]}", headers=headers)
    again = _new_key(harness, headers)

    assert revoked.status_code == 204
    assert again.status_code == 200, again.text
    assert _keys_of(harness, user["id"]) == KEYS_MAX


def test_expired_keys_do_not_count(harness: Harness, roles: dict[str, str | None]) -> None:
    user = _user(harness, roles)
    headers = harness.bearer(user["email"])
    soon = (harness.clock.now() + timedelta(minutes=5)).isoformat()
    for _ in range(KEYS_MAX):
        made = _new_key(harness, headers, expires=soon)
        assert made.status_code == 200, made.text
    assert _new_key(harness, headers).status_code == 400

    harness.clock.advance(301)
    headers = harness.bearer(user["email"])
    after = [_new_key(harness, headers) for _ in range(KEYS_MAX + 1)]

    assert [r.status_code for r in after] == [200] * KEYS_MAX + [400]
    assert _refusal(after[-1]) == (400, "INVALID_PAYLOAD", KEYS_REASON)
    assert _keys_of(harness, user["id"]) == 2 * KEYS_MAX  # the expired ones stay listed


def test_keys_an_administrator_makes_count_toward_the_cap(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    user = _user(harness, roles)
    path = f"/users/{user['id']}/keys"
    _fill_admin = [_new_key(harness, harness.admin, path) for _ in range(KEYS_MAX - 1)]
    headers = harness.bearer(user["email"])

    own = _new_key(harness, headers)
    by_admin = _new_key(harness, harness.admin, path)
    by_self = _new_key(harness, headers)

    assert [r.status_code for r in _fill_admin] == [200] * (KEYS_MAX - 1)
    assert own.status_code == 200, own.text
    assert _refusal(by_admin) == (400, "INVALID_PAYLOAD", KEYS_REASON)
    assert _refusal(by_self) == (400, "INVALID_PAYLOAD", KEYS_REASON)
    assert _keys_of(harness, user["id"]) == KEYS_MAX


def test_the_cap_is_per_user(harness: Harness, roles: dict[str, str | None]) -> None:
    first = _user(harness, roles)
    second = _user(harness, roles)
    _fill(harness, harness.bearer(first["email"]))

    made = _new_key(harness, harness.bearer(second["email"]))

    assert made.status_code == 200, made.text


def test_forty_concurrent_key_creations_stop_at_the_cap(
    harness: Harness, roles: dict[str, str | None]
) -> None:
    user = _user(harness, roles, "roleless")
    policy = harness.client.post("/policies", json={"name": "Caps race"}, headers=harness.admin)
    assert policy.status_code == 200, policy.text
    policy_id = policy.json()["data"]["id"]
    access = harness.client.post(
        "/access", json={"user": user["id"], "policy": policy_id}, headers=harness.admin
    )
    assert access.status_code == 200, access.text
    headers = harness.bearer(user["email"])

    def create(n: int) -> int:
        # Limited keys: checking the policies widens the window a cap without a lock misses.
        return _new_key(harness, headers, name=f"racer {n}", policies=[policy_id]).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(create, range(40)))

    assert sorted(answers) == [200] * KEYS_MAX + [400] * (40 - KEYS_MAX)
    assert _keys_of(harness, user["id"]) == KEYS_MAX


# ------------------------------------------------------------------------------- passkeys


class Member:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.user = harness.create_user(unique_email("caps-passkey"))
        self.headers = harness.bearer(self.user["email"])

    def options(self) -> httpx.Response:
        return self.harness.client.post(
            "/users/me/passkeys/options", json={"password": PASSWORD}, headers=self.headers
        )

    def credential(self) -> dict[str, Any]:
        options = self.options()
        assert options.status_code == 200, options.text
        made: dict[str, Any] = SoftAuthenticator().create(options.json()["data"])
        return made

    def register(self, credential: dict[str, Any], name: str = "Key") -> httpx.Response:
        return self.harness.client.post(
            "/users/me/passkeys",
            json={"credential": credential, "name": name},
            headers=self.headers,
        )


def test_a_user_past_the_passkey_cap_is_refused_and_nothing_is_written(
    harness: Harness,
) -> None:
    member = Member(harness)
    pending = [member.credential() for _ in range(PASSKEYS_MAX + 1)]
    for credential in pending[:PASSKEYS_MAX]:
        assert member.register(credential).status_code == 200

    late = member.register(pending[-1])  # options given before the cap was reached
    options = member.options()

    assert _refusal(late) == (400, "INVALID_PAYLOAD", PASSKEYS_REASON)
    assert _refusal(options) == (400, "INVALID_PAYLOAD", PASSKEYS_REASON)
    assert _passkeys_of(harness, member.user["id"]) == PASSKEYS_MAX
    listed = harness.client.get("/users/me/passkeys", headers=member.headers)
    assert len(listed.json()["data"]) == PASSKEYS_MAX


def test_a_removed_passkey_frees_its_place(harness: Harness) -> None:
    member = Member(harness)
    for _ in range(PASSKEYS_MAX):
        assert member.register(member.credential()).status_code == 200
    assert member.options().status_code == 400
    listed = harness.client.get("/users/me/passkeys", headers=member.headers).json()["data"]

    removed = harness.client.request(
        "DELETE",
        f"/users/me/passkeys/{listed[0]['id']}",
        json={"password": PASSWORD},
        headers=member.headers,
    )
    again = member.register(member.credential())

    assert removed.status_code == 204, removed.text
    assert again.status_code == 200, again.text
    assert _passkeys_of(harness, member.user["id"]) == PASSKEYS_MAX


def test_forty_concurrent_passkey_registrations_stop_at_the_cap(harness: Harness) -> None:
    member = Member(harness)
    pending = [member.credential() for _ in range(40)]

    def register(n: int) -> int:
        return member.register(pending[n], name=f"racer {n}").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(register, range(40)))

    assert sorted(answers) == [200] * PASSKEYS_MAX + [400] * (40 - PASSKEYS_MAX)
    assert _passkeys_of(harness, member.user["id"]) == PASSKEYS_MAX
