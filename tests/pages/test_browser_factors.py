"""Second factors in a real browser (see test_browser.py): a person whose role enforces
two-factor is led to the enrolment at sign-in, enrols, then makes recovery codes (shown
once) and sees how many are left. Screenshots: ``two-factor-required``,
``recovery-codes``, ``account-recovery-codes`` under ``tests/pages/screenshots/``."""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest

from authgate import totp
from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import Server
from tests.pages.conftest import SELF_SERVICE_FIELDS
from tests.pages.test_browser import (  # noqa: F401 (fixtures)
    browser,
    code,
    page,
    shot,
    sign_in,
    site,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def enforced_role(site: Server) -> str:  # noqa: F811
    """A role with app access whose policy enforces two-factor."""
    with httpx.Client(base_url=site.url, headers=site.admin, timeout=15.0) as api:
        own = {"id": {"_eq": "$CURRENT_USER"}}
        rows = [
            {"collection": "directus_users", "action": "read", "fields": ["*"], "permissions": own},
            {
                "collection": "directus_users",
                "action": "update",
                "fields": SELF_SERVICE_FIELDS.split(","),
                "permissions": own,
            },
        ]
        role = api.post(
            "/roles",
            json={
                "name": "Strict members",
                "policies": [
                    {
                        "policy": {
                            "name": "Strict members",
                            "app_access": True,
                            "enforce_tfa": True,
                            "permissions": rows,
                        }
                    }
                ],
            },
        )
        assert role.status_code == 200, role.text
    return str(role.json()["data"]["id"])


def test_enforced_enrolment_then_recovery_codes(
    page: Any,  # noqa: F811
    site: Server,  # noqa: F811
    enforced_role: str,
) -> None:
    email = unique_email("strict")
    site.create_user(email, PASSWORD, role=enforced_role)

    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/admin/account/two-factor?notice=tfa-required")
    shot(page, "two-factor-required")
    page.goto("/admin/users")  # any other page leads back to the enrolment
    page.wait_for_url("**/admin/account/two-factor?notice=tfa-required")

    page.get_by_label("Your password, to confirm it is you").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Can't scan it? Type this key instead").click()
    secret = page.locator("#tfa-secret").inner_text().replace(" ", "")
    assert totp.is_valid_secret(secret)
    # The previous step's code enrols; the current one is then still unused.
    page.get_by_label("Code from the app").fill(code(secret, 1))
    page.get_by_role("button", name="Turn on two-factor").click()
    page.wait_for_url("**/admin/account?notice=tfa-enabled")
    assert "You have no recovery codes." in page.locator("#recovery-left").inner_text()

    page.locator("#f-recovery-password").fill(PASSWORD)
    page.locator("#f-recovery-otp").fill(code(secret))
    page.get_by_role("button", name="Make recovery codes").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    shot(page, "recovery-codes")

    page.get_by_role("link", name="Done").click()
    page.wait_for_url("**/admin/account")
    assert "10 of 10 recovery codes left." in page.locator("#recovery-left").inner_text()
    page.locator("#recovery-left").scroll_into_view_if_needed()
    shot(page, "account-recovery-codes")
