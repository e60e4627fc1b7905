"""crypto.py: token hashes, refresh-token successors, encryption at rest, comparisons."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.crypto import Keys, derive_key, equal, random_token

SECRET = "unit-test-secret"
KEYS = Keys.from_secret(SECRET)
OTHER_KEYS = Keys.from_secret("another-secret")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{64}")


class TestRandomToken:
    def test_is_64_url_safe_characters(self) -> None:
        assert TOKEN_SHAPE.fullmatch(random_token())

    def test_tokens_differ(self) -> None:
        assert len({random_token() for _ in range(50)}) == 50


class TestEqual:
    def test_equal_strings(self) -> None:
        assert equal("same-token", "same-token") is True

    def test_different_strings(self) -> None:
        assert equal("same-token", "same-tokeN") is False

    def test_a_prefix_is_not_equal(self) -> None:
        assert equal("same-token", "same") is False

    def test_text_and_its_utf8_bytes_are_equal(self) -> None:
        assert equal("pässword", "pässword".encode()) is True

    def test_non_ascii_text_is_compared_without_error(self) -> None:
        assert equal("123456", "١٢٣٤٥٦") is False


class TestDerivedKeys:
    def test_each_purpose_gets_its_own_key(self) -> None:
        keys = {KEYS.token_hash, KEYS.successor, KEYS.encryption, KEYS.fingerprint}

        assert len(keys) == 4

    def test_keys_depend_on_the_secret(self) -> None:
        assert derive_key("a", "token-hash") != derive_key("b", "token-hash")

    def test_keys_are_32_bytes(self) -> None:
        assert {len(k) for k in (KEYS.token_hash, KEYS.successor, KEYS.encryption)} == {32}


class TestHashToken:
    def test_is_deterministic(self) -> None:
        assert KEYS.hash_token("refresh-token-value") == Keys.from_secret(SECRET).hash_token(
            "refresh-token-value"
        )

    def test_is_64_lowercase_hex_characters(self) -> None:
        assert re.fullmatch(r"[0-9a-f]{64}", KEYS.hash_token("refresh-token-value"))

    def test_depends_on_the_secret(self) -> None:
        assert KEYS.hash_token("refresh-token-value") != OTHER_KEYS.hash_token(
            "refresh-token-value"
        )

    def test_depends_on_the_token(self) -> None:
        assert KEYS.hash_token("token-a") != KEYS.hash_token("token-b")

    def test_hashing_other_tokens_in_between_changes_nothing(self) -> None:
        first = KEYS.hash_token("token-a")
        OTHER_KEYS.hash_token("token-a")
        KEYS.hash_token("token-b")

        assert KEYS.hash_token("token-a") == first

    def test_the_at_rest_format_is_stable(self) -> None:
        """HMAC-SHA-256 under HMAC(SECRET, "authgate/token-hash"): if this changes, every stored
        session, refresh token and static token stops matching after an upgrade."""
        assert KEYS.hash_token("refresh-token-value") == (
            "5b5684ed6a0b7abf1435cc7404d1ac426459c9a24a89e032219114c54863b45d"
        )


class TestSuccessorOf:
    def test_is_deterministic(self) -> None:
        assert KEYS.successor_of("old-token") == KEYS.successor_of("old-token")

    def test_has_the_shape_of_a_refresh_token(self) -> None:
        assert TOKEN_SHAPE.fullmatch(KEYS.successor_of("old-token"))

    def test_differs_from_its_input(self) -> None:
        token = random_token()

        assert KEYS.successor_of(token) != token

    def test_depends_on_the_secret(self) -> None:
        assert KEYS.successor_of("old-token") != OTHER_KEYS.successor_of("old-token")

    def test_is_not_the_token_hash(self) -> None:
        assert KEYS.successor_of("old-token") != KEYS.hash_token("old-token")[:64]

    @given(st.text(max_size=200))
    def test_always_64_url_safe_characters_unlike_its_input(self, token: str) -> None:
        successor = KEYS.successor_of(token)

        assert TOKEN_SHAPE.fullmatch(successor)
        assert successor != token


class TestFingerprint:
    def test_is_short_deterministic_and_keyed(self) -> None:
        value = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"

        assert len(KEYS.fingerprint_of(value)) == 24
        assert KEYS.fingerprint_of(value) == KEYS.fingerprint_of(value)
        assert KEYS.fingerprint_of(value) != OTHER_KEYS.fingerprint_of(value)


class TestEncryption:
    @given(st.text(), st.text(max_size=40))
    def test_round_trip(self, plaintext: str, context: str) -> None:
        sealed = KEYS.encrypt(plaintext, context=context)

        assert KEYS.decrypt(sealed, context=context) == plaintext

    def test_the_stored_form_is_versioned_and_hides_the_plaintext(self) -> None:
        sealed = KEYS.encrypt("JBSWY3DPEHPK3PXP", context="user-1")

        assert sealed.startswith("enc1.")
        assert "JBSWY3DPEHPK3PXP" not in sealed

    def test_two_encryptions_of_the_same_value_differ(self) -> None:
        assert KEYS.encrypt("x", context="user-1") != KEYS.encrypt("x", context="user-1")

    def test_another_context_cannot_decrypt(self) -> None:
        sealed = KEYS.encrypt("JBSWY3DPEHPK3PXP", context="user-1")

        assert KEYS.decrypt(sealed, context="user-2") is None

    def test_another_key_cannot_decrypt(self) -> None:
        sealed = KEYS.encrypt("JBSWY3DPEHPK3PXP", context="user-1")

        assert OTHER_KEYS.decrypt(sealed, context="user-1") is None

    def test_a_tampered_value_cannot_be_decrypted(self) -> None:
        sealed = KEYS.encrypt("JBSWY3DPEHPK3PXP", context="user-1")
        position = len("enc1.") + 20  # a character inside the ciphertext, all six bits used
        flipped = (
            sealed[:position] + ("A" if sealed[position] != "A" else "B") + sealed[position + 1 :]
        )

        assert KEYS.decrypt(flipped, context="user-1") is None

    @pytest.mark.parametrize(
        "stored",
        ["", "JBSWY3DPEHPK3PXP", "enc1.", "enc1.AAAA", "enc1.!!!", "enc2.AAAAAAAAAAAAAAAAAAAA"],
    )
    def test_values_not_sealed_by_us_give_none(self, stored: str) -> None:
        assert KEYS.decrypt(stored, context="user-1") is None

    @given(st.text())
    def test_decrypt_never_raises_on_arbitrary_stored_text(self, tail: str) -> None:
        assert KEYS.decrypt("enc1." + tail, context="user-1") is None
