"""``/admin/login``: the session-mode login of the API, the one-time-code step, the enrolment
step a policy enforces, messages that never tell accounts apart, and signing out."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx2 as httpx
import pytest

from authgate.pages import messages
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness, unique_email
from tests.pages.conftest import (
    Pages,
    code_for,
    enable_tfa_by_api,
    notice_of,
    problem_of,
    title_of,
)


def _cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header text)."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name in jar:
            found[name] = header
    return found


def test_the_login_page_labels_its_fields(pages: Pages) -> None:
    page = pages.get("/admin/login")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<label for="f-email">Email address</label>' in page.text
    assert '<label for="f-password">Password</label>' in page.text
    assert 'autocomplete="current-password"' in page.text
    assert 'href="/admin/password-request"' in page.text


def test_signing_in_sets_the_session_cookie_as_the_api_does(pages: Pages, harness: Harness) -> None:
    response = pages.sign_in()

    assert response.headers["location"] == "/admin/account"
    cookie = _cookies(response)["directus_session_token"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/;" in cookie
    assert f"Max-Age={int(harness.settings.session_cookie_ttl.total_seconds())}" in cookie
    me = harness.client.get("/users/me", params={"fields": "email"})
    assert me.json() == {"data": {"email": ADMIN_EMAIL}}


def test_the_login_is_recorded_like_an_api_login(pages: Pages, harness: Harness) -> None:
    user = pages.user()
    before = harness.sql(
        "SELECT count(*) FROM directus_activity WHERE action = 'login' AND item = :id",
        id=user["id"],
    )[0][0]

    pages.sign_in(user["email"], PASSWORD)

    after = harness.sql(
        "SELECT count(*) FROM directus_activity WHERE action = 'login' AND item = :id",
        id=user["id"],
    )[0][0]
    assert after == before + 1
    sessions = harness.sql(
        'SELECT count(*) FROM directus_sessions WHERE "user" = :id', id=user["id"]
    )
    assert sessions[0][0] == 1


@pytest.mark.parametrize("case", ["unknown email", "wrong password", "suspended", "no password"])
def test_a_refused_sign_in_never_tells_why(pages: Pages, harness: Harness, case: str) -> None:
    email, password = unique_email(), PASSWORD
    if case == "wrong password":
        email, password = pages.user()["email"], "not-the-password"
    elif case == "suspended":
        email = pages.user(status="suspended")["email"]
    elif case == "no password":
        email = harness.create_user(password=None)["email"]

    response = pages.post("/admin/login", {"email": email, "password": password})

    assert response.status_code == 401
    assert problem_of(response.text) == messages.SIGN_IN_REFUSED
    assert f'value="{email}"' in response.text  # the address is kept for the next try
    assert "directus_session_token" not in _cookies(response)


def test_an_empty_form_asks_for_both_fields(pages: Pages) -> None:
    response = pages.post("/admin/login", {"email": "", "password": ""})

    assert response.status_code == 400
    assert problem_of(response.text) == "Enter your email address and password."


def test_the_address_is_locked_out_after_too_many_attempts(pages: Pages, harness: Harness) -> None:
    harness.client.patch("/settings", json={"auth_login_attempts": 2}, headers=harness.admin)
    email = pages.user()["email"]
    try:
        answers = [
            pages.post("/admin/login", {"email": email, "password": "wrong"}) for _ in range(3)
        ]
        right = pages.post("/admin/login", {"email": email, "password": PASSWORD})
    finally:
        harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)

    assert {problem_of(a.text) for a in [*answers, right]} == {messages.SIGN_IN_REFUSED}
    # Locked out for a while (decision 15), not suspended.
    status = harness.sql("SELECT status FROM directus_users WHERE email = :e", e=email)[0][0]
    assert status == "active"


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("/admin/users?search=x", "/admin/users?search=x"),
        ("/admin/roles", "/admin/roles"),
        ("http://authgate.test/admin/settings", "http://authgate.test/admin/settings"),
        ("https://evil.example/admin", "/admin/account"),
        ("//evil.example/admin", "/admin/account"),
        ("/\\evil.example", "/admin/account"),
        ("javascript:alert(1)", "/admin/account"),
        ("/admin/login", "/admin/account"),
    ],
)
def test_the_redirect_is_checked_as_the_api_checks_it(
    pages: Pages, asked: str, expected: str
) -> None:
    form = pages.get("/admin/login", params={"redirect": asked})
    assert form.status_code == 200

    pages.client.cookies.clear()
    response = pages.post(
        "/admin/login",
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "redirect": asked},
    )

    assert response.headers["location"] == expected


def test_a_signed_in_visitor_goes_on_to_the_redirect(pages: Pages) -> None:
    pages.sign_in()

    response = pages.get("/admin/login", params={"redirect": "/admin/roles"})

    assert (response.status_code, response.headers["location"]) == (303, "/admin/roles")


class TestTwoFactor:
    @pytest.fixture
    def enrolled(self, pages: Pages, harness: Harness, member_role: str) -> tuple[str, str]:
        email = pages.user(role=member_role)["email"]
        return email, enable_tfa_by_api(harness, email)

    def test_the_password_step_asks_for_the_code(
        self, pages: Pages, enrolled: tuple[str, str]
    ) -> None:
        email, _ = enrolled

        response = pages.post("/admin/login", {"email": email, "password": PASSWORD})

        assert response.status_code == 200
        assert title_of(response.text) == "Two-factor authentication"
        assert 'autocomplete="one-time-code"' in response.text
        assert PASSWORD not in response.text
        assert email not in response.text
        pending = _cookies(response)["authgate_pending"]
        assert "HttpOnly" in pending
        assert "Path=/admin" in pending
        assert "Max-Age=300" in pending
        assert PASSWORD not in pending

    def test_the_right_code_signs_in(
        self, pages: Pages, harness: Harness, enrolled: tuple[str, str]
    ) -> None:
        email, secret = enrolled
        step = pages.post("/admin/login", {"email": email, "password": PASSWORD})

        response = pages.post("/admin/login/code", {"otp": code_for(harness, secret)}, on=step)

        assert (response.status_code, response.headers["location"]) == (303, "/admin/account")
        assert "directus_session_token" in _cookies(response)
        assert "Max-Age=0" in _cookies(response)["authgate_pending"]

    def test_a_wrong_code_asks_again(
        self, pages: Pages, harness: Harness, enrolled: tuple[str, str]
    ) -> None:
        email, secret = enrolled
        step = pages.post("/admin/login", {"email": email, "password": PASSWORD})
        wrong = "000000" if code_for(harness, secret) != "000000" else "111111"

        response = pages.post("/admin/login/code", {"otp": wrong}, on=step)

        assert response.status_code == 401
        assert problem_of(response.text) == messages.WRONG_CODE
        assert "directus_session_token" not in _cookies(response)

    def test_a_used_code_is_refused(
        self, pages: Pages, harness: Harness, enrolled: tuple[str, str]
    ) -> None:
        email, secret = enrolled
        step = pages.post("/admin/login", {"email": email, "password": PASSWORD})
        pages.post("/admin/login/code", {"otp": code_for(harness, secret)}, on=step)
        pages.client.cookies.clear()
        step = pages.post("/admin/login", {"email": email, "password": PASSWORD})

        again = pages.post("/admin/login/code", {"otp": code_for(harness, secret)}, on=step)

        assert problem_of(again.text) == messages.WRONG_CODE

    def test_the_code_step_expires(
        self, pages: Pages, harness: Harness, enrolled: tuple[str, str]
    ) -> None:
        email, secret = enrolled
        step = pages.post("/admin/login", {"email": email, "password": PASSWORD})
        harness.clock.advance(301)

        response = pages.post("/admin/login/code", {"otp": code_for(harness, secret)}, on=step)

        assert response.status_code == 400
        assert "took too long" in problem_of(response.text)


def test_a_role_that_enforces_two_factor_leads_to_the_enrolment(
    pages: Pages, harness: Harness
) -> None:
    role = harness.create_role("Must use two-factor", app=True, enforce_tfa=True)
    email = pages.user(role=role)["email"]

    response = pages.sign_in(email, PASSWORD)

    assert response.headers["location"] == "/admin/account/two-factor?notice=tfa-required"
    enrol = pages.follow(response)
    assert notice_of(enrol.text) == messages.NOTICES["tfa-required"]
    account = pages.get("/admin/account")
    assert "Your role requires two-factor authentication" in problem_of(account.text)


def test_signing_out_ends_the_session(pages: Pages, harness: Harness) -> None:
    pages.sign_in()
    session_cookie = harness.client.cookies.get("directus_session_token")

    response = pages.post("/admin/logout", {}, on="/admin/account")

    assert response.headers["location"] == "/admin/login?notice=signed-out"
    assert "Max-Age=0" in _cookies(response)["directus_session_token"]
    assert notice_of(pages.follow(response).text) == "You are signed out."
    harness.client.cookies.clear()
    reused = harness.client.get(
        "/users/me", headers={"Cookie": f"directus_session_token={session_cookie}"}
    )
    assert reused.status_code == 401


def test_a_stale_session_cookie_is_cleared_not_an_error(pages: Pages, harness: Harness) -> None:
    pages.sign_in()
    pages.post("/admin/logout", {}, on="/admin/account")
    stale = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJkaXJlY3R1cyJ9.bad"
    harness.client.cookies.set("directus_session_token", stale)

    page = pages.get("/admin/login")
    api = harness.client.get("/users/me")

    assert page.status_code == 200
    assert title_of(page.text) == "Sign in"
    assert "Max-Age=0" in _cookies(page)["directus_session_token"]
    assert api.status_code in (401, 403)
    assert api.json()["errors"]


def test_pages_need_a_session_cookie_not_a_token(pages: Pages, harness: Harness) -> None:
    response = pages.get("/admin/account", headers=harness.admin)

    assert (response.status_code, response.headers["location"]) == (
        303,
        "/admin/login?redirect=/admin/account",
    )
