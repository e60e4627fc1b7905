"""Decision 16 across instances: three ``authgate serve`` processes on one PostgreSQL database
and one Redis, as behind a load balancer. A change made through one instance revokes on the
two others within one second; the measured delay is printed (``pytest -s`` shows it)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import Mailbox, Server
from tests.support.instances import start_instances

BOUND = 1.0  # seconds: decision 16
INSTANCES = 3


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[list[Server]]:
    """Three servers sharing one database and one Redis namespace."""
    with ExitStack() as stack:
        yield start_instances(stack, tmp_path_factory, mailbox, INSTANCES)


def _until_refused(check: Callable[[], int], refused: int) -> float:
    """Seconds until ``check`` answers ``refused``, polled for at most twice the bound."""
    started = time.monotonic()
    while time.monotonic() - started < 2 * BOUND:
        if check() == refused:
            return time.monotonic() - started
        time.sleep(0.01)
    pytest.fail(f"still served {2 * BOUND:.0f}s after the change", pytrace=False)


def _status_of(client: httpx.Client, path: str, headers: dict[str, str]) -> Callable[[], int]:
    """The status ``client`` gets for ``path`` now (each call asks again)."""
    return lambda: client.get(path, headers=headers).status_code


def _role_reading_roles(admin: httpx.Client) -> tuple[str, str]:
    """A role whose own policy reads ``directus_roles``: ``(role, permission id)``."""
    name = f"revocation-multi-{secrets.token_hex(4)}"
    policy = admin.post("/policies", json={"name": name, "app_access": False})
    assert policy.status_code == 200, policy.text
    policy_id = policy.json()["data"]["id"]
    role = admin.post("/roles", json={"name": name})
    assert role.status_code == 200, role.text
    role_id = role.json()["data"]["id"]
    attached = admin.post("/access", json={"role": role_id, "policy": policy_id})
    assert attached.status_code == 200, attached.text
    permission = admin.post(
        "/permissions",
        json={
            "policy": policy_id,
            "collection": "directus_roles",
            "action": "read",
            "fields": ["*"],
        },
    )
    assert permission.status_code == 200, permission.text
    return role_id, str(permission.json()["data"]["id"])


def _admin(server: Server) -> httpx.Client:
    client = server.client()
    client.headers.update(server.admin)
    return client


def test_a_suspended_users_token_is_refused_on_the_other_instances_within_a_second(
    instances: list[Server],
) -> None:
    first, *others = instances
    user = first.create_user(f"revocation-multi-{secrets.token_hex(4)}@example.com", PASSWORD)
    login = first.client().post("/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    clients = [other.client() for other in others]
    for client in clients:
        assert client.get("/users/me", headers=bearer).status_code == 200

    suspended = _admin(first).patch(f"/users/{user['id']}", json={"status": "suspended"})
    assert suspended.status_code == 200, suspended.text

    for other, client in zip(others, clients, strict=True):
        delay = _until_refused(_status_of(client, "/users/me", bearer), 401)
        print(f"suspension refused on {other.url} after {delay * 1000:.1f} ms")
        assert delay < BOUND


def test_a_removed_permission_stops_serving_on_the_other_instances_within_a_second(
    instances: list[Server],
) -> None:
    first, *others = instances
    admin = _admin(first)
    role, permission = _role_reading_roles(admin)
    email = f"revocation-multi-{secrets.token_hex(4)}@example.com"
    first.create_user(email, PASSWORD, role=role)
    login = first.client().post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    clients = [other.client() for other in others]
    for client in clients:
        # (served: and with it the permission rows cached on that instance)
        assert client.get("/roles?fields=id", headers=bearer).status_code == 200

    removed = admin.delete(f"/permissions/{permission}")
    assert removed.status_code == 204, removed.text

    for other, client in zip(others, clients, strict=True):
        delay = _until_refused(_status_of(client, "/roles?fields=id", bearer), 403)
        print(f"permission removal refused on {other.url} after {delay * 1000:.1f} ms")
        assert delay < BOUND


def _me_status(client: httpx.Client, headers: dict[str, str]) -> Callable[[], int]:
    def check() -> int:
        status: int = client.get("/users/me", headers=headers).status_code
        return status

    return check


@pytest.mark.parametrize("mode", ["json", "cookie", "session"])
def test_a_session_ended_on_one_instance_stops_its_token_on_the_others_within_a_second(
    instances: list[Server], mode: str
) -> None:
    first, *others = instances
    user = first.create_user(f"sessions-multi-{secrets.token_hex(4)}@example.com", PASSWORD)
    credentials = {"email": user["email"], "password": PASSWORD}
    ending = first.client().post("/auth/login", json=credentials)
    assert ending.status_code == 200, ending.text
    own = {"Authorization": f"Bearer {ending.json()['data']['access_token']}"}
    doomed_client = first.client()
    doomed = doomed_client.post("/auth/login", json={**credentials, "mode": mode})
    assert doomed.status_code == 200, doomed.text
    if mode == "session":
        cookie = doomed_client.cookies["directus_session_token"]
        token = {"Cookie": f"directus_session_token={cookie}"}
    else:
        token = {"Authorization": f"Bearer {doomed.json()['data']['access_token']}"}
    clients = [other.client() for other in others]
    for client in clients:
        assert client.get("/users/me", headers=token).status_code == 200
    listed = first.client().get("/users/me/sessions", headers=own).json()["data"]
    (target,) = [s["id"] for s in listed if not s["current"]]

    ended = first.client().delete(f"/users/me/sessions/{target}", headers=own)
    assert ended.status_code == 204, ended.text

    for other, client in zip(others, clients, strict=True):
        delay = _until_refused(_me_status(client, token), 401)
        print(f"ended {mode} session refused on {other.url} after {delay * 1000:.1f} ms")
        assert delay < BOUND
    assert clients[0].get("/users/me", headers=own).status_code == 200


def test_a_revoked_api_key_is_refused_on_the_other_instances_within_a_second(
    instances: list[Server],
) -> None:
    first, *others = instances
    admin = _admin(first)
    user = first.create_user(f"keys-multi-{secrets.token_hex(4)}@example.com", PASSWORD)
    created = admin.post(f"/users/{user['id']}/keys", json={"name": "ci"})
    assert created.status_code == 200, created.text
    key = {"Authorization": f"Bearer {created.json()['data']['token']}"}
    clients = [other.client() for other in others]
    for client in clients:
        assert client.get("/users/me", headers=key).status_code == 200

    revoked = admin.delete(f"/users/{user['id']}/keys/{created.json()['data']['id']}")
    assert revoked.status_code == 204, revoked.text

    for other, client in zip(others, clients, strict=True):
        delay = _until_refused(_me_status(client, key), 401)
        print(f"revoked key refused on {other.url} after {delay * 1000:.1f} ms")
        assert delay < BOUND
