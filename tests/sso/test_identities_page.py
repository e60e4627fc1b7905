"""The account page's "Sign-in providers" card in a real browser (Chromium, Playwright): link
the suite's OpenID peer through its own login and consent pages, see it listed, sign in with
it, unlink it. Screenshots go to ``tests/pages/screenshots/`` as the other page flows'."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2 as httpx
import pytest

from tests.pages.test_browser import (
    CHROMIUM_RUN,
    TIMEOUT_MS,
    Chromium,
    create_member_role,
    shot,
    sign_in,
)
from tests.sso.conftest import OidcPeer
from tests.sso.sso_servers import LOCAL_PASSWORD, PEER_PASSWORD, OpServer, start_op_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    """The run's Chromium, closed when this module is done: Playwright's synchronous API
    leaves its loop marked as running, which later Playwright or asyncio users refuse."""
    CHROMIUM_RUN.browser  # noqa: B018 (starts it, or skips/fails before the test body)
    try:
        yield CHROMIUM_RUN
    finally:
        CHROMIUM_RUN.close()


@pytest.fixture(scope="module")
def op(oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpServer]:
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp("op-page")
        yield start_op_server(stack, tmp, "sqlite", oidc_peer, {"AUTH_OP_LABEL": "Peer ID"})


@pytest.fixture(scope="module")
def member_role(op: OpServer) -> str:
    """A role whose users may read and change their own record."""
    return create_member_role(op.url, op.server.admin)


def through_the_provider(tab: Any, login: str) -> None:
    """The peer's own login form, then its consent form."""
    tab.wait_for_selector("form#login")
    tab.locator("input[name=login]").fill(login)
    tab.locator("input[name=password]").fill(PEER_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_selector("form#consent")
    tab.get_by_role("button", name="Allow").click()


def test_link_and_unlink_a_provider_from_the_account_page(
    browser: Any, op: OpServer, member_role: str
) -> None:
    user, email = op.local_user()
    with httpx.Client(base_url=op.url, headers=op.server.admin, timeout=15.0) as api:
        api.patch(f"/users/{user}", json={"role": member_role, "first_name": "Ada"})
    login = op.account()
    context = browser.new_context(base_url=op.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(tab, email, LOCAL_PASSWORD)
        tab.wait_for_url("**/admin/account")
        card = tab.locator("section[aria-labelledby=identities-title]")
        assert "No other provider is linked." in card.inner_text()
        shot(tab, "account-identities-none")

        card.get_by_role("link", name="Link Peer ID").click()
        through_the_provider(tab, login)

        tab.wait_for_url("**/admin/account")
        row = card.locator("tbody tr")
        assert row.count() == 1
        assert f"Peer ID\t{login[:2]}…{login[-2:]}" in row.inner_text()
        assert login not in tab.content()
        shot(tab, "account-identities-linked")

        other = browser.new_context(base_url=op.url)
        other.set_default_timeout(TIMEOUT_MS)
        second = other.new_page()
        second.goto("/auth/login/op?redirect=/admin/account")
        through_the_provider(second, login)
        second.wait_for_url("**/admin/account")
        assert second.locator("#f-email").input_value() == email  # the same account
        other.close()

        card.get_by_role("button", name="Unlink").click()
        tab.wait_for_url("**/admin/account?notice=identity-unlinked")
        assert tab.get_by_role("status").inner_text() == "The sign-in provider is unlinked."
        assert "No other provider is linked." in card.inner_text()
        shot(tab, "account-identities-unlinked")
    finally:
        context.close()
