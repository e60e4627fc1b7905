"""``/admin/account``: profile, email, password (policy shown), two-factor enrolment with the
QR code, disabling it, and the static token shown once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate import totp
from authgate.pages import messages
from tests.conftest import PASSWORD, Harness, unique_email
from tests.pages.conftest import Pages, code_for, notice_of, problem_of, title_of


@pytest.fixture
def member(pages: Pages, member_role: str) -> dict[str, Any]:
    user = pages.user(role=member_role)
    pages.sign_in(user["email"], PASSWORD)
    return user


def _me(harness: Harness, fields: str) -> dict[str, Any]:
    response = harness.client.get("/users/me", params={"fields": fields})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_signed_out_visitors_are_sent_to_sign_in(pages: Pages) -> None:
    response = pages.get("/admin/account")

    assert response.headers["location"] == "/admin/login?redirect=/admin/account"


def test_the_account_page_shows_the_person(pages: Pages, member: dict[str, Any]) -> None:
    page = pages.get("/admin/account")

    assert page.status_code == 200
    assert title_of(page.text) == "Your account"
    assert f'value="{member["email"]}"' in page.text
    assert "Set up two-factor" in page.text
    assert 'href="/admin/users"' not in page.text  # no admin navigation for members


def test_the_profile_is_saved_through_the_api_rules(
    pages: Pages,
    harness: Harness,
    member: dict[str, Any],
) -> None:
    response = pages.post(
        "/admin/account/profile",
        {"first_name": "<script>alert(1)</script>", "last_name": "Lovelace"},
        on="/admin/account",
    )

    assert response.headers["location"] == "/admin/account?notice=profile-saved"
    assert _me(harness, "first_name,last_name") == {
        "first_name": "<script>alert(1)</script>",
        "last_name": "Lovelace",
    }
    page = pages.follow(response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)</script>" not in page.text


def test_an_invalid_email_is_explained(pages: Pages, member: dict[str, Any]) -> None:
    response = pages.post("/admin/account/email", {"email": "nope"}, on="/admin/account")

    assert response.status_code == 400
    assert problem_of(response.text) == "Enter a valid email address."
    assert 'value="nope"' in response.text


def test_the_email_can_change(pages: Pages, harness: Harness, member: dict[str, Any]) -> None:
    new = unique_email("renamed")

    response = pages.post("/admin/account/email", {"email": new}, on="/admin/account")

    assert response.headers["location"] == "/admin/account?notice=email-changed"
    assert _me(harness, "email") == {"email": new}


def test_a_taken_email_is_refused(pages: Pages, harness: Harness, member: dict[str, Any]) -> None:
    other = pages.user()["email"]

    response = pages.post("/admin/account/email", {"email": other}, on="/admin/account")

    assert response.status_code == 400
    assert problem_of(response.text) == "That email address can't be used. Choose another one."


def test_the_password_policy_is_shown_and_applied(
    pages: Pages,
    harness: Harness,
    member: dict[str, Any],
) -> None:
    harness.client.patch(
        "/settings", json={"auth_password_policy": messages.STRONG_POLICY}, headers=harness.admin
    )
    try:
        page = pages.get("/admin/account")
        weak = pages.post(
            "/admin/account/password", {"password": "weakweak", "confirm": "weakweak"}, on=page
        )
    finally:
        harness.client.patch(
            "/settings", json={"auth_password_policy": None}, headers=harness.admin
        )

    assert "Password policy: at least 8 characters, with a lower-case" in page.text
    assert weak.status_code == 400
    assert problem_of(weak.text).startswith("This password does not meet the password policy")


def test_changing_the_password_keeps_this_session_only(
    pages: Pages,
    harness: Harness,
    member: dict[str, Any],
) -> None:
    other_session = harness.tokens(member["email"])["refresh_token"]
    harness.client.cookies.clear()
    pages.sign_in(member["email"], PASSWORD)
    new = "N3w-Passw0rd!"

    response = pages.post(
        "/admin/account/password", {"password": new, "confirm": new}, on="/admin/account"
    )

    assert response.headers["location"] == "/admin/account?notice=password-changed"
    assert pages.get("/admin/account").status_code == 200
    refreshed = harness.client.post("/auth/refresh", json={"refresh_token": other_session})
    assert refreshed.status_code == 401
    assert harness.login(member["email"], new).status_code == 200


class TestTwoFactor:
    def _start(self, pages: Pages) -> tuple[str, str]:
        page = pages.post(
            "/admin/account/two-factor/start", {"password": PASSWORD}, on="/admin/account"
        )
        assert page.status_code == 200, problem_of(page.text)
        secret = re.search(r'<code id="tfa-secret" class="secret">([A-Z2-7 ]+)</code>', page.text)
        assert secret is not None
        return page.text, secret.group(1).replace(" ", "")

    def test_enrolment_shows_a_qr_code_and_the_secret(
        self,
        pages: Pages,
        member: dict[str, Any],
    ) -> None:
        page, secret = self._start(pages)

        assert totp.is_valid_secret(secret)
        assert re.search(r'<svg [^>]*class="qr"', page)
        assert "<title>QR code to scan with your authenticator app</title>" in page
        assert f"secret={secret}" in page  # the otpauth URL the form posts back

    def test_a_wrong_password_stops_the_enrolment(
        self,
        pages: Pages,
        member: dict[str, Any],
    ) -> None:
        response = pages.post(
            "/admin/account/two-factor/start", {"password": "wrong"}, on="/admin/account"
        )

        assert response.status_code == 401
        assert problem_of(response.text) == "That password is not right."

    def test_a_wrong_code_keeps_the_same_secret(
        self,
        pages: Pages,
        harness: Harness,
        member: dict[str, Any],
    ) -> None:
        page, secret = self._start(pages)
        url = re.search(r'name="otpauth_url" value="([^"]+)"', page)
        assert url is not None
        wrong = "123456" if code_for(harness, secret) != "123456" else "654321"

        response = pages.post(
            "/admin/account/two-factor/enable",
            {"otpauth_url": url.group(1).replace("&amp;", "&"), "otp": wrong},
            on="/admin/account",
        )

        assert response.status_code == 400
        assert problem_of(response.text) == messages.WRONG_CODE
        assert secret in response.text.replace(" ", "")

    def test_enrolling_then_turning_it_off(
        self,
        pages: Pages,
        harness: Harness,
        member: dict[str, Any],
    ) -> None:
        page, secret = self._start(pages)
        url = re.search(r'name="otpauth_url" value="([^"]+)"', page)
        assert url is not None

        enabled = pages.post(
            "/admin/account/two-factor/enable",
            {"otpauth_url": url.group(1).replace("&amp;", "&"), "otp": code_for(harness, secret)},
            on="/admin/account",
        )

        assert enabled.headers["location"] == "/admin/account?notice=tfa-enabled"
        assert _me(harness, "tfa_secret") == {"tfa_secret": "**********"}
        account = pages.get("/admin/account")
        assert "Turn off two-factor" in account.text
        harness.clock.advance(30)
        disabled = pages.post(
            "/admin/account/two-factor/disable",
            {"otp": code_for(harness, secret)},
            on=account,
        )
        assert disabled.headers["location"] == "/admin/account?notice=tfa-disabled"
        assert _me(harness, "tfa_secret") == {"tfa_secret": None}


class TestStaticToken:
    def test_the_token_is_shown_once_and_works(
        self,
        pages: Pages,
        harness: Harness,
        member: dict[str, Any],
    ) -> None:
        created = pages.post("/admin/account/token", {}, on="/admin/account")

        assert created.status_code == 200
        assert created.headers["cache-control"] == "no-store"
        found = re.search(
            r'<code id="static-token" class="secret token">([^<]+)</code>', created.text
        )
        assert found is not None
        token = found.group(1)
        harness.client.cookies.clear()
        me = harness.client.get(
            "/users/me", params={"fields": "email"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert me.json() == {"data": {"email": member["email"]}}
        pages.sign_in(member["email"], PASSWORD)
        account = pages.get("/admin/account")
        assert token not in account.text
        assert "Replace the token" in account.text

    def test_the_token_can_be_removed(
        self,
        pages: Pages,
        harness: Harness,
        member: dict[str, Any],
    ) -> None:
        created = pages.post("/admin/account/token", {}, on="/admin/account")
        shown = re.search(r'class="secret token">([^<]+)<', created.text)
        assert shown is not None
        token = shown.group(1)

        removed = pages.post("/admin/account/token/remove", {}, on="/admin/account")

        assert removed.headers["location"] == "/admin/account?notice=token-removed"
        assert notice_of(pages.follow(removed).text) == "Your static token is removed."
        harness.client.cookies.clear()
        refused = harness.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401


def test_a_user_without_update_permission_is_told(pages: Pages, harness: Harness) -> None:
    reader = harness.create_role("Read only", app=True)
    user = pages.user(role=reader)
    pages.sign_in(user["email"], PASSWORD)

    response = pages.post(
        "/admin/account/profile", {"first_name": "X", "last_name": ""}, on="/admin/account"
    )

    assert response.status_code == 403
    assert problem_of(response.text) == "You don't have permission to do this."
