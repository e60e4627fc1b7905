"""tokens/jwt.py: signing and verifying Directus JWTs against an explicit ``now``."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.errors import AuthError, Code
from authgate.tokens import jwt

SECRET = "unit-test-secret-with-at-least-32-bytes!"
OTHER_SECRET = "another-secret-also-at-least-32-bytes!!"
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)
ACCESS = {"id": "user-1", "role": "role-1", "app_access": True, "admin_access": False}


def b64(data: dict[str, Any] | list[Any] | str) -> str:
    raw = data.encode() if isinstance(data, str) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def raw_token(claims: dict[str, Any], *, secret: str = SECRET, algorithm: str = "HS256") -> str:
    return pyjwt.encode(claims, secret, algorithm=algorithm)


def expect_error(code: Code, token: str, *, now: datetime = NOW) -> AuthError:
    with pytest.raises(AuthError) as caught:
        jwt.verify(token, SECRET, now=now)
    assert caught.value.code == code
    return caught.value


class TestSign:
    def test_claims_carry_iat_exp_and_the_directus_issuer(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        claims = pyjwt.decode(
            token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
        )
        stamp = int(NOW.timestamp())
        assert claims == {**ACCESS, "iat": stamp, "exp": stamp + 900, "iss": "directus"}

    def test_the_header_names_hs256(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        assert pyjwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}

    def test_the_payload_cannot_override_the_issuer_or_lifetime(self) -> None:
        token = jwt.sign({"iss": "evil", "exp": 9_999_999_999}, SECRET, now=NOW, ttl=TTL)

        claims = jwt.verify(token, SECRET, now=NOW)
        assert (claims["iss"], claims["exp"]) == ("directus", int(NOW.timestamp()) + 900)


class TestVerifyExpiry:
    def test_one_second_before_exp_is_valid(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        claims = jwt.verify(token, SECRET, now=NOW + TTL - timedelta(seconds=1))

        assert claims["id"] == "user-1"

    def test_exactly_at_exp_is_expired(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        error = expect_error(Code.TOKEN_EXPIRED, token, now=NOW + TTL)

        assert error.status == 401

    def test_a_fraction_of_a_second_before_exp_is_valid(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        claims = jwt.verify(token, SECRET, now=NOW + TTL - timedelta(milliseconds=1))

        assert claims["exp"] == int((NOW + TTL).timestamp())

    def test_long_past_exp_is_expired(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        expect_error(Code.TOKEN_EXPIRED, token, now=NOW + timedelta(days=30))

    def test_missing_exp_is_an_invalid_token(self) -> None:
        token = raw_token({**ACCESS, "iss": "directus", "iat": int(NOW.timestamp())})

        error = expect_error(Code.INVALID_TOKEN, token)

        assert error.status == 403

    @pytest.mark.parametrize("exp", ["2100-01-01", True, None, [1]])
    def test_a_non_numeric_exp_is_an_invalid_token(self, exp: object) -> None:
        token = raw_token({**ACCESS, "iss": "directus", "exp": exp})

        expect_error(Code.INVALID_TOKEN, token)

    @given(
        ttl=st.integers(min_value=1, max_value=10**7),
        later=st.integers(min_value=0, max_value=10**8),
    )
    def test_never_valid_at_or_after_exp(self, ttl: int, later: int) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=timedelta(seconds=ttl))

        with pytest.raises(AuthError) as caught:
            jwt.verify(token, SECRET, now=NOW + timedelta(seconds=ttl + later))

        assert caught.value.code == Code.TOKEN_EXPIRED


class TestVerifySignatureAndIssuer:
    def test_a_token_signed_with_another_secret_is_invalid(self) -> None:
        token = jwt.sign(ACCESS, OTHER_SECRET, now=NOW, ttl=TTL)

        error = expect_error(Code.INVALID_TOKEN, token)

        assert (error.status, error.message) == (403, "Invalid token.")

    def test_expired_with_a_bad_signature_is_invalid_not_expired(self) -> None:
        token = jwt.sign(ACCESS, OTHER_SECRET, now=NOW, ttl=TTL)

        expect_error(Code.INVALID_TOKEN, token, now=NOW + timedelta(days=1))

    def test_a_tampered_payload_is_invalid(self) -> None:
        header, _, signature = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL).split(".")
        stamp = int(NOW.timestamp())
        forged = b64(
            {**ACCESS, "admin_access": True, "iss": "directus", "iat": stamp, "exp": stamp + 900}
        )

        expect_error(Code.INVALID_TOKEN, f"{header}.{forged}.{signature}")

    @pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
    def test_an_alg_none_token_is_invalid(self, signature: str) -> None:
        stamp = int(NOW.timestamp())
        header = b64({"alg": "none", "typ": "JWT"})
        payload = b64({**ACCESS, "iss": "directus", "iat": stamp, "exp": stamp + 900})

        expect_error(Code.INVALID_TOKEN, f"{header}.{payload}.{signature}")

    def test_another_issuer_is_invalid(self) -> None:
        stamp = int(NOW.timestamp())
        token = raw_token({**ACCESS, "iss": "someone-else", "exp": stamp + 900})

        expect_error(Code.INVALID_TOKEN, token)

    def test_a_missing_issuer_is_invalid(self) -> None:
        token = raw_token({**ACCESS, "exp": int(NOW.timestamp()) + 900})

        expect_error(Code.INVALID_TOKEN, token)

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "ey.ey.ey.ey"])
    def test_malformed_text_is_invalid(self, token: str) -> None:
        expect_error(Code.INVALID_TOKEN, token)

    def test_hs512_with_the_right_secret_is_accepted_like_jsonwebtoken(self) -> None:
        stamp = int(NOW.timestamp())
        secret = SECRET * 2  # HS512 wants a 64-byte key
        token = raw_token(
            {**ACCESS, "iss": "directus", "exp": stamp + 900}, secret=secret, algorithm="HS512"
        )

        assert jwt.verify(token, secret, now=NOW)["id"] == "user-1"


class TestReadAccessClaims:
    def test_an_access_token_yields_user_role_and_session(self) -> None:
        claims = {**ACCESS, "session": "session-1"}

        read = jwt.read_access_claims(claims)

        assert read == jwt.AccessClaims(
            user="user-1", role="role-1", session="session-1", share=None
        )

    def test_a_null_role_is_allowed_when_present(self) -> None:
        read = jwt.read_access_claims({**ACCESS, "role": None})

        assert read.role is None

    @pytest.mark.parametrize("missing", ["role", "app_access", "admin_access"])
    def test_a_token_without_an_access_claim_is_invalid(self, missing: str) -> None:
        claims = {k: v for k, v in ACCESS.items() if k != missing}

        with pytest.raises(AuthError) as caught:
            jwt.read_access_claims(claims)

        assert caught.value.code == Code.INVALID_TOKEN

    def test_a_password_reset_token_is_not_an_access_token(self) -> None:
        claims = {"email": "a@example.com", "scope": jwt.SCOPE_PASSWORD_RESET}

        with pytest.raises(AuthError) as caught:
            jwt.read_access_claims(claims)

        assert caught.value.code == Code.INVALID_TOKEN

    @pytest.mark.parametrize("claim", ["id", "role", "session", "share"])
    def test_a_non_string_identifier_is_invalid(self, claim: str) -> None:
        with pytest.raises(AuthError) as caught:
            jwt.read_access_claims({**ACCESS, claim: 42})

        assert caught.value.code == Code.INVALID_TOKEN

    def test_issued_access_tokens_read_back(self) -> None:
        payload = jwt.access_payload(
            user="u", role=None, app_access=True, admin_access=True, session="s"
        )
        token = jwt.sign(payload, SECRET, now=NOW, ttl=TTL)

        read = jwt.read_access_claims(jwt.verify(token, SECRET, now=NOW))

        assert read == jwt.AccessClaims(user="u", role=None, session="s", share=None)

    def test_enforce_tfa_is_only_written_when_set(self) -> None:
        def issue(enforce: bool) -> dict[str, Any]:
            payload = jwt.access_payload(
                user="u", role=None, app_access=False, admin_access=False, enforce_tfa=enforce
            )
            token = jwt.sign(payload, SECRET, now=NOW, ttl=TTL)
            return jwt.verify(token, SECRET, now=NOW)

        assert ("enforce_tfa" in issue(False), issue(True).get("enforce_tfa")) == (False, True)


class TestVerifyScoped:
    def test_a_token_of_the_right_scope_is_returned(self) -> None:
        token = jwt.sign({"email": "a@example.com", "scope": "invite"}, SECRET, now=NOW, ttl=TTL)

        claims = jwt.verify_scoped(token, SECRET, now=NOW, scope=jwt.SCOPE_INVITE)

        assert claims["email"] == "a@example.com"

    def test_a_token_for_another_purpose_is_forbidden(self) -> None:
        token = jwt.sign(
            {"email": "a@example.com", "scope": jwt.SCOPE_INVITE}, SECRET, now=NOW, ttl=TTL
        )

        with pytest.raises(AuthError) as caught:
            jwt.verify_scoped(token, SECRET, now=NOW, scope=jwt.SCOPE_PASSWORD_RESET)

        assert (caught.value.code, caught.value.status) == (Code.FORBIDDEN, 403)

    def test_an_access_token_is_not_a_scoped_token(self) -> None:
        token = jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)

        with pytest.raises(AuthError) as caught:
            jwt.verify_scoped(token, SECRET, now=NOW, scope=jwt.SCOPE_REGISTRATION)

        assert caught.value.code == Code.FORBIDDEN

    def test_a_scoped_token_without_an_email_is_forbidden(self) -> None:
        token = jwt.sign({"scope": jwt.SCOPE_PASSWORD_RESET}, SECRET, now=NOW, ttl=TTL)

        with pytest.raises(AuthError) as caught:
            jwt.verify_scoped(token, SECRET, now=NOW, scope=jwt.SCOPE_PASSWORD_RESET)

        assert caught.value.code == Code.FORBIDDEN

    def test_an_expired_scoped_token_is_expired(self) -> None:
        token = jwt.sign({"email": "a@example.com", "scope": "invite"}, SECRET, now=NOW, ttl=TTL)

        with pytest.raises(AuthError) as caught:
            jwt.verify_scoped(token, SECRET, now=NOW + TTL, scope=jwt.SCOPE_INVITE)

        assert caught.value.code == Code.TOKEN_EXPIRED


class TestIsDirectusJwt:
    def test_a_token_we_signed_is_recognised(self) -> None:
        assert jwt.is_directus_jwt(jwt.sign(ACCESS, SECRET, now=NOW, ttl=TTL)) is True

    def test_recognition_does_not_need_the_signature(self) -> None:
        token = f"{b64({'alg': 'HS256'})}.{b64({'iss': 'directus'})}.not-a-signature"

        assert jwt.is_directus_jwt(token) is True

    @pytest.mark.parametrize(
        "token",
        [
            "",
            "static-token-abcdef",
            "a.b.c",
            "..",
            "é.é.é",
            f"{b64({'alg': 'HS256'})}.{b64({'iss': 'https://idp.example'})}.sig",
            f"{b64({'alg': 'HS256'})}.{b64({'sub': 'x'})}.sig",
            f"{b64({'alg': 'HS256'})}.{b64(['iss', 'directus'])}.sig",
            f"{b64({'alg': 'HS256'})}.{b64({'iss': ['directus']})}.sig",
            f"{b64({'alg': 'HS256'})}.{b64('not json')}.sig",
            f"{b64({'alg': 'HS256'})}.{b64({'iss': 'directus'})}",
        ],
    )
    def test_anything_else_is_not(self, token: str) -> None:
        assert jwt.is_directus_jwt(token) is False

    @given(st.text())
    def test_never_raises_on_arbitrary_text(self, token: str) -> None:
        assert jwt.is_directus_jwt(token) in (True, False)
