"""The pure checks of a logout token (OpenID Back-Channel Logout 1.0 §2.6), the linked
identities' unlink rule and subject hint, and ``end_session_endpoint`` in discovery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from authgate.identities.model import may_unlink, sign_in_ways, subject_hint
from authgate.providers.discovery import Metadata, parse_metadata
from authgate.providers.logout_token import (
    EVENT,
    MAX_AGE,
    LogoutClaims,
    LogoutTokenRefused,
    check_logout_claims,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CLIENT = "client-1"


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://op.example.com",
        "aud": CLIENT,
        "iat": int(NOW.timestamp()),
        "jti": "j-1",
        "sid": "s-1",
        "sub": "u-1",
        "events": {EVENT: {}},
    }
    for name, value in changes.items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def check(values: dict[str, Any]) -> LogoutClaims:
    return check_logout_claims(values, provider="op", client_id=CLIENT, now=NOW)


def test_a_good_token_names_its_session_and_subject() -> None:
    assert check(claims()) == LogoutClaims(sid="s-1", sub="u-1", jti="j-1")
    assert check(claims(sid=None)).sid is None
    assert check(claims(sub=None)).sub is None


@pytest.mark.parametrize(
    "changes",
    [
        {"iat": None},
        {"iat": "now"},
        {"iat": True},
        {"iat": int(NOW.timestamp()) - MAX_AGE - 61},
        {"iat": int(NOW.timestamp()) + 61},
        {"exp": int(NOW.timestamp()) - 61},
        {"exp": "later"},
        {"events": None},
        {"events": ["x"]},
        {"events": {EVENT: "yes"}},
        {"events": {"urn:other": {}}},
        {"nonce": "n"},
        {"sid": None, "sub": None},
        {"sid": "", "sub": ""},
        {"jti": None},
        {"jti": "j" * 256},
        {"aud": [CLIENT, "other"]},
    ],
)
def test_a_bad_token_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(LogoutTokenRefused):
        check(claims(**changes))


def test_several_audiences_need_azp() -> None:
    assert check(claims(aud=[CLIENT, "other"], azp=CLIENT)).jti == "j-1"


@pytest.mark.parametrize(
    ("provider", "password", "external", "linked", "allowed"),
    [
        ("default", "hash", None, 1, True),  # a password remains
        ("default", None, None, 1, False),  # the last way in
        ("default", None, None, 2, True),  # another linked identity remains
        ("op", None, "sub-1", 1, True),  # the account's own provider remains
        ("op", None, None, 1, False),
        ("default", None, "x", 1, False),  # an identifier without a provider is no way in
    ],
)
def test_unlink_only_while_another_way_in_remains(
    provider: str, password: str | None, external: str | None, linked: int, allowed: bool
) -> None:
    ways = sign_in_ways(
        provider=provider, password=password, external_identifier=external, linked=linked
    )
    assert may_unlink(ways) is allowed


def test_the_subject_hint_never_shows_the_whole_subject() -> None:
    assert subject_hint("user-1234abcd") == "us…cd"
    assert subject_hint("abcd") == "a…"
    assert subject_hint("a") == "a…"


def test_discovery_reads_the_end_session_endpoint() -> None:
    document = {
        "issuer": "https://op.example.com",
        "authorization_endpoint": "https://op.example.com/auth",
        "token_endpoint": "https://op.example.com/token",
        "jwks_uri": "https://op.example.com/jwks",
        "response_types_supported": ["code"],
    }
    without = parse_metadata(document)
    with_it = parse_metadata({**document, "end_session_endpoint": "https://op.example.com/end"})
    bogus = parse_metadata({**document, "end_session_endpoint": "javascript:alert(1)"})

    assert isinstance(without, Metadata)
    assert without.end_session_endpoint is None
    assert isinstance(with_it, Metadata)
    assert with_it.end_session_endpoint == "https://op.example.com/end"
    assert isinstance(bogus, Metadata)
    assert bogus.end_session_endpoint is None
