"""Where ``enforce_tfa`` comes from (README "Two-factor enforced by the API"): a policy of the
user's role, of a parent role, or attached to the user; an ``ip_access`` restriction on that
policy that the caller's address is outside of does not lift it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, Harness

ENV = {"IP_TRUST_PROXY": "true"}


def _held_back(response: Any) -> bool:
    return bool(
        response.status_code == 403
        and response.json()["errors"][0]["extensions"]["code"] == "TFA_SETUP_REQUIRED"
    )


def _data(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _policy(harness: Harness, **fields: Any) -> str:
    body = {"name": "Enforcing", "enforce_tfa": True, **fields}
    return str(_data(harness.client.post("/policies", json=body, headers=harness.admin))["id"])


@pytest.mark.parametrize("source", ["parent role", "attached to the user", "outside ip_access"])
def test_an_enforcing_policy_holds_back_whichever_way_it_reaches_the_user(
    harness: Harness, source: str
) -> None:
    admin = harness.admin
    role = harness.create_role(f"Plain {source}")
    user = harness.create_user(role=role)
    if source == "parent role":
        parent = _data(harness.client.post("/roles", json={"name": "Parent"}, headers=admin))
        _data(
            harness.client.post(
                "/access", json={"role": parent["id"], "policy": _policy(harness)}, headers=admin
            )
        )
        _data(harness.client.patch(f"/roles/{role}", json={"parent": parent["id"]}, headers=admin))
    else:
        fields = {"ip_access": ["10.0.0.0/8"]} if source == "outside ip_access" else {}
        policy = _policy(harness, **fields)
        _data(
            harness.client.post(
                "/access", json={"user": user["id"], "policy": policy}, headers=admin
            )
        )
    address = {"X-Forwarded-For": "198.51.100.120"}
    signed = harness.client.post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}, headers=address
    )

    assert signed.status_code == 200, signed.text
    token = {"Authorization": f"Bearer {signed.json()['data']['access_token']}"} | address
    assert _held_back(harness.client.get("/roles/me", headers=token))
    assert harness.client.get("/users/me", headers=token).status_code == 200
