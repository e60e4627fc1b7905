"""urls.py: allow-lists for emailed links and the open-redirect guard of SSO logins."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from authgate.urls import (
    is_absolute_url,
    is_url_allowed,
    public_link,
    resolve_login_redirect,
    with_token,
)

PUBLIC_URL = "http://public.example"
ALLOW_LIST = ("https://app.example/callback",)


def resolve(redirect: str | None, allow_list: tuple[str, ...] = ALLOW_LIST) -> str | None:
    return resolve_login_redirect(redirect, public_url=PUBLIC_URL, allow_list=allow_list)


class TestIsUrlAllowed:
    def test_an_exact_entry_is_allowed(self) -> None:
        assert is_url_allowed("https://app.example/reset", ["https://app.example/reset"]) is True

    def test_query_and_fragment_are_ignored(self) -> None:
        allowed = is_url_allowed(
            "https://app.example/reset?lang=en#top", ["https://app.example/reset"]
        )

        assert allowed is True

    def test_another_path_is_refused(self) -> None:
        assert is_url_allowed("https://app.example/other", ["https://app.example/reset"]) is False

    def test_a_trailing_slash_is_another_path(self) -> None:
        assert is_url_allowed("https://app.example/reset/", ["https://app.example/reset"]) is False

    def test_an_empty_list_allows_nothing(self) -> None:
        assert is_url_allowed("https://app.example/reset", []) is False

    @pytest.mark.parametrize(
        ("url", "entry"),
        [
            ("https://app.example:443/reset", "https://app.example/reset"),
            ("https://app.example/reset", "https://app.example:443/reset"),
            ("http://app.example:80/reset", "http://app.example/reset"),
        ],
    )
    def test_default_ports_are_the_same_origin(self, url: str, entry: str) -> None:
        assert is_url_allowed(url, [entry]) is True

    def test_host_names_compare_case_insensitively(self) -> None:
        assert is_url_allowed("https://APP.Example/reset", ["https://app.example/reset"]) is True

    @pytest.mark.parametrize(
        "url",
        [
            "http://app.example/reset",
            "https://app.example:8443/reset",
            "https://evil.example/reset",
            "https://app.example.evil.example/reset",
            "https://app.example@evil.example/reset",
            "javascript://app.example/reset",
            "/reset",
            "https://app.example:99999/reset",
            "http://[::1/reset",
        ],
    )
    def test_anything_not_matching_an_entry_is_refused(self, url: str) -> None:
        assert is_url_allowed(url, ["https://app.example/reset"]) is False

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example\\@app.example/reset",  # a browser goes to evil.example
            "https://evil.example\\app.example/reset",
            "https://app.example\\@evil.example/reset",
            "https://app.example/reset\\",
            "https://app.example\\reset",
            "https://evil.example%5C@app.example/reset",
            "https://user@app.example/reset",
            "https://user:pass@app.example/reset",
            "https://@app.example/reset",
            "https://app.example/re\tset",
            "https://app.example/re\nset",
            "https://app.exa\rmple/reset",
            " https://app.example/reset",
            "https://app.example/reset ",
            "https://app.example /reset",
            "https://app.example/reset\u00a0",
            "https://app.example/reset\x00",
            "https://app.example/reset\x7f",
            "https://app.example/reset\x85",
            "https://app%2eexample/reset",
            "https://app.example./reset",
            "https:app.example/reset",
            "https:/app.example/reset",
            "https:///app.example/reset",
        ],
    )
    def test_urls_a_browser_could_read_differently_are_refused(self, url: str) -> None:
        assert is_url_allowed(url, ["https://app.example/reset"]) is False

    def test_an_unsafe_candidate_is_refused_even_when_listed_verbatim(self) -> None:
        bypass = "https://evil.example\\@app.example/reset"

        assert is_url_allowed(bypass, [bypass, "https://app.example/reset"]) is False

    @pytest.mark.parametrize(
        ("url", "entry"),
        [
            ("https://app.example/reset", "https://app.example/reset"),
            ("https://app.example/reset?lang=en&next=%2Fhome", "https://app.example/reset"),
            ("https://app.example/reset#/deep/link", "https://app.example/reset"),
            ("HTTPS://APP.EXAMPLE:443/reset", "https://app.example/reset"),
            ("http://localhost:3000/auth/reset", "http://localhost:3000/auth/reset"),
            (
                "http://127.0.0.1:8055/admin/reset-password",
                "http://127.0.0.1:8055/admin/reset-password",
            ),
            ("http://[::1]:8080/reset", "http://[::1]:8080/reset"),
            ("https://app.example", "https://app.example/"),
            ("https://xn--bcher-kva.example/reset", "https://xn--bcher-kva.example/reset"),
            ("myapp://reset", "myapp://reset"),  # an app's own scheme, listed exactly
        ],
    )
    def test_legitimate_urls_are_still_allowed(self, url: str, entry: str) -> None:
        assert is_url_allowed(url, [entry]) is True


_ADVERSARIAL = [
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/.//evil.com",
    "/a/..//evil.com",
    "https:evil.com",
    "https:/evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://public.example@evil.com",
    "http://public.example.evil.com",
    "http://public.example:8080/admin",
    "https://public.example/admin",
    "http://evil.com/admin",
    "http://evil.com#http://public.example",
    "http://evil.com\\@public.example",
    "/admin\r\nSet-Cookie: x=1",
    "/admin\nLocation: http://evil.com",
    "/\t/evil.com",
    "http://[evil.com",
    "https://app.example.evil.com/callback",
    "https://app.example/other",
]


# Fragments an attacker combines: schemes, slashes both ways, dot segments, userinfo, ports,
# lookalike hosts, brackets that break URL parsers, and control characters.
_PIECES = [
    "http:",
    "https:",
    "HTTPS:",
    "javascript:",
    "/",
    "//",
    "\\",
    ".",
    "..",
    "@",
    ":",
    "#",
    "?",
    "%2F",
    "%2e",
    "evil.com",
    "public.example",
    "app.example",
    "callback",
    ":8080",
    ":80",
    "[",
    "]",
    "\t",
    "\n",
    " ",
    "\x00",
    "admin",
]


class TestIsUrlAllowedProperty:
    @settings(max_examples=400)
    @given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
    @example("https://evil.com\\@app.example/callback")
    @example("https://evil.com%5C@app.example/callback")
    def test_property_an_allowed_url_takes_a_browser_to_the_listed_host(self, url: str) -> None:
        if is_url_allowed(url, list(ALLOW_LIST)):
            assert browser_target(url) == ("https", "app.example", 443)


class TestResolveLoginRedirect:
    @pytest.mark.parametrize("redirect", [None, ""])
    def test_no_redirect_goes_to_the_root(self, redirect: str | None) -> None:
        assert resolve(redirect) == "/"

    @pytest.mark.parametrize(
        ("redirect", "expected"),
        [
            ("/admin/content", "/admin/content"),
            ("admin/x", "/admin/x"),
            ("/admin?tab=1#top", "/admin?tab=1#top"),
            ("?next=1", "/?next=1"),
            ("../../etc/passwd", "/etc/passwd"),
        ],
    )
    def test_relative_paths_stay_on_this_site(self, redirect: str, expected: str) -> None:
        assert resolve(redirect) == expected

    @pytest.mark.parametrize(
        "redirect",
        ["http://public.example/admin", "http://PUBLIC.example:80/admin?x=1"],
    )
    def test_an_absolute_url_on_the_public_origin_is_kept(self, redirect: str) -> None:
        assert resolve(redirect) == redirect

    def test_an_allow_listed_url_is_kept(self) -> None:
        assert (
            resolve("https://app.example/callback?state=1")
            == "https://app.example/callback?state=1"
        )

    def test_without_an_allow_list_only_the_public_origin_is_accepted(self) -> None:
        assert resolve("https://app.example/callback", allow_list=()) is None

    def test_with_a_relative_public_url_absolute_redirects_are_refused(self) -> None:
        resolved = resolve_login_redirect(
            "http://public.example/admin", public_url="/", allow_list=()
        )

        assert resolved is None

    @pytest.mark.parametrize("redirect", _ADVERSARIAL)
    def test_adversarial_redirects_never_leave_the_allowed_hosts(self, redirect: str) -> None:
        resolved = resolve(redirect)

        assert resolved is None or browser_target(resolved) in allowed_targets()

    @pytest.mark.parametrize("redirect", ["/.//evil.com", "////evil.com", "/a/..//evil.com"])
    def test_a_dot_segment_or_extra_slashes_never_yield_a_protocol_relative_url(
        self, redirect: str
    ) -> None:
        resolved = resolve(redirect)

        assert resolved is None or not resolved.startswith("//")

    def test_an_unparseable_absolute_url_is_refused_not_raised(self) -> None:
        assert resolve("http://[evil.com") is None

    @settings(max_examples=400)
    @given(st.one_of(st.text(), st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)))
    @example("////evil.com")  # found by this property; pinned so that every run tries it
    @example("http://[evil.com")
    def test_property_result_never_targets_a_host_outside_the_allowed_ones(
        self, redirect: str
    ) -> None:
        resolved = resolve(redirect)

        assert resolved is None or browser_target(resolved) in allowed_targets()


def allowed_targets() -> set[tuple[str, str, int]]:
    return {("http", "public.example", 80), ("https", "app.example", 443)}


def browser_target(location: str) -> tuple[str, str, int]:
    """Where a browser on ``PUBLIC_URL`` goes for a ``Location`` header (WHATWG-ish): control
    characters dropped, backslashes read as slashes, any run of slashes after an http(s)
    scheme or at the start of a relative URL introducing a host."""
    text = re.sub(r"[\t\r\n]", "", location.strip("\x00\x01\x02\x03\x04\x05 "))
    text = text.replace("\\", "/")
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", text, re.DOTALL)
    if scheme_match:
        scheme, rest = scheme_match.group(1).lower(), scheme_match.group(2)
        if scheme not in ("http", "https"):
            return (scheme, "", 0)
        authority = re.split(r"[/?#]", rest.lstrip("/"), maxsplit=1)[0]
    elif text.startswith("//"):
        scheme = "http"
        authority = re.split(r"[/?#]", text.lstrip("/"), maxsplit=1)[0]
    else:
        return ("http", "public.example", 80)
    host_port = authority.rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    default = 443 if scheme == "https" else 80
    return (scheme, host.lower(), int(port) if port.isdigit() else default)


class TestWithToken:
    def test_adds_the_token(self) -> None:
        assert (
            with_token("https://app.example/reset", "abc") == "https://app.example/reset?token=abc"
        )

    def test_keeps_other_query_parameters(self) -> None:
        link = with_token("https://app.example/reset?lang=en&theme=dark", "abc")

        assert link == "https://app.example/reset?lang=en&theme=dark&token=abc"

    def test_replaces_an_existing_token(self) -> None:
        link = with_token("https://app.example/reset?token=old&lang=en", "new")

        assert link == "https://app.example/reset?lang=en&token=new"

    def test_keeps_the_fragment(self) -> None:
        assert (
            with_token("https://app.example/#/reset", "abc")
            == "https://app.example/?token=abc#/reset"
        )

    def test_encodes_the_token(self) -> None:
        assert (
            with_token("https://app.example/r", "a+b&c=d")
            == "https://app.example/r?token=a%2Bb%26c%3Dd"
        )


class TestSmallHelpers:
    @pytest.mark.parametrize(
        ("public_url", "expected"),
        [("/", "/admin/reset"), ("https://a.example", "https://a.example/admin/reset")],
    )
    def test_public_link_joins_without_doubling_slashes(
        self, public_url: str, expected: str
    ) -> None:
        assert public_link(public_url, "/admin/reset") == expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("https://a.example/x", True),
            ("mailto:a@example.com", True),
            ("/relative", False),
            ("//a.example", False),
            ("", False),
            ("http://[::1", False),
        ],
    )
    def test_is_absolute_url(self, value: str, expected: bool) -> None:
        assert is_absolute_url(value) is expected
