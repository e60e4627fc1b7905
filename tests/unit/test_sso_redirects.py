"""Where an SSO login may send the browser, and how its errors ride on the redirect."""

from __future__ import annotations

from dataclasses import replace

import pytest

from authgate.config.settings import Secret, Settings
from authgate.errors import AuthError, Code
from authgate.providers import redirects

PUBLIC = "https://auth.example.com/api"
ALLOW = ("https://app.example.com/welcome",)


@pytest.mark.parametrize(
    ("asked", "resolved"),
    [
        (None, "/"),
        ("", "/"),
        ("/app?tab=1#top", "/app?tab=1#top"),
        ("admin/x", "/admin/x"),
        ("///evil.example", "/evil.example"),  # a path here, never another host
        ("https://auth.example.com/anything", "https://auth.example.com/anything"),
        ("https://AUTH.example.com:443/x", "https://AUTH.example.com:443/x"),
        ("https://app.example.com/welcome?x=1", "https://app.example.com/welcome?x=1"),
    ],
)
def test_allowed_redirects(asked: str | None, resolved: str) -> None:
    assert redirects.login_redirect(asked, public_url=PUBLIC, allow_list=ALLOW) == resolved


@pytest.mark.parametrize(
    "asked",
    [
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "https://auth.example.com.evil.example/",
        "https://auth.example.com@evil.example/",
        "https://evil.example/?https://auth.example.com",
        "https://auth.example.com:8443/",
        "http://auth.example.com/",  # another scheme is another origin
        "https://app.example.com/other",  # same host as an allow-list entry, other path
        "javascript:alert(1)",
        "data:text/html,<script>",
        "https:evil.example",
        "/ok\r\nSet-Cookie: x=y",
        "/ok\tx",
    ],
)
def test_refused_redirects(asked: str) -> None:
    with pytest.raises(AuthError) as raised:
        redirects.login_redirect(asked, public_url=PUBLIC, allow_list=ALLOW)

    assert raised.value.code == Code.INVALID_PAYLOAD
    assert raised.value.message == (
        f'Invalid payload. URL "{asked}" can\'t be used to redirect after login.'
    )
    assert not redirects.is_redirect_allowed(asked, public_url=PUBLIC, allow_list=ALLOW)


def test_without_an_absolute_public_url_only_relative_redirects_pass() -> None:
    assert redirects.login_redirect("/x", public_url="/", allow_list=()) == "/x"
    with pytest.raises(AuthError):
        redirects.login_redirect("https://auth.example.com/", public_url="/", allow_list=())


@pytest.mark.parametrize(
    ("redirect", "expected"),
    [
        ("/", "/?reason=INVALID_CREDENTIALS"),
        ("/app?tab=1#x", "/app?reason=INVALID_CREDENTIALS"),
        ("https://app.example.com/w?a=b", "https://app.example.com/w?reason=INVALID_CREDENTIALS"),
    ],
)
def test_errors_replace_the_query_with_the_reason(redirect: str, expected: str) -> None:
    assert redirects.with_reason(redirect, "INVALID_CREDENTIALS") == expected


def _settings(public_url: str, allowed: tuple[str, ...] = ()) -> Settings:
    return replace(
        Settings(secret=Secret("s")), public_url=public_url, auth_allowed_public_urls=allowed
    )


def test_the_callback_uses_the_public_url_that_was_reached() -> None:
    settings = _settings(PUBLIC, ("https://login.example.org/", "http://10.0.0.5:8055"))

    reached = redirects.callback_url(settings, "https://LOGIN.example.org", "google")
    other = redirects.callback_url(settings, "http://10.0.0.5:8055", "google")
    default = redirects.callback_url(settings, "https://unknown.example", "google")

    assert reached == "https://login.example.org/auth/login/google/callback"
    assert other == "http://10.0.0.5:8055/auth/login/google/callback"
    assert default == "https://auth.example.com/api/auth/login/google/callback"


def test_admin_pages_hang_off_the_public_url() -> None:
    settings = _settings(PUBLIC)

    assert redirects.admin_login(settings, "SERVICE_UNAVAILABLE") == (
        "https://auth.example.com/api/admin/login?reason=SERVICE_UNAVAILABLE"
    )
    assert redirects.tfa_setup(settings, "/app?x=1", "google") == (
        "https://auth.example.com/api/admin/tfa-setup?redirect=%2Fapp%3Fx%3D1&provider=google"
    )


def test_error_codes_for_the_reason() -> None:
    assert redirects.error_code(AuthError(Code.INVALID_OTP)) == "INVALID_OTP"
    assert redirects.error_code(ValueError("boom")) == "UNKNOWN_EXCEPTION"
