"""errors.py: the code catalogue is wire format; this file pins it literally."""

from __future__ import annotations

import pytest

from authgate import errors
from authgate.errors import MESSAGES, STATUS, AuthError, Code

# Code -> HTTP status, exactly as clients see them (spec directus-auth 1.3).
CATALOGUE = {
    "INVALID_CREDENTIALS": 401,
    "INVALID_OTP": 401,
    "TOKEN_EXPIRED": 401,
    "USER_SUSPENDED": 401,
    "INVALID_TOKEN": 403,
    "FORBIDDEN": 403,
    "INVALID_PROVIDER": 403,
    "INVALID_PAYLOAD": 400,
    "INVALID_QUERY": 400,
    "INVALID_INVITE": 400,
    "FAILED_VALIDATION": 400,
    "RECORD_NOT_UNIQUE": 400,
    "VALUE_TOO_LONG": 400,
    "INVALID_FOREIGN_KEY": 400,
    "NOT_NULL_VIOLATION": 400,
    "ROUTE_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "UNPROCESSABLE_CONTENT": 422,
    "REQUESTS_EXCEEDED": 429,
    "INVALID_PROVIDER_CONFIG": 503,
    "SERVICE_UNAVAILABLE": 503,
    "GRAPHQL_VALIDATION": 400,
    "GRAPHQL_EXECUTION": 400,
    "INTERNAL_SERVER_ERROR": 500,
    # authgate's own (README, Differences: "`enforce_tfa` is enforced by the API")
    "TFA_SETUP_REQUIRED": 403,
}

# The messages that do not depend on the error's data.
FIXED_MESSAGES = {
    "INVALID_CREDENTIALS": "Invalid user credentials.",
    "INVALID_OTP": "Invalid user OTP.",
    "TOKEN_EXPIRED": "Token expired.",
    "USER_SUSPENDED": "User suspended.",
    "INVALID_TOKEN": "Invalid token.",
    "FORBIDDEN": "You don't have permission to access this.",
    "INVALID_PROVIDER": "Invalid provider.",
    "INVALID_INVITE": "This invite is no longer valid.",
    "INVALID_PROVIDER_CONFIG": "Invalid config.",
    "GRAPHQL_VALIDATION": "GraphQL validation error.",
    "GRAPHQL_EXECUTION": "GraphQL execution error.",
    "INTERNAL_SERVER_ERROR": "An unexpected error occurred.",
    "TFA_SETUP_REQUIRED": "Two-factor authentication must be set up first.",
}


def test_every_code_has_a_status() -> None:
    assert set(Code) <= set(STATUS)


def test_each_code_value_is_its_name() -> None:
    assert all(code.value == code.name for code in Code)


def test_the_code_to_status_catalogue_is_unchanged() -> None:
    assert {code.value: status for code, status in STATUS.items()} == CATALOGUE


def test_the_set_of_codes_is_unchanged() -> None:
    assert sorted(code.value for code in Code) == sorted(CATALOGUE)


def test_the_fixed_messages_are_unchanged() -> None:
    assert {code.value: message for code, message in MESSAGES.items()} == FIXED_MESSAGES


@pytest.mark.parametrize("code", list(Code))
def test_an_error_reports_the_status_of_its_code(code: Code) -> None:
    assert AuthError(code).status == CATALOGUE[code.value]


@pytest.mark.parametrize("code", [Code(value) for value in FIXED_MESSAGES])
def test_an_error_without_a_message_uses_the_fixed_one(code: Code) -> None:
    assert AuthError(code).message == FIXED_MESSAGES[code.value]


def test_an_explicit_message_wins() -> None:
    assert AuthError(Code.FORBIDDEN, "No.").message == "No."


def test_extensions_and_headers_default_to_empty() -> None:
    error = AuthError(Code.INVALID_TOKEN)

    assert (dict(error.extensions), dict(error.headers)) == ({}, {})


def test_str_names_the_code_and_the_message() -> None:
    assert str(AuthError(Code.TOKEN_EXPIRED)) == "TOKEN_EXPIRED: Token expired."


class TestMessageBuilders:
    def test_invalid_payload(self) -> None:
        error = errors.invalid_payload('"email" is required')

        assert (error.code, error.message, dict(error.extensions)) == (
            Code.INVALID_PAYLOAD,
            'Invalid payload. "email" is required.',
            {"reason": '"email" is required'},
        )

    def test_invalid_payload_does_not_double_the_full_stop(self) -> None:
        assert errors.invalid_payload("Bad.").message == "Invalid payload. Bad."

    def test_invalid_query(self) -> None:
        error = errors.invalid_query("Filter has to be an object")

        assert (error.code, error.message, dict(error.extensions)) == (
            Code.INVALID_QUERY,
            "Invalid query. Filter has to be an object.",
            {"reason": "Filter has to be an object"},
        )

    def test_forbidden_without_a_reason_has_no_extensions(self) -> None:
        error = errors.forbidden()

        assert (error.message, dict(error.extensions)) == (
            "You don't have permission to access this.",
            {},
        )

    def test_forbidden_with_a_reason(self) -> None:
        error = errors.forbidden("Nope")

        assert (error.message, dict(error.extensions)) == ("Nope", {"reason": "Nope"})

    def test_route_not_found(self) -> None:
        error = errors.route_not_found("/nope")

        assert (error.status, error.message, dict(error.extensions)) == (
            404,
            "Route /nope doesn't exist.",
            {"path": "/nope"},
        )

    def test_service_unavailable_with_retry_after(self) -> None:
        error = errors.service_unavailable("hashing", "Under pressure", retry_after=3)

        assert (error.status, error.message, dict(error.extensions), dict(error.headers)) == (
            503,
            'Service "hashing" is unavailable. Under pressure.',
            {"service": "hashing", "reason": "Under pressure"},
            {"Retry-After": "3"},
        )

    def test_service_unavailable_without_retry_after_has_no_header(self) -> None:
        assert dict(errors.service_unavailable("db", "Down").headers) == {}

    def test_record_not_unique(self) -> None:
        error = errors.record_not_unique("directus_users", "email", "a@example.com")

        assert (error.status, error.message, dict(error.extensions)) == (
            400,
            'Value "a@example.com" for field "email" in collection "directus_users" '
            "has to be unique.",
            {"collection": "directus_users", "field": "email", "value": "a@example.com"},
        )

    def test_value_too_long(self) -> None:
        error = errors.value_too_long("directus_users", "first_name")

        assert (
            error.message
            == 'Value for field "first_name" in collection "directus_users" is too long.'
        )

    def test_invalid_foreign_key(self) -> None:
        error = errors.invalid_foreign_key("directus_users", "role")

        assert (
            error.message == 'Invalid foreign key for field "role" in collection "directus_users".'
        )

    def test_not_null_violation(self) -> None:
        error = errors.not_null_violation("directus_users", "email")

        assert (
            error.message
            == 'Value for field "email" in collection "directus_users" can\'t be null.'
        )

    def test_failed_validation(self) -> None:
        error = errors.failed_validation(
            "password", "regex", "Value doesn't have the correct format.", invalid="abc"
        )

        assert (error.status, error.message, dict(error.extensions)) == (
            400,
            'Validation failed for field "password". Value doesn\'t have the correct format.',
            {"field": "password", "type": "regex", "path": [], "invalid": "abc"},
        )

    def test_unprocessable(self) -> None:
        error = errors.unprocessable("You can't remove the last admin.")

        assert (error.status, error.message) == (
            422,
            "Can't process content. You can't remove the last admin.",
        )
