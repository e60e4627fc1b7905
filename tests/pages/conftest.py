"""Helpers for the page tests: reading a form's CSRF token from a page and posting the form
as a browser would (``application/x-www-form-urlencoded``, cookies kept by the client)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_PROBLEM = re.compile(r'<p class="problem" role="alert"[^>]*>(.*?)</p>', re.S)
_NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)
_TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def problem_of(page: str) -> str:
    """The first problem shown (a script's empty, hidden slot for its own errors is not one)."""
    shown = (html.unescape(found.group(1)).strip() for found in _PROBLEM.finditer(page))
    return next((text for text in shown if text), "")


def notice_of(page: str) -> str:
    found = _NOTICE.search(page)
    return html.unescape(found.group(1)).strip() if found else ""


def title_of(page: str) -> str:
    found = _TITLE.search(page)
    return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).strip() if found else ""


class Pages:
    """A browser-like client over the harness: forms are posted with the token of the page
    they are on, and redirects are not followed unless asked."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.client = harness.client

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        return self.client.get(path, **kwargs)

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        on: str | httpx.Response | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Post ``data`` to ``path`` with the CSRF token of the page ``on``: a page already
        fetched, or a path to fetch (default: the page at ``path`` itself)."""
        page = on if isinstance(on, httpx.Response) else self.client.get(on or path)
        token = csrf_of(page.text)
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data={"csrf": token, **data}, **kwargs)

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        return self.client.get(response.headers["location"], follow_redirects=False)

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> httpx.Response:
        self.client.cookies.clear()
        response = self.post("/admin/login", {"email": email, "password": password, "redirect": ""})
        assert response.status_code == 303, problem_of(response.text) or response.text[:500]
        return response

    def user(self, **fields: Any) -> dict[str, Any]:
        return self.harness.create_user(password=fields.pop("password", PASSWORD), **fields)


@pytest.fixture
def pages(harness: Harness) -> Pages:
    return Pages(harness)


SELF_SERVICE_FIELDS = "first_name,last_name,email,password,token,tfa_secret"


@pytest.fixture(scope="module")
def member_role(harness: Harness) -> str:
    """A role with app access whose users may read and change their own record, as a
    deployment gives its people (the built-in app permissions only let them read it)."""
    role = harness.create_role(f"Members {id(harness)}", app=True)
    own = {"id": {"_eq": "$CURRENT_USER"}}
    harness.grant(role, "directus_users", "read", rule=own)
    harness.grant(role, "directus_users", "update", fields=SELF_SERVICE_FIELDS, rule=own)
    return role


def code_for(harness: Harness, secret: str, steps_back: int = 0) -> str:
    from authgate import totp

    return totp.code_at(secret.replace(" ", ""), totp.step_at(harness.clock.now()) - steps_back)


def enable_tfa_by_api(harness: Harness, email: str) -> str:
    """Two-factor turned on through the API; returns the secret. The enrolment uses the
    previous step's code, so the current step is still unused for the sign-in that follows."""
    headers = harness.bearer(email)
    secret: str = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=headers
    ).json()["data"]["secret"]
    enabled = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": code_for(harness, secret, steps_back=1)},
        headers=headers,
    )
    assert enabled.status_code == 204, enabled.text
    harness.client.cookies.clear()
    return secret


@pytest.hookimpl(trylast=True)  # after the test's own fixtures (its browser context) are gone
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Close the browser after the last test in a row that uses it (see test_browser.py)."""
    if "browser" not in getattr(item, "fixturenames", ()):
        return
    if nextitem is not None and "browser" in getattr(nextitem, "fixturenames", ()):
        return
    from tests.pages.test_browser import CHROMIUM_RUN

    CHROMIUM_RUN.close()
