"""The pages in a real browser: Debian's Chromium driven by Playwright against a real
``authgate serve`` process whose mail goes to a real SMTP server.

Each flow saves screenshots under ``tests/pages/screenshots/`` (git-ignored) for a person to
look at. Locally a missing Chromium skips these tests; under ``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from authgate import totp
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, unique_email
from tests.e2e.conftest import Mailbox, Server, _Handler, free_port, start_server
from tests.pages.conftest import SELF_SERVICE_FIELDS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).parent / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
NEW_PASSWORD = "Br4nd-New-Passw0rd!"
TIMEOUT_MS = 15_000


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (required under CI=true; .ci/run installs it)", pytrace=False)
    pytest.skip(f"{what}; install it to run the browser tests")


class Chromium:
    """The one browser of the run, started on first use.

    Playwright's synchronous API leaves its event loop marked as running in this thread while
    it is open, which breaks every later ``asyncio.run``; so the browser is closed as soon as
    the last test that uses it is done (``pytest_runtest_teardown`` in conftest.py), and
    started again only if a later test asks for it."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            if not CHROMIUM.exists():
                _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
            try:
                from playwright.sync_api import sync_playwright
            except ImportError:
                _missing("the playwright package is not installed (./scripts/install test)")
            SHOTS.mkdir(exist_ok=True)
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
            )
        return self._browser

    def new_context(self, **options: Any) -> BrowserContext:
        return self.browser.new_context(**options)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


CHROMIUM_RUN = Chromium()


@pytest.fixture(scope="session")
def browser() -> Iterator[Chromium]:
    """One Chromium for the whole run (started here, so that a missing one fails or skips
    before the test body)."""
    CHROMIUM_RUN.browser  # noqa: B018 (starts it)
    try:
        yield CHROMIUM_RUN
    finally:
        CHROMIUM_RUN.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own (SQLite) and an SMTP server that keeps its mail."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(_Handler(box), hostname=box.host, port=box.port, ready_timeout=10)
    controller.start()
    with ExitStack() as stack:
        stack.callback(controller.stop)
        yield start_server("sqlite", stack, tmp_path_factory.mktemp("pages-e2e"), box)


def create_member_role(url: str, admin: dict[str, str]) -> str:
    """A role whose users may read and change their own record (set up through the API)."""
    with httpx.Client(base_url=url, headers=admin, timeout=15.0) as api:
        role = api.post("/roles", json={"name": "Members"}).json()["data"]["id"]
        policy = api.post("/policies", json={"name": "Members", "app_access": True})
        policy_id = policy.json()["data"]["id"]
        assert api.post("/access", json={"role": role, "policy": policy_id}).status_code == 200
        for action, fields in (("read", "*"), ("update", SELF_SERVICE_FIELDS)):
            created = api.post(
                "/permissions",
                json={
                    "policy": policy_id,
                    "collection": "directus_users",
                    "action": action,
                    "fields": fields,
                    "permissions": {"id": {"_eq": "$CURRENT_USER"}},
                },
            )
            assert created.status_code == 200, created.text
    return str(role)


@pytest.fixture(scope="session")
def member_role(site: Server) -> str:
    return create_member_role(site.url, site.admin)


@pytest.fixture
def page(browser: Chromium, site: Server) -> Iterator[Page]:
    """A fresh browser context (its own cookies) and a page in it."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1100, "height": 820})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


def shot(tab: Page, name: str) -> None:
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Page, email: str, password: str) -> None:
    tab.goto("/admin/login")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in", exact=True).click()


def api_me(site: Server, headers: dict[str, str], fields: str) -> dict[str, Any]:
    with httpx.Client(base_url=site.url, timeout=15.0) as api:
        response = api.get("/users/me", params={"fields": fields}, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def bearer(site: Server, email: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=site.url, timeout=15.0) as api:
        response = api.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def code(secret: str, steps_back: int = 0) -> str:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return totp.code_at(secret, totp.step_at(now) - steps_back)


# ------------------------------------------------------------------------------ flows


def test_sign_in_and_out_without_javascript(
    browser: Chromium, site: Server, member_role: str
) -> None:
    email = unique_email("browser")
    site.create_user(email, PASSWORD, role=member_role, first_name="Ada")
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        tab.goto("/admin/login")
        shot(tab, "login")
        sign_in(tab, email, "wrong password")
        assert "Those details did not work" in tab.get_by_role("alert").inner_text()
        shot(tab, "login-refused")

        sign_in(tab, email, PASSWORD)

        tab.wait_for_url("**/admin/account")
        assert tab.get_by_role("heading", level=1).inner_text() == "Your account"
        shot(tab, "account")
        tab.get_by_role("button", name="Sign out").click()
        tab.wait_for_url("**/admin/login?notice=signed-out")
        assert tab.get_by_role("status").inner_text() == "You are signed out."
        cookies = {c["name"] for c in context.cookies()}
        assert "directus_session_token" not in cookies
    finally:
        context.close()


def test_sign_in_with_two_factor(page: Page, site: Server, member_role: str) -> None:
    email = unique_email("tfa-login")
    site.create_user(email, PASSWORD, role=member_role)
    headers = bearer(site, email, PASSWORD)
    with httpx.Client(base_url=site.url, headers=headers, timeout=15.0) as api:
        secret = api.post("/users/me/tfa/generate", json={"password": PASSWORD}).json()["data"][
            "secret"
        ]
        # The previous step's code enrols; the current one is then still unused for signing in.
        enabled = api.post("/users/me/tfa/enable", json={"secret": secret, "otp": code(secret, 1)})
    assert enabled.status_code == 204, enabled.text

    sign_in(page, email, PASSWORD)
    page.get_by_label("One-time code").wait_for()
    shot(page, "login-code")
    page.get_by_label("One-time code").fill(code(secret))
    page.get_by_role("button", name="Verify and sign in").click()

    page.wait_for_url("**/admin/account")
    assert "Turn off two-factor" in page.content()


def test_two_factor_enrolment_from_the_account_page(
    page: Page, site: Server, member_role: str
) -> None:
    email = unique_email("enrol")
    site.create_user(email, PASSWORD, role=member_role)
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")

    page.get_by_role("link", name="Set up two-factor").click()
    shot(page, "two-factor-start")
    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Can't scan it? Type this key instead").click()
    shot(page, "two-factor-qr")
    secret = page.locator("#tfa-secret").inner_text().replace(" ", "")
    assert totp.is_valid_secret(secret)
    page.get_by_label("Code from the app").fill(code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()

    page.wait_for_url("**/admin/account?notice=tfa-enabled")
    assert page.get_by_role("status").inner_text() == "Two-factor authentication is on."
    shot(page, "account-two-factor-on")
    me = api_me(site, {"Cookie": _session_cookie(page)}, "tfa_secret")
    assert me == {"tfa_secret": "**********"}


def _session_cookie(tab: Page) -> str:
    cookie = next(c for c in tab.context.cookies() if c["name"] == "directus_session_token")
    return f"directus_session_token={cookie['value']}"


def test_forgot_password_through_the_mail(page: Page, site: Server) -> None:
    assert site.mailbox is not None
    email = unique_email("forgot")
    site.create_user(email, PASSWORD)

    page.goto("/admin/login")
    page.get_by_role("link", name="Forgot your password?").click()
    shot(page, "password-request")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/admin/login?notice=reset-sent")
    link = site.mailbox.next_for(email).link
    assert link.startswith(f"{site.url}/admin/reset-password?token=")

    page.goto(link)
    page.wait_for_url(f"{site.url}/admin/reset-password")
    assert "token" not in page.url
    shot(page, "reset-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    page.wait_for_url("**/admin/login?notice=password-reset")
    shot(page, "login-after-reset")
    sign_in(page, email, NEW_PASSWORD)

    page.wait_for_url("**/admin/account")
    page.goto(link)  # the same link again: it worked once, so it is refused now
    page.get_by_label("New password", exact=True).fill("Th1rd-Passw0rd!")
    page.get_by_label("New password again").fill("Th1rd-Passw0rd!")
    page.get_by_role("button", name="Save the new password").click()
    assert "not valid any more" in page.get_by_role("alert").inner_text()
    shot(page, "reset-link-used")


def test_accept_an_invitation(page: Page, site: Server, member_role: str) -> None:
    assert site.mailbox is not None
    email = unique_email("invited")
    with httpx.Client(base_url=site.url, headers=site.admin, timeout=15.0) as api:
        invited = api.post("/users/invite", json={"email": email, "role": member_role})
    assert invited.status_code == 204, invited.text
    link = site.mailbox.next_for(email).link

    page.goto(link)
    page.wait_for_url(f"{site.url}/admin/accept-invite")
    shot(page, "accept-invite")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Activate my account").click()
    page.wait_for_url("**/admin/login?notice=invite-accepted")
    sign_in(page, email, PASSWORD)

    page.wait_for_url("**/admin/account")
    assert page.get_by_role("textbox", name="Email address").input_value() == email


def test_generate_a_static_token_and_use_it(page: Page, site: Server, member_role: str) -> None:
    email = unique_email("token")
    site.create_user(email, PASSWORD, role=member_role)
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")

    page.get_by_role("button", name="Generate a token").click()
    token = page.locator("#static-token").inner_text().strip()
    shot(page, "static-token")

    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", token)
    assert api_me(site, {"Authorization": f"Bearer {token}"}, "email") == {"email": email}
    page.get_by_role("link", name="Done").click()
    assert token not in page.content()
    assert page.get_by_role("button", name="Replace the token").is_visible()


def test_an_administrator_creates_a_user_and_suspends_another(page: Page, site: Server) -> None:
    created_email = unique_email("made-by-admin")
    victim_email = unique_email("to-suspend")
    victim = site.create_user(victim_email, PASSWORD)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.wait_for_url("**/admin/account")

    page.get_by_role("link", name="Users").click()
    page.locator("#f-create-email").fill(created_email)
    page.locator("#f-create-first").fill("Grace")
    page.locator("#f-create-password").fill(PASSWORD)
    page.get_by_role("button", name="Create the user").click()
    page.wait_for_url("**/admin/users?notice=user-created")
    shot(page, "users")
    assert bearer(site, created_email, PASSWORD)

    page.get_by_label("Search users").fill(victim_email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=victim_email).click()
    shot(page, "user")
    page.get_by_role("button", name="Suspend").click()  # confirm() is accepted by the fixture

    page.wait_for_url(f"**/admin/users/{victim['id']}?notice=user-updated")
    with httpx.Client(base_url=site.url, headers=site.admin, timeout=15.0) as api:
        status = api.get(f"/users/{victim['id']}", params={"fields": "status"}).json()["data"]
    assert status == {"status": "suspended"}
    assert page.get_by_role("button", name="Re-activate").is_visible()
    page.get_by_role("link", name="Roles").click()
    shot(page, "roles")
    page.get_by_role("link", name="Settings").click()
    shot(page, "settings")


def test_the_pages_on_a_phone(browser: Chromium, site: Server) -> None:
    context = browser.new_context(
        base_url=site.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        tab.goto("/admin/register")
        shot(tab, "phone-register")
        sign_in(tab, ADMIN_EMAIL, ADMIN_PASSWORD)
        tab.wait_for_url("**/admin/account")
        shot(tab, "phone-account")
        tab.goto("/admin/users")
        shot(tab, "phone-users")
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, "the users page scrolls sideways on a phone"
    finally:
        context.close()


def test_a_member_sees_a_403_page_for_admin_pages(
    page: Page, site: Server, member_role: str
) -> None:
    email = unique_email("member")
    site.create_user(email, PASSWORD, role=member_role)
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")

    response = page.goto("/admin/users")

    assert response is not None
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Administrators only"
    shot(page, "forbidden")


# ------------------------------------------------------------------------------ CSRF


class _EvilPage(BaseHTTPRequestHandler):
    """Serves a page that posts a form to the victim site as soon as it loads."""

    target = ""

    def do_GET(self) -> None:  # the stdlib's handler hook
        body = (
            "<!doctype html><html><body>"
            f'<form id="f" method="post" action="{self.target}">'
            '<input name="first_name" value="Hacked"><input name="last_name" value="">'
            "</form><script>document.getElementById('f').submit()</script></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        return


@pytest.fixture
def evil_server(site: Server) -> Iterator[int]:
    handler = type("Evil", (_EvilPage,), {"target": f"{site.url}/admin/account/profile"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"], ids=["cross-site", "same-site"])
def test_a_forged_cross_site_form_post_is_refused(
    page: Page, site: Server, member_role: str, evil_server: int, host: str
) -> None:
    """The victim is signed in; another site's page posts a profile change in their browser.
    From ``localhost`` (another site) the Lax cookies stay home; from another port of
    ``127.0.0.1`` (the same site, another origin) they are sent, and the Origin check and the
    missing token refuse it."""
    email = unique_email("victim")
    site.create_user(email, PASSWORD, role=member_role, first_name="Victim")
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")

    with page.expect_navigation(url=f"{site.url}/admin/account/profile"):
        page.goto(f"http://{host}:{evil_server}/")

    assert page.get_by_role("heading", level=1).inner_text() == "This form can't be sent"
    shot(page, f"csrf-refused-{host}")
    headers = bearer(site, email, PASSWORD)
    assert api_me(site, headers, "first_name") == {"first_name": "Victim"}


def test_sessions_and_api_keys_on_the_account_page(
    page: Any, site: Server, member_role: str
) -> None:
    email = unique_email("access")
    site.create_user(email, PASSWORD, role=member_role)
    with httpx.Client(base_url=site.url, timeout=15.0) as api:
        for agent in ("Phone/1.0 (Android 15)", "curl/8.5.0"):
            other = api.post(
                "/auth/login",
                json={"email": email, "password": PASSWORD},
                headers={"User-Agent": agent},
            )
            assert other.status_code == 200, other.text
    curl = {"Authorization": f"Bearer {other.json()['data']['access_token']}"}
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account")
    page.get_by_label("Key name").fill("Nightly export")
    page.get_by_role("button", name="Make a key").click()
    key = page.locator("#api-key").inner_text()
    assert key.startswith("agk_")
    shot(page, "account-key-created")
    page.get_by_role("link", name="Done").click()
    page.wait_for_url("**/admin/account")
    assert page.get_by_role("cell", name="Nightly export").is_visible()
    assert page.get_by_text("This session").is_visible()
    shot(page, "account-sessions-and-keys")

    page.get_by_role("row", name=re.compile("curl")).get_by_role("button", name="End").click()
    page.wait_for_url("**/admin/account?notice=other-session-ended")
    assert api_me(site, {"Authorization": f"Bearer {key}"}, "email") == {"email": email}
    with httpx.Client(base_url=site.url, timeout=15.0) as api:
        assert api.get("/users/me", headers=curl).status_code == 401
    page.get_by_role("button", name="Sign out everywhere else").click()
    page.wait_for_url("**/admin/account?notice=sessions-ended")
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/admin/account?notice=key-revoked")
    shot(page, "account-sessions-key-revoked")
    with httpx.Client(base_url=site.url, timeout=15.0) as api:
        assert api.get("/users/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
