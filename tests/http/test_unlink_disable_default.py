"""With ``AUTH_DISABLE_DEFAULT`` a password is no way to sign in (``/auth/login`` is off), and
neither is a passkey (its sign-in is off too): unlinking the only linked identity of a user
who has only those is refused, as for a user with nothing else."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from sqlalchemy import Connection

from authgate.identities import repo as identities_repo
from tests.conftest import PASSWORD, Harness, unique_email
from tests.support.authenticator import SoftAuthenticator

ENV = {"AUTH_DISABLE_DEFAULT": "true"}
LAST_WAY = "Invalid payload. The last way to sign in can't be removed."
TRANSPORTS = ["header", "query", "cookie"]


def _static_user(harness: Harness) -> tuple[dict[str, Any], str]:
    """A local user with a password, signed in by a static token (``/auth/login`` is off)."""
    user = harness.create_user(unique_email("unlink"))
    token = "static-" + secrets.token_hex(16)
    set_token = harness.client.patch(
        f"/users/{user['id']}", json={"token": token}, headers=harness.admin
    )
    assert set_token.status_code == 200, set_token.text
    return user, token


def _link(harness: Harness, user: str, provider: str = "op") -> str:
    identity = str(uuid.uuid4())

    def work(conn: Connection) -> None:
        identities_repo.insert_identity(
            conn,
            id=identity,
            user=user,
            provider=provider,
            subject="sub-" + secrets.token_hex(6),
            now=harness.clock.now(),
        )

    harness.db.write_sync(work)
    return identity


def _delete(harness: Harness, identity: str, token: str, transport: str = "header") -> Any:
    harness.client.cookies.clear()
    path = f"/users/me/identities/{identity}"
    if transport == "query":
        return harness.client.delete(path, params={"access_token": token})
    if transport == "cookie":
        return harness.client.delete(path, headers={"Cookie": f"directus_session_token={token}"})
    return harness.client.delete(path, headers={"Authorization": f"Bearer {token}"})


def _linked(harness: Harness, user: str) -> int:
    rows = harness.sql('SELECT count(*) FROM authgate_identities WHERE "user" = :u', u=user)
    return int(rows[0][0])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_password_is_no_way_in_so_the_only_identity_stays(
    harness: Harness, transport: str
) -> None:
    user, token = _static_user(harness)
    identity = _link(harness, user["id"])

    response = _delete(harness, identity, token, transport)

    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_PAYLOAD"
    assert error["message"] == LAST_WAY
    assert _linked(harness, user["id"]) == 1


def test_a_passkey_is_no_way_in_either(harness: Harness) -> None:
    user, token = _static_user(harness)
    headers = {"Authorization": f"Bearer {token}"}
    options = harness.client.post(
        "/users/me/passkeys/options", json={"password": PASSWORD}, headers=headers
    )
    assert options.status_code == 200, options.text
    credential = SoftAuthenticator().create(options.json()["data"])
    enrolled = harness.client.post(
        "/users/me/passkeys", json={"credential": credential, "name": "Laptop"}, headers=headers
    )
    assert enrolled.status_code == 200, enrolled.text
    identity = _link(harness, user["id"])

    response = _delete(harness, identity, token)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"] == LAST_WAY
    assert _linked(harness, user["id"]) == 1


def test_one_of_two_identities_can_go(harness: Harness) -> None:
    user, token = _static_user(harness)
    first = _link(harness, user["id"], "op")
    second = _link(harness, user["id"], "other")

    gone = _delete(harness, first, token)
    last = _delete(harness, second, token)

    assert gone.status_code == 204, gone.text
    assert last.status_code == 400, last.text
    assert _linked(harness, user["id"]) == 1
