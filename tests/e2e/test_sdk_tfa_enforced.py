"""Two-factor enforced by the API, through the official ``@directus/sdk`` against a real
``authgate serve``: a user of a policy with ``enforce_tfa`` and no second factor gets
``TFA_SETUP_REQUIRED`` on ``readItems``, enrols TOTP with the SDK's
``generateTwoFactorSecret`` + ``enableTwoFactor``, and then ``readItems`` succeeds with the
same token (``sdk/tfa.mjs``; node and npm as in ``test_directus_sdk.py``)."""

from __future__ import annotations

import json
import secrets
import subprocess
from typing import Any

import pytest

from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import Server
from tests.e2e.test_directus_sdk import NODE_TIMEOUT, SDK_DIR, node  # noqa: F401

pytestmark = pytest.mark.e2e


def _run(node_path: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [node_path, "tfa.mjs", *args],
        cwd=SDK_DIR,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"node tfa.mjs failed:\n{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_enforced_user_enrols_through_the_sdk_and_then_reads_items(
    node: str,  # noqa: F811
    server: Server,
) -> None:
    client = server.client()
    collection = f"tfa_notes_{secrets.token_hex(4)}"
    created = client.post(
        "/collections",
        json={"collection": collection, "fields": [{"field": "body", "type": "string"}]},
        headers=server.admin,
    )
    assert created.status_code == 200, created.text
    client.post(f"/items/{collection}", json={"body": "hello"}, headers=server.admin)
    email = unique_email("sdk-tfa")
    own = {"id": {"_eq": "$CURRENT_USER"}}
    rows = [
        {"collection": collection, "action": "read", "fields": ["*"], "permissions": {}},
        {"collection": "directus_users", "action": "read", "fields": ["*"], "permissions": own},
        {
            "collection": "directus_users",
            "action": "update",
            "fields": ["tfa_secret"],
            "permissions": own,
        },
    ]
    role = client.post(
        "/roles",
        json={
            "name": email,
            "policies": [
                {
                    "policy": {
                        "name": email,
                        "app_access": False,
                        "enforce_tfa": True,
                        "permissions": rows,
                    }
                }
            ],
        },
        headers=server.admin,
    )
    assert role.status_code == 200, role.text
    user = server.create_user(email, PASSWORD, role=role.json()["data"]["id"])

    result = _run(node, "enforced", server.url, email, PASSWORD, collection)

    assert result["login"]["ok"] is True, result["login"]
    assert result["read_before"]["ok"] is False
    assert (result["read_before"]["status"], result["read_before"]["code"]) == (
        403,
        "TFA_SETUP_REQUIRED",
    )
    assert result["me_before"] == {"ok": True, "value": {"id": user["id"]}}
    assert result["generated"] == {"ok": True, "has_secret": True}
    assert result["enabled"]["ok"] is True, result["enabled"]
    assert result["read_after"]["ok"] is True, result["read_after"]
    assert [item["body"] for item in result["read_after"]["value"]] == ["hello"]
