"""totp.py: RFC 6238 codes, the accepted steps, provisioning URIs and secrets."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
NOW = datetime(2026, 11, 28, 12, 0, 10, tzinfo=UTC)

secrets_80_to_160_bits = st.binary(min_size=10, max_size=20).map(
    lambda raw: base64.b32encode(raw).decode().rstrip("=")
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
)


def at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def test_the_rfc_secret_is_the_documented_base32_text() -> None:
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("epoch", "rfc_code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_appendix_b_sha1_vectors(epoch: int, rfc_code: str) -> None:
    """Our 6-digit codes are the last six digits of the RFC's 8-digit ones."""
    code = totp.code_at(RFC_SECRET, totp.step_at(at(epoch)))

    assert code == rfc_code[-6:]


def test_steps_are_thirty_seconds_long() -> None:
    assert [totp.step_at(at(t)) for t in (0, 29, 30, 59, 60)] == [0, 0, 1, 1, 2]


class TestMatchingStep:
    def test_the_current_code_matches_the_current_step(self) -> None:
        step = totp.step_at(NOW)

        assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step), now=NOW) == step

    def test_the_previous_code_is_still_accepted(self) -> None:
        step = totp.step_at(NOW)

        found = totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 1), now=NOW)

        assert found == step - 1

    def test_the_next_code_is_refused(self) -> None:
        step = totp.step_at(NOW)

        assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step + 1), now=NOW) is None

    def test_a_code_two_steps_old_is_refused(self) -> None:
        step = totp.step_at(NOW)

        assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 2), now=NOW) is None

    def test_a_code_matches_until_the_end_of_the_following_step(self) -> None:
        start = at(totp.step_at(NOW) * totp.PERIOD)
        code = totp.code_at(RFC_SECRET, totp.step_at(start))

        last_moment = totp.matching_step(RFC_SECRET, code, now=start + timedelta(seconds=59))
        one_too_late = totp.matching_step(RFC_SECRET, code, now=start + timedelta(seconds=60))

        assert (last_moment, one_too_late) == (totp.step_at(start), None)

    def test_skew_of_zero_accepts_only_the_current_step(self) -> None:
        step = totp.step_at(NOW)
        previous = totp.code_at(RFC_SECRET, step - 1)

        assert totp.matching_step(RFC_SECRET, previous, now=NOW, skew_steps=0) is None

    @pytest.mark.parametrize(
        "code",
        [
            "",
            "12345",
            "1234567",
            "12345a",
            " 12345",
            "12345 ",
            "+12345",
            "-12345",
            "１２３４５６",
            "١٢٣٤٥٦",
        ],
    )
    def test_a_code_that_is_not_six_ascii_digits_never_matches(self, code: str) -> None:
        assert totp.matching_step(RFC_SECRET, code, now=NOW) is None

    def test_the_rfc_vector_code_matches_at_its_time(self) -> None:
        assert totp.matching_step(RFC_SECRET, "005924", now=at(1234567890)) == 1234567890 // 30

    @given(secret=secrets_80_to_160_bits, now=moments)
    def test_round_trip_a_code_matches_the_step_it_was_made_for(
        self, secret: str, now: datetime
    ) -> None:
        step = totp.step_at(now)

        assert totp.matching_step(secret, totp.code_at(secret, step), now=now) == step

    @given(secret=secrets_80_to_160_bits, now=moments)
    def test_a_future_step_is_never_reported(self, secret: str, now: datetime) -> None:
        step = totp.step_at(now)

        found = totp.matching_step(secret, totp.code_at(secret, step + 1), now=now)

        assert found is None or found <= step

    @given(secret=secrets_80_to_160_bits, step=st.integers(min_value=0, max_value=2**40))
    def test_codes_are_always_six_ascii_digits(self, secret: str, step: int) -> None:
        assert re.fullmatch(r"[0-9]{6}", totp.code_at(secret, step))


class TestSecrets:
    def test_a_generated_secret_is_16_base32_characters(self) -> None:
        assert re.fullmatch(r"[A-Z2-7]{16}", totp.generate_secret())

    def test_generated_secrets_differ(self) -> None:
        assert len({totp.generate_secret() for _ in range(20)}) == 20

    def test_a_generated_secret_is_valid(self) -> None:
        assert totp.is_valid_secret(totp.generate_secret()) is True

    def test_a_lowercase_secret_is_valid_and_gives_the_same_codes(self) -> None:
        lower = RFC_SECRET.lower()

        assert totp.is_valid_secret(lower) is True
        assert totp.code_at(lower, 41152263) == totp.code_at(RFC_SECRET, 41152263)

    @pytest.mark.parametrize("secret", ["", "not base32!", "GEZDGNBV", "1111111111111111"])
    def test_invalid_or_short_secrets_are_refused(self, secret: str) -> None:
        assert totp.is_valid_secret(secret) is False


class TestOtpauthUrl:
    def test_layout_matches_directus(self) -> None:
        url = totp.otpauth_url("JBSWY3DPEHPK3PXP", issuer="Directus", account="admin@example.com")

        assert url == (
            "otpauth://totp/Directus:admin%40example.com?secret=JBSWY3DPEHPK3PXP"
            "&period=30&digits=6&algorithm=SHA1&issuer=Directus"
        )

    def test_issuer_and_account_are_percent_encoded(self) -> None:
        url = totp.otpauth_url("JBSWY3DPEHPK3PXP", issuer="My Project/EU", account="a+b:c@x.io")

        assert url == (
            "otpauth://totp/My%20Project%2FEU:a%2Bb%3Ac%40x.io?secret=JBSWY3DPEHPK3PXP"
            "&period=30&digits=6&algorithm=SHA1&issuer=My%20Project%2FEU"
        )

    def test_a_query_injection_in_the_issuer_stays_inside_the_issuer(self) -> None:
        url = totp.otpauth_url("JBSWY3DPEHPK3PXP", issuer="x&secret=AAAA", account="a")

        assert url.count("&secret=") == 0
        assert url.endswith("&issuer=x%26secret%3DAAAA")
