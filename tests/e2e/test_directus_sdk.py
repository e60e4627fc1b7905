"""The official Directus client (``@directus/sdk`` from npm, pinned in sdk/package.json) against a
real ``authgate serve``.

Each step is one ``node sdk/flows.mjs <command> ...`` run that prints one JSON line; mail links
are read here between the steps. Without ``node`` the module is skipped locally and fails
under ``CI=true``. ``node_modules`` comes from ``npm ci`` (scripts/test runs it; this module
runs it too if it is missing).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_TOKEN, PASSWORD, unique_email
from tests.e2e.conftest import IN_CI, MAIL_FROM, RESET_URL, Server

pytestmark = pytest.mark.e2e

SDK_DIR = Path(__file__).parent / "sdk"
NODE_TIMEOUT = 30
NPM_TIMEOUT = 300
NEW_PASSWORD = "N3w-Sdk-Passw0rd!"


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"`{tool}` is not installed: the @directus/sdk tests need Node.js 20+ and npm"
        if IN_CI:
            pytest.fail(f"{message} (required under CI=true)", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def node() -> str:
    node = _need("node")
    if not (SDK_DIR / "node_modules" / "@directus" / "sdk" / "package.json").exists():
        npm = _need("npm")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {SDK_DIR} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return node


def _installed_sdk_version() -> str:
    manifest = SDK_DIR / "node_modules" / "@directus" / "sdk" / "package.json"
    version: str = json.loads(manifest.read_text())["version"]
    return version


def run(node: str, command: str, *args: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [node, "flows.mjs", command, *args],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"node flows.mjs {command} did not finish within {NODE_TIMEOUT}s: {timeout}")
    assert done.returncode == 0, f"node flows.mjs {command} failed:\n{done.stdout}\n{done.stderr}"
    lines = done.stdout.strip().splitlines()
    assert lines, f"node flows.mjs {command} printed nothing:\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _error(outcome: dict[str, Any]) -> tuple[int, str]:
    assert outcome["ok"] is False, f"expected an error, the SDK call succeeded: {outcome}"
    return outcome["status"], outcome["code"]


def test_the_pinned_sdk_is_installed(node: str) -> None:
    pinned = json.loads((SDK_DIR / "package.json").read_text())["dependencies"]["@directus/sdk"]
    assert pinned[0].isdigit(), "pin an exact version (npm install --save-exact)"
    assert _installed_sdk_version() == pinned


@pytest.fixture(scope="module")
def login_modes(node: str, server: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    """One node run that drives the three modes for one user: (user, results by mode)."""
    email = unique_email("sdk-modes")
    user = server.create_user(email, PASSWORD)
    return user, run(node, "login-modes", server.url, email, PASSWORD)


@pytest.mark.parametrize("mode", ["json", "cookie", "session"])
def test_login_refresh_logout_in_each_mode(
    login_modes: tuple[dict[str, Any], dict[str, Any]], mode: str
) -> None:
    user, results = login_modes
    result = results[mode]

    login = result["login"]
    assert login["ok"] is True, login
    assert login["expires"] == (86_400_000 if mode == "session" else 900_000)
    assert login["expires_at_is_number"] is True
    assert login["has_access_token"] is (mode != "session")
    assert login["has_refresh_token"] is (mode == "json")
    cookie_names = {
        "json": [],
        "cookie": ["directus_refresh_token"],
        "session": ["directus_session_token"],
    }
    assert result["cookies_after_login"] == cookie_names[mode]
    for cookie in result["login_set_cookie"]:
        assert "HttpOnly" in cookie["attributes"]
        assert "SameSite=Lax" in cookie["attributes"]

    assert result["me"] == {"ok": True, "value": {"id": user["id"]}}

    refresh = result["refresh"]
    assert refresh["ok"] is True, refresh
    assert refresh["has_access_token"] is (mode != "session")
    assert refresh["has_refresh_token"] is (mode == "json")
    if mode == "json":
        assert result["refresh_token_rotated"] is True
    else:
        assert result["cookies_rotated"] == cookie_names[mode]
    assert result["me_after_refresh"] == {"ok": True, "value": {"id": user["id"]}}

    assert result["logout"] == {"ok": True, "value": None}
    assert result["token_after_logout"] is None
    # Whatever cookie is left must be empty (Directus clears by value; expiring it is as good).
    assert all(length == 0 for length in result["cookies_after_logout"].values())
    assert _error(result["me_after_logout"]) == (401, "INVALID_CREDENTIALS")
    if mode == "json":
        # The logged-out refresh token, replayed: its session is gone.
        assert _error(result["refresh_after_logout"]) == (401, "INVALID_CREDENTIALS")
    else:
        # The cookie was cleared, so the SDK's refresh carries no token at all.
        assert _error(result["refresh_after_logout"]) == (400, "INVALID_PAYLOAD")


def test_static_token_client(node: str, server: Server) -> None:
    result = run(node, "static-token", server.url, ADMIN_TOKEN)

    assert result["me"]["ok"] is True, result["me"]
    assert result["me"]["value"]["email"] == "admin@example.com"
    assert _error(result["wrong_token"]) == (401, "INVALID_CREDENTIALS")


def test_custom_policy_user_reads_and_updates_itself(node: str, server: Server) -> None:
    """The most common custom setup: read and update on directus_users with ``*``, no app
    access, nothing on directus_access. ``readMe()`` gets every column (not ``policies``) and
    ``updateMe()`` the updated user, as from Directus."""
    email = unique_email("sdk-custom")
    token = f"sdk-custom-static-{secrets.token_hex(8)}"
    users_rows: list[dict[str, Any]] = [
        {"collection": "directus_users", "action": action, "fields": ["*"], "permissions": {}}
        for action in ("read", "update")
    ]
    client = server.client()
    role = client.post(
        "/roles",
        json={
            "name": email,
            "policies": [
                {"policy": {"name": email, "app_access": False, "permissions": users_rows}}
            ],
        },
        headers=server.admin,
    )
    assert role.status_code == 200, role.text
    user = server.create_user(email, PASSWORD, role=role.json()["data"]["id"], token=token)

    result = run(node, "custom-user", server.url, token)

    assert result["me"]["ok"] is True, result["me"]
    me = result["me"]["value"]
    assert me["id"] == user["id"]
    assert me["email"] == email
    assert me["role"] == role.json()["data"]["id"]
    assert "policies" not in me
    assert result["updated"]["ok"] is True, result["updated"]
    assert result["updated"]["value"]["last_name"] == "Sdk"
    assert result["updated"]["value"]["email"] == email
    assert result["narrowed"] == {"ok": True, "value": {"id": user["id"], "title": "Pilot"}}


def test_password_request_and_reset(node: str, server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("sdk-reset")
    server.create_user(email, PASSWORD)

    requested = run(node, "password-request", server.url, email)
    assert requested["request"] == {"ok": True, "value": None}
    mail = server.mailbox.next_for(email)
    assert mail.subject == "Password Reset Request"
    assert mail.sender == MAIL_FROM
    assert mail.to == email
    assert mail.link.startswith(f"{server.url}/admin/reset-password?token=")

    result = run(node, "password-reset", server.url, mail.token, NEW_PASSWORD, email)

    assert result["reset"] == {"ok": True, "value": None}
    assert result["login"]["ok"] is True, result["login"]
    assert result["login"]["has_refresh_token"] is True
    assert _error(result["again"]) == (403, "FORBIDDEN")


def test_password_request_with_reset_urls(node: str, server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("sdk-reseturl")
    server.create_user(email, PASSWORD)

    refused = run(node, "password-request", server.url, email, "http://evil.test/reset")
    allowed = run(node, "password-request", server.url, email, RESET_URL)

    assert _error(refused["request"]) == (400, "INVALID_PAYLOAD")
    assert allowed["request"] == {"ok": True, "value": None}
    assert server.mailbox.next_for(email).link.startswith(f"{RESET_URL}?token=")


def _register_and_verify(node: str, server: Server) -> dict[str, Any]:
    assert server.mailbox is not None
    email = unique_email("sdk-register")

    registered = run(node, "register", server.url, email, PASSWORD)
    assert registered["register"] == {"ok": True, "value": None}
    assert _error(registered["login_before_verify"]) == (401, "INVALID_CREDENTIALS")

    mail = server.mailbox.next_for(email)
    assert mail.subject == "Verify your email address"
    assert mail.sender == MAIL_FROM
    assert mail.to == email
    assert mail.link.startswith(f"{server.url}/users/register/verify-email?token=")

    return run(node, "register-verify", server.url, mail.token, email, PASSWORD)


def test_register_and_verify(node: str, server: Server) -> None:
    result = _register_and_verify(node, server)

    assert result["login"]["ok"] is True, result
    user_id = result["me"]["value"]["id"]
    # The verification answers 302 to the admin app's page of the user, and fetch follows it.
    verification = result["responses"][0]
    assert verification["redirected"] is True, verification
    assert verification["finalUrl"] == f"{server.url}/admin/users/{user_id}"


def test_register_user_verify_resolves(node: str, server: Server) -> None:
    """``await client.request(registerUserVerify(token))`` resolves, as it does against Directus:
    fetch follows the 302 to ``/admin/users/<id>``, where Directus serves its app (200 HTML)."""
    result = _register_and_verify(node, server)

    verification = result["responses"][0]
    assert result["verify"]["ok"] is True, (
        "registerUserVerify() rejected after a successful verification: the redirect target "
        f"{verification['finalUrl']} answered {verification['status']}: {result['verify']}"
    )


def test_invite_and_accept(node: str, server: Server) -> None:
    assert server.mailbox is not None
    email = unique_email("sdk-invite")

    invited = run(node, "invite", server.url, ADMIN_TOKEN, email, server.admin_role())
    assert invited["invite"] == {"ok": True, "value": None}
    mail = server.mailbox.next_for(email)
    assert mail.subject == "You've been invited"
    assert mail.sender == MAIL_FROM
    assert mail.link.startswith(f"{server.url}/admin/accept-invite?token=")

    result = run(node, "invite-accept", server.url, mail.token, email, PASSWORD)

    assert result["accept"] == {"ok": True, "value": None}
    assert result["login"]["ok"] is True, result["login"]
    assert result["me"]["value"]["email"] == email
    assert _error(result["again"]) == (400, "INVALID_INVITE")


def test_data_model_items_and_permissions(node: str, server: Server) -> None:
    """Collections, fields, items and permissions driven by the SDK against a real server,
    including the public policy granted read and then revoked."""
    email = unique_email("sdk-writer")

    result = run(node, "data-model", server.url, ADMIN_TOKEN, "sdk_notes", email, PASSWORD)

    assert result["create_collection"]["ok"] is True, result["create_collection"]
    assert result["create_collection"]["value"]["collection"] == "sdk_notes"
    assert result["create_field"]["ok"] is True, result["create_field"]
    assert result["fields"] == [
        ["id", "integer"],
        ["title", "string"],
        ["owner", "uuid"],
        ["rating", "integer"],
    ]
    assert [item["title"] for item in result["create_items"]["value"]] == ["low", "high", "mid"]
    assert result["query"]["value"] == [{"title": "high"}, {"title": "mid"}]
    assert result["aggregate"]["value"] == [{"count": 3, "max": {"rating": 5}}]
    assert result["update"]["value"] == {"rating": 2}
    assert _error(result["invalid"]) == (400, "FAILED_VALIDATION")

    assert _error(result["anonymous_before"]) == (403, "FORBIDDEN")
    assert result["grant"] == {"ok": True}
    assert result["anonymous_granted"]["value"] == [
        {"title": "high"},
        {"title": "low"},
        {"title": "mid"},
    ]
    assert _error(result["anonymous_hidden_field"]) == (403, "FORBIDDEN")
    assert result["revoke"]["ok"] is True
    assert _error(result["anonymous_revoked"]) == (403, "FORBIDDEN")

    for step in ("role", "grant_create", "grant_read", "grant_update", "user"):
        assert result[step] == {"ok": True}, (step, result[step])
    assert result["writer_login"]["ok"] is True, result["writer_login"]
    assert result["writer_create"]["value"]["title"] == "mine"
    assert result["writer_reads"]["value"] == [{"title": "mine"}]
    assert _error(result["writer_other"]) == (403, "FORBIDDEN")
    assert _error(result["writer_update_other"]) == (403, "FORBIDDEN")
    assert _error(result["writer_delete_own"]) == (403, "FORBIDDEN")  # no delete permission
    assert result["writer_permissions"] == {
        "create": "full",
        "read": "partial",
        "update": "partial",
        "delete": "none",
        "share": "none",
    }
    assert result["writer_globals"]["value"] == {
        "app_access": True,
        "admin_access": False,
        "enforce_tfa": False,
    }
    assert result["cleanup"] == [True, True, True]
    assert _error(result["after_drop"]) == (403, "FORBIDDEN")


def test_graphql_login_refresh_logout_and_users_me(node: str, server: Server) -> None:
    """The SDK's ``graphql()`` composable with ``authentication('json')`` on
    ``/graphql/system``: the auth mutations, ``users_me`` with the token they returned, and
    the errors a GraphQL client sees (HTTP 200, the code in ``extensions``)."""
    email = unique_email("sdk-graphql")
    client = server.client()
    role = client.post(
        "/roles",
        json={"name": email, "policies": [{"policy": {"name": email, "app_access": True}}]},
        headers=server.admin,
    )
    assert role.status_code == 200, role.text
    user = server.create_user(email, PASSWORD, role=role.json()["data"]["id"])

    result = run(node, "graphql", server.url, email, PASSWORD)

    expected = {"ok": True, "has_access_token": True, "has_refresh_token": True}
    assert result["login"] == {**expected, "expires": "900000"}, result["login"]
    assert result["me"] == {"ok": True, "value": {"users_me": {"id": user["id"], "email": email}}}
    assert result["refresh"] == {**expected, "expires": "900000"}, result["refresh"]
    assert result["rotated"] is True
    assert result["repeat_gets_the_same_successor"] is True
    assert result["me_after_refresh"]["value"]["users_me"]["id"] == user["id"]
    assert result["logout"] == {"ok": True, "value": {"auth_logout": True}}
    # The client still sends the access token of the session it logged out, which the
    # logout ended (decision 16): refused before GraphQL runs, as any dead token.
    assert _error(result["refresh_after_logout"]) == (401, "INVALID_CREDENTIALS")
    # Directus 12.4: no users_me in an anonymous caller's schema (a 400 validation error)
    assert _error(result["me_anonymous"]) == (400, "GRAPHQL_VALIDATION")
    assert _error(result["wrong_password"]) == (200, "INVALID_CREDENTIALS")
    assert result["set_cookies"] == 0  # json mode: no cookie at all
    assert result["statuses"] == [200, 401, 400]
