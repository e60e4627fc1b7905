"""passkeys/model.py (challenges: purpose, binding, expiry, integrity) and
config/webauthn.py (the relying party from PUBLIC_URL, its overrides and refusals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authgate.config import ConfigError, load_settings
from authgate.config.webauthn import WebAuthnSettings
from authgate.passkeys.model import issue_challenge, open_challenge

KEY = b"k" * 32
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


def _issue(**changes: object) -> bytes:
    values: dict[str, object] = {
        "binding": "user-1",
        "now": NOW,
        "ttl": TTL,
        "nonce": b"n" * 16,
        "handle": b"h" * 32,
    }
    values.update(changes)
    return issue_challenge(KEY, "enrol", **values)  # type: ignore[arg-type]


class TestChallenges:
    def test_a_challenge_opens_for_its_purpose_and_binding_until_it_expires(self) -> None:
        raw = _issue()

        opened = open_challenge(KEY, raw, "enrol", binding="user-1", now=NOW + TTL / 2)

        assert opened is not None
        assert opened.handle == b"h" * 32
        assert opened.expires == NOW + TTL
        assert opened.key.startswith("webauthn:")

    @pytest.mark.parametrize(
        ("purpose", "binding", "later", "key"),
        [
            ("login", "user-1", timedelta(0), KEY),  # another purpose
            ("enrol", "user-2", timedelta(0), KEY),  # another user
            ("enrol", "user-1", TTL, KEY),  # expired
            ("enrol", "user-1", timedelta(0), b"x" * 32),  # another SECRET
        ],
    )
    def test_a_challenge_opens_for_nothing_else(
        self, purpose: str, binding: str, later: timedelta, key: bytes
    ) -> None:
        raw = _issue()

        opened = open_challenge(key, raw, purpose, binding=binding, now=NOW + later)  # type: ignore[arg-type]

        assert opened is None

    @pytest.mark.parametrize("cut", [1, 10, 40, 80])
    def test_a_changed_or_cut_challenge_opens_for_nothing(self, cut: int) -> None:
        raw = bytearray(_issue())
        flipped = bytes(raw[:cut]) + bytes([raw[cut] ^ 1]) + bytes(raw[cut + 1 :])

        assert open_challenge(KEY, flipped, "enrol", binding="user-1", now=NOW) is None
        assert open_challenge(KEY, bytes(raw[:cut]), "enrol", binding="user-1", now=NOW) is None

    def test_two_challenges_differ_by_their_nonce(self) -> None:
        assert _issue(nonce=b"a" * 16) != _issue(nonce=b"b" * 16)


class TestRelyingParty:
    def test_from_public_url(self, tmp_path: Path) -> None:
        settings = load_settings({"PUBLIC_URL": "https://auth.example.com/base"}, cwd=tmp_path)

        assert settings.webauthn == WebAuthnSettings(
            rp_id="auth.example.com", rp_name="authgate", origins=("https://auth.example.com",)
        )

    def test_without_public_url_localhost_on_the_port(self, tmp_path: Path) -> None:
        settings = load_settings({"PORT": "9000"}, cwd=tmp_path).webauthn

        assert (settings.rp_id, settings.origins) == ("localhost", ("http://localhost:9000",))

    def test_a_parent_domain_name_and_the_other_public_urls(self, tmp_path: Path) -> None:
        env = {
            "PUBLIC_URL": "https://auth.example.com",
            "AUTH_WEBAUTHN_RP_ID": "Example.com",
            "AUTH_WEBAUTHN_RP_NAME": "Example",
            "AUTH_ALLOWED_PUBLIC_URLS": "https://login.example.com,https://other.test",
            "AUTH_WEBAUTHN_CHALLENGE_TTL": "2m",
        }

        settings = load_settings(env, cwd=tmp_path).webauthn

        assert settings.rp_id == "example.com"
        assert settings.rp_name == "Example"
        assert settings.origins == ("https://auth.example.com", "https://login.example.com")
        assert settings.challenge_ttl == timedelta(minutes=2)

    @pytest.mark.parametrize("rp_id", ["other.com", "xample.com", "sub.auth.example.com", " "])
    def test_an_rp_id_that_is_not_the_host_or_a_parent_stops_the_start(
        self, tmp_path: Path, rp_id: str
    ) -> None:
        env = {"PUBLIC_URL": "https://auth.example.com", "AUTH_WEBAUTHN_RP_ID": rp_id}

        with pytest.raises(ConfigError, match="AUTH_WEBAUTHN_RP_ID"):
            load_settings(env, cwd=tmp_path)

    def test_project_name_names_the_relying_party(self, tmp_path: Path) -> None:
        settings = load_settings({"PROJECT_NAME": "Acme"}, cwd=tmp_path)

        assert settings.webauthn.rp_name == "Acme"
