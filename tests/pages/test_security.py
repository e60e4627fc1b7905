"""What keeps the pages safe: the CSRF check on every form, the same-origin check, the
headers (a strict CSP with no inline script), labels on every input, the pure helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.routing import Route, Router

from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.pages import messages, security
from tests.conftest import ADMIN_EMAIL, PASSWORD, Harness
from tests.pages.conftest import Pages, csrf_of, title_of

# Every page a GET can show, for the checks that apply to all of them.
PUBLIC_PAGES = ["/admin/login", "/admin/password-request"]
SIGNED_IN_PAGES = [
    "/admin/account",
    "/admin/account/two-factor",
    "/admin/users",
    "/admin/roles",
    "/admin/settings",
]


def _all_pages(pages: Pages, harness: Harness) -> dict[str, str]:
    shown = {path: pages.get(path).text for path in PUBLIC_PAGES}
    pages.sign_in()
    shown.update({path: pages.get(path).text for path in SIGNED_IN_PAGES})
    user = pages.user()
    role = harness.create_role("Shown")
    shown["user"] = pages.get(f"/admin/users/{user['id']}").text
    shown["role"] = pages.get(f"/admin/roles/{role}").text
    shown["enrol"] = pages.post(
        "/admin/account/two-factor/start",
        {"password": "Admin-Passw0rd!"},
        on="/admin/account/two-factor",
    ).text
    return shown


class TestForgedPosts:
    """A post needs this browser's CSRF token for this session; nothing happens without it."""

    def _first_name(self, harness: Harness) -> str | None:
        response = harness.client.get(
            "/users",
            params={"filter[email][_eq]": ADMIN_EMAIL, "fields": "first_name"},
            headers=harness.admin,
        )
        name: str | None = response.json()["data"][0]["first_name"]
        return name

    @pytest.mark.parametrize(
        "forgery",
        ["no token", "wrong token", "token of another session", "no csrf cookie", "json body"],
    )
    def test_a_forged_post_changes_nothing(
        self, pages: Pages, harness: Harness, forgery: str
    ) -> None:
        pages.sign_in()
        before = self._first_name(harness)
        token = csrf_of(pages.get("/admin/account").text)
        data: dict[str, str] = {"csrf": token, "first_name": "Forged", "last_name": ""}
        as_json = False
        if forgery == "no token":
            del data["csrf"]
        elif forgery == "wrong token":
            data["csrf"] = "0" * 64
        elif forgery == "token of another session":
            pages.sign_in()  # a new session: the old page's token was bound to the old one
        elif forgery == "no csrf cookie":
            harness.client.cookies.delete("authgate_csrf", path="/admin")
        elif forgery == "json body":
            as_json = True

        if as_json:
            response = harness.client.post(
                "/admin/account/profile", json=data, follow_redirects=False
            )
        else:
            response = harness.client.post(
                "/admin/account/profile", data=data, follow_redirects=False
            )

        assert response.status_code == 403
        assert title_of(response.text) == "This form can't be sent"
        assert self._first_name(harness) == before

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ],
    )
    def test_a_post_from_another_site_is_refused_even_with_the_token(
        self, pages: Pages, harness: Harness, headers: dict[str, str]
    ) -> None:
        pages.sign_in()
        token = csrf_of(pages.get("/admin/account").text)

        response = harness.client.post(
            "/admin/account/profile",
            data={"csrf": token, "first_name": "Cross", "last_name": ""},
            headers=headers,
            follow_redirects=False,
        )

        assert response.status_code == 403
        assert self._first_name(harness) != "Cross"

    def test_the_same_origin_with_the_token_is_accepted(
        self, pages: Pages, harness: Harness
    ) -> None:
        pages.sign_in()
        token = csrf_of(pages.get("/admin/account").text)

        response = harness.client.post(
            "/admin/account/profile",
            data={"csrf": token, "first_name": "Same", "last_name": ""},
            headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
            follow_redirects=False,
        )

        assert response.status_code == 303
        assert self._first_name(harness) == "Same"

    def test_the_login_form_is_protected_too(self, pages: Pages) -> None:
        pages.get("/admin/login")

        response = pages.client.post(
            "/admin/login",
            data={"email": ADMIN_EMAIL, "password": PASSWORD},
            follow_redirects=False,
        )

        assert response.status_code == 403
        assert "directus_session_token" not in response.headers.get("set-cookie", "")

    def test_the_csrf_cookie_is_http_only_and_lax(self, pages: Pages) -> None:
        response = pages.get("/admin/login")

        header = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("authgate_csrf=")
        )
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Path=/admin" in header


def test_every_page_sends_the_security_headers(pages: Pages, harness: Harness) -> None:
    response = pages.get("/admin/login")

    csp = response.headers.get_list("content-security-policy")
    assert len(csp) == 1
    directives = dict(part.strip().split(" ", 1) for part in csp[0].split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"].startswith("'self'")
    assert "unsafe" not in csp[0]
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_the_api_keeps_its_own_policy(harness: Harness) -> None:
    response = harness.client.get("/server/ping")

    assert response.headers.get_list("content-security-policy") == [
        "default-src 'none'; frame-ancestors 'none'"
    ]


def test_no_page_has_inline_script_or_style(pages: Pages, harness: Harness) -> None:
    for name, page in _all_pages(pages, harness).items():
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), name
        assert not re.search(r"\sstyle=", page), name
        assert not re.search(r"<style", page), name
        assert not re.search(r"\son[a-z]+=", page), name


def test_every_input_has_a_label(pages: Pages, harness: Harness) -> None:
    for name, page in _all_pages(pages, harness).items():
        labelled = set(re.findall(r'<label for="([^"]+)"', page))
        fields = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
        for attributes in fields:
            if 'type="hidden"' in attributes:
                continue
            found = re.search(r'id="([^"]+)"', attributes)
            assert found is not None, (name, attributes)
            assert found.group(1) in labelled, (name, attributes)
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), (name, sorted(i for i in ids if ids.count(i) > 1))


def test_errors_under_admin_are_pages(pages: Pages) -> None:
    missing = pages.get("/admin/nothing-here")
    wrong_method = pages.get("/admin/logout")

    assert missing.status_code == wrong_method.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert title_of(missing.text) == "Page not found"


@pytest.mark.parametrize(
    ("name", "kind"), [("style.css", "text/css"), ("pages.js", "text/javascript")]
)
def test_static_files(pages: Pages, name: str, kind: str) -> None:
    response = pages.get(f"/admin/static/{name}")
    again = pages.get(f"/admin/static/{name}", headers={"If-None-Match": response.headers["etag"]})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["nope.css", "..%2Fweb.py", "..%2F..%2Fapp.py"])
def test_only_the_known_static_files_are_served(pages: Pages, name: str) -> None:
    assert pages.get(f"/admin/static/{name}").status_code == 404


def test_every_post_route_is_a_page_handler(harness: Harness) -> None:
    """Each form endpoint goes through ``page_handler`` (and so the CSRF check)."""
    router = harness.app.app  # the router behind the pipeline
    assert isinstance(router, Router)
    posts = [
        route
        for route in router.routes
        if isinstance(route, Route)
        and route.path.startswith("/admin")
        and "POST" in (route.methods or ())
    ]

    assert posts
    assert all(route.endpoint.__module__ == "authgate.pages.web" for route in posts)


# ------------------------------------------------------------------ pure helpers


class TestCsrfToken:
    key = security.csrf_key("secret-one")

    def test_a_token_is_valid_for_its_cookie_and_session(self) -> None:
        token = security.csrf_token(self.key, "cookie", "session")

        assert security.csrf_valid(self.key, "cookie", "session", token)

    @pytest.mark.parametrize(
        ("cookie", "session", "key"),
        [
            ("other", "session", security.csrf_key("secret-one")),
            ("cookie", "other", security.csrf_key("secret-one")),
            ("cookie", None, security.csrf_key("secret-one")),
            ("cookie", "session", security.csrf_key("secret-two")),
            (None, "session", security.csrf_key("secret-one")),
        ],
    )
    def test_anything_else_is_refused(
        self, cookie: str | None, session: str | None, key: bytes
    ) -> None:
        token = security.csrf_token(self.key, "cookie", "session")

        assert not security.csrf_valid(key, cookie, session, token)

    def test_an_empty_token_is_refused(self) -> None:
        assert not security.csrf_valid(self.key, "cookie", None, "")


@pytest.mark.parametrize(
    ("origin", "site", "host", "public", "allowed"),
    [
        (None, None, "a.test", "/", True),
        ("http://a.test", "same-origin", "a.test", "/", True),
        ("https://a.test", None, "a.test", "/", True),
        ("https://public.test", None, "internal:8055", "https://public.test", True),
        ("http://public.test", None, "internal:8055", "https://public.test", False),
        ("http://evil.test", None, "a.test", "/", False),
        ("http://a.test.evil.test", None, "a.test", "/", False),
        ("null", None, "a.test", "/", False),
        (None, "cross-site", "a.test", "/", False),
        (None, "same-site", "a.test", "/", False),
        (None, "none", "a.test", "/", True),
    ],
)
def test_same_origin(
    origin: str | None, site: str | None, host: str, public: str, allowed: bool
) -> None:
    assert security.same_origin(origin, site, host, public) is allowed


PENDING_PASSWORD = "Pending-Passw0rd-42"


class TestPendingLogin:
    keys = Keys.from_secret("secret")
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def _sealed(self, expires: int) -> str:
        pending = security.PendingLogin("a@b.test", PENDING_PASSWORD, "default", "/admin", expires)
        return security.seal_pending(self.keys, pending)

    def test_round_trip(self) -> None:
        sealed = self._sealed(security.pending_expiry(self.now))

        opened = security.open_pending(self.keys, sealed, self.now)

        assert opened is not None
        assert (opened.email, opened.password) == ("a@b.test", PENDING_PASSWORD)
        # Long enough that random ciphertext can't contain it by chance.
        assert PENDING_PASSWORD not in sealed
        assert "a@b.test" not in sealed

    def test_expired(self) -> None:
        sealed = self._sealed(security.pending_expiry(self.now))

        assert security.open_pending(self.keys, sealed, self.now + timedelta(minutes=6)) is None

    @pytest.mark.parametrize("sealed", [None, "", "enc1.AAAA", "garbage"])
    def test_tampered_or_missing(self, sealed: str | None) -> None:
        assert security.open_pending(self.keys, sealed, self.now) is None

    def test_another_key_cannot_open_it(self) -> None:
        sealed = self._sealed(security.pending_expiry(self.now))

        assert security.open_pending(Keys.from_secret("other"), sealed, self.now) is None


class TestMessages:
    @pytest.mark.parametrize(
        "error",
        [
            AuthError(Code.INVALID_CREDENTIALS),
            AuthError(Code.USER_SUSPENDED),
        ],
    )
    def test_refused_sign_ins_read_the_same(self, error: AuthError) -> None:
        assert messages.describe(error, "login") == messages.SIGN_IN_REFUSED

    def test_rate_limits_say_when_to_try_again(self) -> None:
        error = AuthError(Code.REQUESTS_EXCEEDED, headers={"Retry-After": "42"})

        assert messages.describe(error, "login") == (
            "Too many requests from your network. Try again in 42 seconds."
        )

    @pytest.mark.parametrize(
        ("policy", "text"),
        [
            (None, None),
            ("", None),
            (messages.WEAK_POLICY, "at least 8 characters"),
            ("/^.{12,}$/", "it must match the pattern /^.{12,}$/"),
        ],
    )
    def test_policies_in_words(self, policy: str | None, text: str | None) -> None:
        assert messages.describe_policy(policy) == text

    def test_every_notice_is_a_sentence(self) -> None:
        assert all(text.endswith(".") for text in messages.NOTICES.values())
