"""SAML in a real browser (Debian's Chromium driven by Playwright) against a real
``authgate serve`` and the SimpleSAMLphp IdP, on two different sites: authgate answers as
``sp.test`` (mapped to 127.0.0.1 inside the browser), the IdP as ``127.0.0.1``. So the IdP's
POST to the assertion consumer service is cross-site, as in a deployment, and the browser
decides which of authgate's cookies travel with it.

What is shown: the sealed ``saml.<name>`` cookie set at the start does come back on that POST
(a login completes), and a response posted from another browser (login CSRF) is refused.
Locally a missing Chromium skips these tests; under ``CI=true`` it fails them.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Mailbox, Server, free_port, server_env
from tests.sso.conftest import missing
from tests.sso.peers.saml_idp.peer import EMAIL, GIVEN_NAME, IDENTIFIER, SURNAME, SamlIdp

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
SP_HOST = "sp.test"
PASSWORD = "idp-Passw0rd"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def site(idp: SamlIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``authgate serve`` (SQLite) whose public address is ``http://sp.test:<port>``."""
    from tests.support.backends import sqlite_database

    tmp = tmp_path_factory.mktemp("saml-browser")
    port = free_port()
    origin = f"http://{SP_HOST}:{port}"
    idp.register_sp(
        f"{origin}/auth/login/saml/metadata",
        f"{origin}/auth/login/saml/acs",
        slo_url=f"{origin}/auth/login/saml/logout",
    )
    mailbox = Mailbox()
    mailbox.port = free_port()  # nothing is mailed here
    with ExitStack() as stack:
        backend = stack.enter_context(sqlite_database(tmp))
        env = server_env(
            port,
            tmp / "data",
            mailbox,
            {
                **backend,
                "PUBLIC_URL": origin,
                "AUTH_PROVIDERS": "saml",
                "AUTH_SAML_DRIVER": "saml",
                "AUTH_SAML_IDP_metadata": idp.metadata(),
                "AUTH_SAML_ALLOW_PUBLIC_REGISTRATION": "true",
            },
        )
        server = Server(
            backend="sqlite",
            url=f"http://127.0.0.1:{port}",
            data_dir=tmp / "data",
            env=env,
            stdout_path=tmp / "authgate.stdout",
            stderr_path=tmp / "authgate.stderr",
        )
        stack.callback(server.stop)
        server.start()
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A Chromium of this module (closed at its end: Playwright's sync API must not stay open
    while other tests run their own event loops)."""
    if not CHROMIUM.exists():
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (./scripts/install test)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--host-resolver-rules=MAP {SP_HOST} 127.0.0.1",
            ],
            timeout=60_000,
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def person(idp: SamlIdp, login: str) -> None:
    idp.add_user(
        login,
        PASSWORD,
        **{
            IDENTIFIER: f"ID-{login}",
            EMAIL: f"{login}@example.com",
            GIVEN_NAME: "Grace",
            SURNAME: "Hopper",
        },
    )


def origin_of(site: Server) -> str:
    return site.env["PUBLIC_URL"]


def sign_in_at_idp(page: Any, login: str) -> None:
    page.fill('input[name="username"]', login)
    page.fill('input[name="password"]', PASSWORD)
    page.press('input[name="password"]', "Enter")


def test_a_login_completes_across_sites(chromium: Any, site: Server, idp: SamlIdp) -> None:
    login = "browser-ada"
    person(idp, login)
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    origin = origin_of(site)

    page.goto(f"{origin}/auth/login/saml?redirect=/server/ping")
    page.wait_for_selector('input[name="username"]')
    start_cookie = next(c for c in context.cookies() if c["name"] == "saml.saml")
    sign_in_at_idp(page, login)  # the IdP's page then posts the response to authgate
    page.wait_for_url(f"{origin}/server/ping")
    landed = page.inner_text("body")
    me = page.goto(f"{origin}/users/me")

    assert start_cookie["httpOnly"]
    assert start_cookie["domain"] == SP_HOST
    assert landed.strip() == "pong"
    assert me is not None
    assert me.status == 200, me.text()
    assert me.json()["data"]["id"]
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies.get("directus_session_token")
    assert "saml.saml" not in cookies  # used up
    context.close()


def test_a_response_posted_from_another_browser_is_refused(
    chromium: Any, site: Server, idp: SamlIdp
) -> None:
    login = "browser-mallory"
    person(idp, login)
    origin = origin_of(site)
    acs = f"{origin}/auth/login/saml/acs"
    attacker = chromium.new_context()
    page = attacker.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    captured: dict[str, str] = {}

    def keep(route: Any) -> None:  # the attacker keeps the response instead of using it
        from urllib.parse import parse_qsl

        captured.update(parse_qsl(route.request.post_data or ""))
        route.abort()

    page.route(acs, keep)
    page.goto(f"{origin}/auth/login/saml?redirect=/server/ping")
    page.wait_for_selector('input[name="username"]')
    sign_in_at_idp(page, login)
    page.wait_for_timeout(50)
    for _ in range(200):
        if captured:
            break
        page.wait_for_timeout(50)
    assert "SAMLResponse" in captured

    # The victim's browser is made to post it (a page of the attacker's site submits it).
    victim = chromium.new_context()
    trap = victim.new_page()
    trap.set_default_timeout(TIMEOUT_MS)
    fields = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in captured.items()
    )
    trap.set_content(f'<form method="post" action="{acs}">{fields}</form>')
    with trap.expect_navigation():
        trap.evaluate("document.forms[0].submit()")

    assert trap.url == f"{origin}/server/ping?reason=INVALID_CREDENTIALS"
    assert "directus_session_token" not in {c["name"] for c in victim.cookies()}
    attacker.close()
    victim.close()
