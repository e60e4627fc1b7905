"""The sealed state cookie of an OAuth2/OpenID login, and PKCE."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.providers import state

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEYS = Keys.from_secret("a-secret-for-the-state-cookie-tests-0123")


def made() -> state.FlowState:
    return state.new_state(
        provider="google",
        redirect="/app",
        callback="https://auth.example.com/auth/login/google/callback",
        prompt=False,
        otp="123456",
        now=NOW,
        ttl=timedelta(minutes=5),
    )


def test_a_sealed_state_opens_with_the_same_values() -> None:
    original = made()

    sealed = state.seal_state(KEYS, original)
    opened = state.open_state(KEYS, sealed, provider="google", now=NOW + timedelta(minutes=4))

    assert opened == original
    assert "=" not in sealed
    assert ";" not in sealed
    assert " " not in sealed
    # Nothing of it can be read without the key.
    assert original.verifier not in sealed
    assert "123456" not in sealed
    assert "/app" not in sealed


def refused(value: str | None, *, provider: str = "google", now: datetime = NOW) -> Code:
    with pytest.raises(AuthError) as raised:
        state.open_state(KEYS, value, provider=provider, now=now)
    return raised.value.code


def test_a_missing_tampered_foreign_or_expired_state_is_refused() -> None:
    sealed = state.seal_state(KEYS, made())
    flipped = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    other_key = Keys.from_secret("another-secret-another-secret-another-0")

    assert refused(None) == Code.INVALID_CREDENTIALS
    assert refused("") == Code.INVALID_CREDENTIALS
    assert refused("not-a-state") == Code.INVALID_CREDENTIALS
    assert refused(flipped) == Code.INVALID_CREDENTIALS
    assert refused(sealed, provider="github") == Code.INVALID_CREDENTIALS
    assert refused(sealed, now=NOW + timedelta(minutes=5)) == Code.INVALID_CREDENTIALS
    with pytest.raises(AuthError):
        state.open_state(other_key, state.seal_state(KEYS, made()), provider="google", now=NOW)


def test_pkce_s256_and_plain() -> None:
    verifier = state.new_verifier()
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")

    assert 43 <= len(verifier) <= 128
    assert state.code_challenge(verifier) == expected.decode()
    assert state.code_challenge(verifier, plain=True) == verifier
    # RFC 7636 appendix B
    assert state.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_every_flow_gets_its_own_verifier_and_replay_key() -> None:
    first, second = made(), made()

    assert first.verifier != second.verifier
    assert state.replay_key(first) != state.replay_key(second)
    assert first.verifier not in state.replay_key(first)
    assert state.cookie_name("openid", "google") == "openid.google"
