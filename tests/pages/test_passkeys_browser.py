"""Passkeys in a real browser: Debian's Chromium, driven by Playwright, with the DevTools
protocol's virtual authenticator (``WebAuthn.addVirtualAuthenticator``: CTAP2, internal,
resident keys, user verification), against a real ``authgate serve`` on SQLite and on
PostgreSQL + Redis. The pages add a passkey, sign in with it without a password, and remove
it; the credential Chromium made is then replayed against the API, and tampered.

The server is reached as ``http://localhost:<port>`` (browsers accept no IP address as a
relying party id), with ``PUBLIC_URL`` set to that address. Screenshots go where the other
page tests put theirs (``tests/pages/screenshots/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import Mailbox, Server, free_port, server_env
from tests.pages.test_browser import CHROMIUM_RUN, TIMEOUT_MS, Chromium, shot, sign_in
from tests.support.authenticator import SoftAuthenticator
from tests.support.backends import postgres_database, redis_namespace, sqlite_database

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Chromium:
    CHROMIUM_RUN.browser  # noqa: B018 (starts it; conftest.py closes it after the last user)
    return CHROMIUM_RUN


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``authgate serve`` at ``http://localhost:<port>`` (no mail is sent by these flows)."""
    backend: str = request.param
    tmp = tmp_path_factory.mktemp(f"passkeys-{backend}")
    with ExitStack() as stack:
        if backend == "postgres":
            backend_env = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        else:
            backend_env = stack.enter_context(sqlite_database(tmp))
        port = free_port()
        url = f"http://localhost:{port}"
        mailbox = Mailbox()
        mailbox.port = free_port()  # nothing listens: these flows send no mail
        server = Server(
            backend=backend,
            url=url,
            data_dir=tmp / "data",
            env=server_env(port, tmp / "data", mailbox, {**backend_env, "PUBLIC_URL": url}),
            stdout_path=tmp / "authgate.stdout",
            stderr_path=tmp / "authgate.stderr",
        )
        stack.callback(server.stop)
        server.start()
        yield server


@pytest.fixture
def tab(browser: Chromium, site: Server) -> Iterator[tuple[Any, Any]]:
    """A fresh browser context with a virtual platform authenticator; the page and the
    DevTools session that holds the authenticator."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    cdp: Any = context.new_cdp_session(page)  # carries the authenticator id (below)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    cdp.authenticator = added["authenticatorId"]
    yield page, cdp
    context.close()


def _credentials(cdp: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": cdp.authenticator}
    )["credentials"]
    return found


def _api(site: Server) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=15.0)


def test_add_a_passkey_sign_in_with_it_and_remove_it(tab: tuple[Any, Any], site: Server) -> None:
    page, cdp = tab
    email = unique_email("passkey")
    site.create_user(email, PASSWORD, first_name="Ada")
    suffix = "" if site.backend == "sqlite" else "-postgres"

    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")
    assert page.get_by_role("heading", name="Passkeys").is_visible()
    shot(page, f"account-passkeys-none{suffix}")
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()

    page.wait_for_url("**/admin/account?notice=passkey-added")
    assert (
        page.get_by_role("status").inner_text() == "The passkey is added. You can sign in with it."
    )
    assert "Laptop" in page.get_by_role("list", name="Your passkeys").inner_text()
    shot(page, f"account-passkey-added{suffix}")
    made = _credentials(cdp)
    assert len(made) == 1
    assert made[0]["isResidentCredential"] is True
    assert made[0]["rpId"] == "localhost"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/login?notice=signed-out")
    shot(page, f"login-with-passkey{suffix}")
    page.get_by_role("button", name="Sign in with a passkey").click()

    page.wait_for_url("**/admin/account")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "not used yet" not in page.get_by_role("list", name="Your passkeys").inner_text()
    shot(page, f"account-after-passkey-sign-in{suffix}")
    assert _credentials(cdp)[0]["signCount"] >= 1

    page.get_by_text("Remove…").click()
    page.get_by_label("Your password, to remove “Laptop”").fill("not the password")
    page.get_by_role("button", name="Remove the passkey").click()
    assert page.get_by_role("alert").first.inner_text() == "That password is not right."
    shot(page, f"account-passkey-remove-refused{suffix}")
    page.get_by_text("Remove…").click()
    page.get_by_label("Your password, to remove “Laptop”").fill(PASSWORD)
    page.get_by_role("button", name="Remove the passkey").click()
    page.wait_for_url("**/admin/account?notice=passkey-removed")
    assert page.get_by_role("list", name="Your passkeys").count() == 0
    shot(page, f"account-passkey-removed{suffix}")


def test_a_refused_passkey_sign_in_says_so(tab: tuple[Any, Any], site: Server) -> None:
    """A passkey the server no longer knows (removed through the API) is refused, and the
    page says so without saying why."""
    page, cdp = tab
    email = unique_email("passkey-gone")
    site.create_user(email, PASSWORD)
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")
    page.get_by_label("Name of the new passkey").fill("Phone")
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/admin/account?notice=passkey-added")
    with _api(site) as api:
        token = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['data']['access_token']}"}
        passkey_id = api.get("/users/me/passkeys", headers=headers).json()["data"][0]["id"]
        removed = api.request(
            "DELETE",
            f"/users/me/passkeys/{passkey_id}",
            json={"password": PASSWORD},
            headers=headers,
        )
    assert removed.status_code == 204, removed.text
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/login?notice=signed-out")

    page.get_by_role("button", name="Sign in with a passkey").click()

    alert = page.locator("#passkey-problem")
    alert.wait_for(state="visible")
    assert (
        alert.inner_text() == "That passkey did not work. Try again, or sign in with your password."
    )
    assert page.url.endswith("/admin/login?notice=signed-out")
    shot(page, f"login-passkey-refused{'' if site.backend == 'sqlite' else '-postgres'}")
    assert len(_credentials(cdp)) == 1


def test_chromiums_credential_replayed_through_the_api(tab: tuple[Any, Any], site: Server) -> None:
    """The credential Chromium's authenticator made on the account page, used by the API
    client: a fresh assertion signs in; the same assertion again (its challenge used), an
    older counter, or another origin is refused."""
    page, cdp = tab
    email = unique_email("passkey-replay")
    site.create_user(email, PASSWORD)
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/admin/account?notice=passkey-added")
    device = SoftAuthenticator.from_chromium(_credentials(cdp)[0], "localhost", site.url)

    with _api(site) as api:
        options = api.post("/auth/passkey/options", json={"email": email}).json()["data"]
        assertion = device.get(options)
        first = api.post("/auth/passkey/login", json={"credential": assertion})
        again = api.post("/auth/passkey/login", json={"credential": assertion})
        options = api.post("/auth/passkey/options", json={}).json()["data"]
        backwards = api.post(
            "/auth/passkey/login", json={"credential": device.get(options, counter=0)}
        )
        options = api.post("/auth/passkey/options", json={}).json()["data"]
        other_origin = api.post(
            "/auth/passkey/login",
            json={"credential": device.get(options, origin="http://127.0.0.1")},
        )

    assert first.status_code == 200, first.text
    assert set(first.json()["data"]) == {"access_token", "refresh_token", "expires"}
    assert again.status_code == 401
    assert backwards.status_code == 401
    assert other_origin.status_code == 401
