"""Where mailed links land: password reset, invitations, registration and its verification.
A link's token is taken from the address once and never shown in an address again."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from authgate.pages import messages
from tests.conftest import PASSWORD, Harness, unique_email
from tests.pages.conftest import Pages, csrf_of, notice_of, problem_of, title_of

NEW_PASSWORD = "An0ther-Passw0rd!"


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _reset_link(pages: Pages, harness: Harness, email: str) -> str:
    sent = len(harness.outbox.sent)
    response = pages.post("/admin/password-request", {"email": email})
    assert response.headers["location"] == "/admin/login?notice=reset-sent"
    assert len(harness.outbox.sent) == sent + 1
    return _path_and_query(harness.outbox.sent[-1].data["url"])


def _open(pages: Pages, link: str, cookie: str) -> None:
    """Follow a mailed link as a browser does: the token moves into a cookie, then the
    browser is sent to the same page without it."""
    first = pages.get(link)
    assert first.status_code == 303
    assert first.headers["location"] == urlsplit(link).path
    assert "token" not in first.headers["location"]
    header = next(h for h in first.headers.get_list("set-cookie") if h.startswith(cookie))
    assert "HttpOnly" in header
    assert "Path=/admin" in header
    assert "SameSite=Lax" in header


class TestPasswordReset:
    def test_the_request_answers_the_same_for_any_address(
        self, pages: Pages, harness: Harness
    ) -> None:
        known = pages.user()["email"]
        sent = len(harness.outbox.sent)

        unknown = pages.post("/admin/password-request", {"email": unique_email()})
        existing = pages.post("/admin/password-request", {"email": known})

        assert unknown.status_code == existing.status_code == 303
        assert unknown.headers["location"] == existing.headers["location"]
        assert [m.to for m in harness.outbox.sent[sent:]] == [known]
        assert notice_of(pages.follow(existing).text) == messages.NOTICES["reset-sent"]

    def test_the_link_sets_a_new_password_once(self, pages: Pages, harness: Harness) -> None:
        email = pages.user()["email"]
        link = _reset_link(pages, harness, email)
        _open(pages, link, "authgate_reset")
        form = pages.get("/admin/reset-password")
        assert title_of(form.text) == "Choose a new password"

        done = pages.post(
            "/admin/reset-password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, on=form
        )

        assert done.headers["location"] == "/admin/login?notice=password-reset"
        assert any(
            h.startswith("authgate_reset=;") and "Max-Age=0" in h
            for h in done.headers.get_list("set-cookie")
        )
        assert harness.login(email, NEW_PASSWORD).status_code == 200
        _open(pages, link, "authgate_reset")
        reused = pages.post(
            "/admin/reset-password",
            {"password": "Th1rd-Passw0rd!", "confirm": "Th1rd-Passw0rd!"},
            on=pages.get("/admin/reset-password"),
        )
        assert reused.status_code == 400
        assert problem_of(reused.text) == messages.BAD_LINK
        assert harness.login(email, NEW_PASSWORD).status_code == 200

    def test_the_two_passwords_must_match(self, pages: Pages, harness: Harness) -> None:
        _open(pages, _reset_link(pages, harness, pages.user()["email"]), "authgate_reset")

        response = pages.post(
            "/admin/reset-password",
            {"password": NEW_PASSWORD, "confirm": "something else"},
            on="/admin/reset-password",
        )

        assert response.status_code == 400
        assert problem_of(response.text) == "The two passwords are not the same."

    def test_the_password_policy_is_shown_and_applied(self, pages: Pages, harness: Harness) -> None:
        harness.client.patch(
            "/settings", json={"auth_password_policy": messages.WEAK_POLICY}, headers=harness.admin
        )
        try:
            _open(pages, _reset_link(pages, harness, pages.user()["email"]), "authgate_reset")
            form = pages.get("/admin/reset-password")
            short = pages.post(
                "/admin/reset-password", {"password": "short", "confirm": "short"}, on=form
            )
        finally:
            harness.client.patch(
                "/settings", json={"auth_password_policy": None}, headers=harness.admin
            )

        assert "Password policy: at least 8 characters." in form.text
        assert short.status_code == 400
        assert problem_of(short.text) == (
            "This password does not meet the password policy: at least 8 characters."
        )

    def test_an_expired_link_says_so(self, pages: Pages, harness: Harness) -> None:
        link = _reset_link(pages, harness, pages.user()["email"])
        harness.clock.advance(harness.settings.password_reset_token_ttl.total_seconds() + 1)
        _open(pages, link, "authgate_reset")

        response = pages.post(
            "/admin/reset-password",
            {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            on="/admin/reset-password",
        )

        assert response.status_code == 400
        assert problem_of(response.text) == messages.EXPIRED_LINK
        assert 'href="/admin/password-request"' in response.text

    @pytest.mark.parametrize("path", ["/admin/reset-password", "/admin/reset-password?token="])
    def test_no_token_no_form(self, pages: Pages, path: str) -> None:
        response = pages.get(path, follow_redirects=True)

        assert response.status_code == 400
        assert problem_of(response.text) == messages.BAD_LINK


class TestInvitation:
    def _invite(self, harness: Harness) -> tuple[str, str]:
        role = harness.create_role("Invited people", app=True)
        email = unique_email("invitee")
        sent = len(harness.outbox.sent)
        response = harness.client.post(
            "/users/invite", json={"email": email, "role": role}, headers=harness.admin
        )
        assert response.status_code == 204, response.text
        assert len(harness.outbox.sent) == sent + 1
        return email, _path_and_query(harness.outbox.sent[-1].data["url"])

    def test_accepting_activates_the_account(self, pages: Pages, harness: Harness) -> None:
        email, link = self._invite(harness)
        assert urlsplit(link).path == "/admin/accept-invite"
        _open(pages, link, "authgate_invite")
        form = pages.get("/admin/accept-invite")
        assert title_of(form.text).startswith("Welcome to")

        done = pages.post(
            "/admin/accept-invite", {"password": PASSWORD, "confirm": PASSWORD}, on=form
        )

        assert done.headers["location"] == "/admin/login?notice=invite-accepted"
        assert harness.login(email, PASSWORD).status_code == 200

    def test_an_invitation_works_once(self, pages: Pages, harness: Harness) -> None:
        _, link = self._invite(harness)
        _open(pages, link, "authgate_invite")
        pages.post(
            "/admin/accept-invite",
            {"password": PASSWORD, "confirm": PASSWORD},
            on="/admin/accept-invite",
        )
        _open(pages, link, "authgate_invite")

        again = pages.post(
            "/admin/accept-invite",
            {"password": PASSWORD, "confirm": PASSWORD},
            on="/admin/accept-invite",
        )

        assert again.status_code == 400
        assert "no longer valid" in problem_of(again.text)

    def test_a_forged_token_is_refused(self, pages: Pages) -> None:
        _open(pages, "/admin/accept-invite?token=not-a-token", "authgate_invite")

        response = pages.post(
            "/admin/accept-invite",
            {"password": PASSWORD, "confirm": PASSWORD},
            on="/admin/accept-invite",
        )

        assert response.status_code == 400
        assert problem_of(response.text) == "This invitation link is not valid."


class TestRegistration:
    def test_closed_registration_shows_no_form(self, pages: Pages) -> None:
        response = pages.get("/admin/register")

        assert response.status_code == 403
        assert title_of(response.text) == "Registration is closed"
        assert 'action="/admin/register"' not in response.text

    @pytest.fixture
    def open_registration(self, harness: Harness) -> Iterator[None]:
        harness.client.patch(
            "/settings",
            json={"public_registration": True, "public_registration_verify_email": True},
            headers=harness.admin,
        )
        yield
        harness.client.patch(
            "/settings", json={"public_registration": False}, headers=harness.admin
        )

    @pytest.mark.usefixtures("open_registration")
    def test_registering_sends_the_verification_mail(self, pages: Pages, harness: Harness) -> None:
        email = unique_email("register")
        login = pages.get("/admin/login")
        assert 'href="/admin/register"' in login.text
        sent = len(harness.outbox.sent)

        response = pages.post(
            "/admin/register",
            {"email": email, "first_name": "Ada", "password": PASSWORD, "confirm": PASSWORD},
        )

        assert response.headers["location"] == "/admin/login?notice=registered"
        mail = harness.outbox.sent[sent:]
        assert [m.to for m in mail] == [email]
        verify = urlsplit(mail[0].data["url"])
        assert verify.path == "/users/register/verify-email"
        landed = harness.client.get(f"/users/register/verify-email?{verify.query}")
        assert landed.status_code == 200
        assert title_of(landed.text) == "Email address verified"
        assert harness.login(email, PASSWORD).status_code == 200

    @pytest.mark.usefixtures("open_registration")
    def test_an_existing_address_gets_the_same_answer(self, pages: Pages, harness: Harness) -> None:
        email = pages.user()["email"]
        sent = len(harness.outbox.sent)

        response = pages.post(
            "/admin/register", {"email": email, "password": PASSWORD, "confirm": PASSWORD}
        )

        assert response.headers["location"] == "/admin/login?notice=registered"
        assert harness.outbox.sent[sent:] == []

    @pytest.mark.usefixtures("open_registration")
    def test_a_bad_address_is_explained_and_kept(self, pages: Pages) -> None:
        response = pages.post(
            "/admin/register",
            {"email": "not-an-email", "last_name": "Lovelace", "password": "x", "confirm": "x"},
        )

        assert response.status_code == 400
        assert problem_of(response.text) == "Enter a valid email address."
        assert 'value="Lovelace"' in response.text

    @pytest.mark.usefixtures("open_registration")
    def test_the_email_filter_applies(self, pages: Pages, harness: Harness) -> None:
        harness.client.patch(
            "/settings",
            json={"public_registration_email_filter": {"email": {"_ends_with": "@allowed.test"}}},
            headers=harness.admin,
        )
        try:
            response = pages.post(
                "/admin/register",
                {"email": unique_email(), "password": PASSWORD, "confirm": PASSWORD},
            )
        finally:
            harness.client.patch(
                "/settings", json={"public_registration_email_filter": None}, headers=harness.admin
            )

        assert response.status_code == 403
        assert problem_of(response.text) == "Registration is not open for this email address."


def test_the_verification_landing_is_a_page_for_everyone(pages: Pages, harness: Harness) -> None:
    user = pages.user()

    response = pages.get(f"/admin/users/{user['id']}")

    assert response.status_code == 200
    assert title_of(response.text) == "Email address verified"
    assert user["email"] not in response.text


def test_the_mail_link_token_is_consumed_from_the_address(pages: Pages, harness: Harness) -> None:
    link = _reset_link(pages, harness, pages.user()["email"])
    token = parse_qs(urlsplit(link).query)["token"][0]

    first = pages.get(link)
    form = pages.get(first.headers["location"])

    assert token not in first.headers["location"]
    assert token not in form.text
    assert csrf_of(form.text)
