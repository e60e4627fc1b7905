"""Passkeys on the pages without a browser: the account page lists them and removes one with
a plain form (the password, counted as the API counts it); the sign-in page offers the
passkey button from a script file, under the unchanged Content-Security-Policy."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD, Harness
from tests.pages.conftest import Pages, notice_of, problem_of
from tests.support.authenticator import SoftAuthenticator


def _with_passkey(harness: Harness, name: str) -> dict[str, Any]:
    user = harness.create_user()
    headers = harness.bearer(user["email"])
    options = harness.client.post(
        "/users/me/passkeys/options", json={"password": PASSWORD}, headers=headers
    ).json()["data"]
    created = harness.client.post(
        "/users/me/passkeys",
        json={"credential": SoftAuthenticator().create(options), "name": name},
        headers=headers,
    )
    assert created.status_code == 200, created.text
    harness.client.cookies.clear()
    return {**user, "passkey": created.json()["data"]}


def _no_inline_script(page: str) -> bool:
    return all(re.search(r"\bsrc=", tag) for tag in re.findall(r"<script[^>]*>", page))


def test_the_account_page_lists_passkeys_and_offers_to_add_one(
    harness: Harness, pages: Pages
) -> None:
    user = _with_passkey(harness, "Work laptop")
    pages.sign_in(user["email"], PASSWORD)

    page = pages.get("/admin/account")

    assert page.status_code == 200
    assert "Work laptop" in page.text
    assert 'id="passkey-enrol"' in page.text
    assert '<script src="/admin/static/passkeys.js" defer></script>' in page.text
    assert _no_inline_script(page.text)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy


def test_a_passkey_is_removed_with_the_password(harness: Harness, pages: Pages) -> None:
    user = _with_passkey(harness, "Old phone")
    pages.sign_in(user["email"], PASSWORD)
    form = {"id": user["passkey"]["id"]}

    wrong = pages.post(
        "/admin/account/passkeys/remove", {**form, "password": "nope"}, on="/admin/account"
    )
    right = pages.post(
        "/admin/account/passkeys/remove", {**form, "password": PASSWORD}, on="/admin/account"
    )

    assert wrong.status_code == 401
    assert problem_of(wrong.text) == "That password is not right."
    assert right.headers["location"] == "/admin/account?notice=passkey-removed"
    after = pages.follow(right)
    assert notice_of(after.text) == "The passkey is removed."
    assert "Old phone" not in after.text
    rows = harness.sql('SELECT count(*) FROM authgate_passkeys WHERE "user" = :u', u=user["id"])
    assert rows == [(0,)]


def test_nobody_removes_another_persons_passkey_from_the_page(
    harness: Harness, pages: Pages
) -> None:
    owner = _with_passkey(harness, "Theirs")
    other = harness.create_user()
    pages.sign_in(other["email"], PASSWORD)

    response = pages.post(
        "/admin/account/passkeys/remove",
        {"id": owner["passkey"]["id"], "password": PASSWORD},
        on="/admin/account",
    )

    assert response.status_code == 403
    rows = harness.sql('SELECT count(*) FROM authgate_passkeys WHERE "user" = :u', u=owner["id"])
    assert rows == [(1,)]


def test_the_sign_in_page_offers_a_passkey(pages: Pages) -> None:
    page = pages.get("/admin/login")

    assert ">Sign in with a passkey</button>" in page.text
    assert '<script src="/admin/static/passkeys.js" defer></script>' in page.text
    assert _no_inline_script(page.text)
    script = pages.get("/admin/static/passkeys.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "navigator.credentials.get" in script.text
