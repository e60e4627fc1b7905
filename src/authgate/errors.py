"""The one error type, its Directus codes, statuses and messages.

Domain code raises ``AuthError(Code.X, ...)``; the HTTP edge renders every one of them the same
way, as Directus does::

    {"errors": [{"message": "...", "extensions": {<extensions...>, "code": "X"}}]}

Catalogue (status, when it is raised):

* ``INVALID_CREDENTIALS`` 401: unknown user, wrong password, inactive user, unknown or stale
  refresh token, a static token that matches no active user.
* ``INVALID_OTP`` 401: a two-factor user logged in without a code or with a wrong one.
* ``TOKEN_EXPIRED`` 401: a correctly signed JWT past its ``exp``.
* ``USER_SUSPENDED`` 401: refreshing the session of a suspended user.
* ``INVALID_TOKEN`` 403: a JWT with a bad signature, malformed, or missing required claims.
* ``FORBIDDEN`` 403: no permission, or a thing that does not exist (existence is hidden).
* ``INVALID_PROVIDER`` 403: an SSO user that collides with an existing account.
* ``TFA_SETUP_REQUIRED`` 403 (authgate's own): a policy of the caller enforces two-factor and
  the caller has no second factor; only enrolment, ``/users/me``, ``/auth/*`` answer
  (``access/enforcement.py``).
* ``INVALID_PAYLOAD`` 400: a body that fails validation (``reason`` says why).
* ``INVALID_QUERY`` 400: query parameters that fail validation.
* ``INVALID_INVITE`` 400: an invitation whose user is no longer invited.
* ``FAILED_VALIDATION`` 400: a value that breaks a field rule (password policy, email format).
* ``RECORD_NOT_UNIQUE`` 400: a duplicate value for a unique field (secrets are not echoed).
* ``VALUE_TOO_LONG`` 400, ``NOT_NULL_VIOLATION`` 400, ``INVALID_FOREIGN_KEY`` 400:
  a value that does not fit its column.
* ``ROUTE_NOT_FOUND`` 404: no such route.
* ``UNPROCESSABLE_CONTENT`` 422: a change that would remove the last administrator.
* ``REQUESTS_EXCEEDED`` 429: a rate limit; carries ``Retry-After``.
* ``INVALID_PROVIDER_CONFIG`` 503, ``SERVICE_UNAVAILABLE`` 503: the server or an upstream is
  not able to answer now (``SERVICE_UNAVAILABLE`` carries ``Retry-After`` when overloaded).
* ``GRAPHQL_VALIDATION`` 400: a GraphQL document that does not parse, does not fit the caller's
  schema or exceeds a limit (``errors`` lists the GraphQL errors).
* ``GRAPHQL_EXECUTION`` 400: a GraphQL request GraphQL refuses to run (variables that are not
  an object; ``errors`` lists the messages).
* ``INTERNAL_SERVER_ERROR`` 500: anything unexpected; the real cause is only logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class Code(StrEnum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_OTP = "INVALID_OTP"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    USER_SUSPENDED = "USER_SUSPENDED"
    INVALID_TOKEN = "INVALID_TOKEN"
    FORBIDDEN = "FORBIDDEN"
    INVALID_PROVIDER = "INVALID_PROVIDER"
    TFA_SETUP_REQUIRED = "TFA_SETUP_REQUIRED"
    INVALID_PAYLOAD = "INVALID_PAYLOAD"
    INVALID_QUERY = "INVALID_QUERY"
    INVALID_INVITE = "INVALID_INVITE"
    FAILED_VALIDATION = "FAILED_VALIDATION"
    RECORD_NOT_UNIQUE = "RECORD_NOT_UNIQUE"
    VALUE_TOO_LONG = "VALUE_TOO_LONG"
    INVALID_FOREIGN_KEY = "INVALID_FOREIGN_KEY"
    NOT_NULL_VIOLATION = "NOT_NULL_VIOLATION"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNPROCESSABLE_CONTENT = "UNPROCESSABLE_CONTENT"
    REQUESTS_EXCEEDED = "REQUESTS_EXCEEDED"
    INVALID_PROVIDER_CONFIG = "INVALID_PROVIDER_CONFIG"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    GRAPHQL_VALIDATION = "GRAPHQL_VALIDATION"
    GRAPHQL_EXECUTION = "GRAPHQL_EXECUTION"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


STATUS: Final[Mapping[Code, int]] = {
    Code.INVALID_CREDENTIALS: 401,
    Code.INVALID_OTP: 401,
    Code.TOKEN_EXPIRED: 401,
    Code.USER_SUSPENDED: 401,
    Code.INVALID_TOKEN: 403,
    Code.FORBIDDEN: 403,
    Code.INVALID_PROVIDER: 403,
    Code.TFA_SETUP_REQUIRED: 403,
    Code.INVALID_PAYLOAD: 400,
    Code.INVALID_QUERY: 400,
    Code.INVALID_INVITE: 400,
    Code.FAILED_VALIDATION: 400,
    Code.RECORD_NOT_UNIQUE: 400,
    Code.VALUE_TOO_LONG: 400,
    Code.INVALID_FOREIGN_KEY: 400,
    Code.NOT_NULL_VIOLATION: 400,
    Code.ROUTE_NOT_FOUND: 404,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.UNPROCESSABLE_CONTENT: 422,
    Code.REQUESTS_EXCEEDED: 429,
    Code.INVALID_PROVIDER_CONFIG: 503,
    Code.SERVICE_UNAVAILABLE: 503,
    Code.GRAPHQL_VALIDATION: 400,
    Code.GRAPHQL_EXECUTION: 400,
    Code.INTERNAL_SERVER_ERROR: 500,
}

# Messages that do not depend on the error's data. The others are built by the helpers below.
MESSAGES: Final[Mapping[Code, str]] = {
    Code.INVALID_CREDENTIALS: "Invalid user credentials.",
    Code.INVALID_OTP: "Invalid user OTP.",
    Code.TOKEN_EXPIRED: "Token expired.",
    Code.USER_SUSPENDED: "User suspended.",
    Code.INVALID_TOKEN: "Invalid token.",
    Code.FORBIDDEN: "You don't have permission to access this.",
    Code.INVALID_PROVIDER: "Invalid provider.",
    Code.TFA_SETUP_REQUIRED: "Two-factor authentication must be set up first.",
    Code.INVALID_INVITE: "This invite is no longer valid.",
    Code.INVALID_PROVIDER_CONFIG: "Invalid config.",
    Code.GRAPHQL_VALIDATION: "GraphQL validation error.",
    Code.GRAPHQL_EXECUTION: "GraphQL execution error.",
    Code.INTERNAL_SERVER_ERROR: "An unexpected error occurred.",
}


class AuthError(Exception):
    """An error with a Directus code; the HTTP edge renders it. Raise it; the one subclass is
    ErrorGroup below, several of them answered together."""

    def __init__(
        self,
        code: Code,
        message: str | None = None,
        *,
        extensions: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES.get(code, code.value)
        self.extensions: Mapping[str, object] = extensions or {}
        self.headers: Mapping[str, str] = headers or {}
        super().__init__(f"{code.value}: {self.message}")

    @property
    def status(self) -> int:
        return STATUS[self.code]


class ErrorGroup(AuthError):
    """Several errors answered together (validation of many fields). The status is theirs
    when they share one, else 500, as in Directus."""

    def __init__(self, errors: list[AuthError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.code, first.message, extensions=first.extensions)

    @property
    def status(self) -> int:
        statuses = {error.status for error in self.errors}
        return statuses.pop() if len(statuses) == 1 else 500


def _sentence(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


def invalid_payload(reason: str) -> AuthError:
    """``Invalid payload. <reason>.`` with ``reason`` in the extensions."""
    return AuthError(
        Code.INVALID_PAYLOAD, _sentence(f"Invalid payload. {reason}"), extensions={"reason": reason}
    )


def invalid_query(reason: str) -> AuthError:
    return AuthError(
        Code.INVALID_QUERY, _sentence(f"Invalid query. {reason}"), extensions={"reason": reason}
    )


def forbidden(reason: str | None = None) -> AuthError:
    if reason is None:
        return AuthError(Code.FORBIDDEN)
    return AuthError(Code.FORBIDDEN, reason, extensions={"reason": reason})


def route_not_found(path: str) -> AuthError:
    return AuthError(
        Code.ROUTE_NOT_FOUND, f"Route {path} doesn't exist.", extensions={"path": path}
    )


def service_unavailable(service: str, reason: str, *, retry_after: int | None = None) -> AuthError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return AuthError(
        Code.SERVICE_UNAVAILABLE,
        _sentence(f'Service "{service}" is unavailable. {reason}'),
        extensions={"service": service, "reason": reason},
        headers=headers,
    )


def record_not_unique(collection: str, field: str, value: object) -> AuthError:
    return AuthError(
        Code.RECORD_NOT_UNIQUE,
        f'Value "{value}" for field "{field}" in collection "{collection}" has to be unique.',
        extensions={"collection": collection, "field": field, "value": value},
    )


def value_too_long(collection: str, field: str) -> AuthError:
    return AuthError(
        Code.VALUE_TOO_LONG,
        f'Value for field "{field}" in collection "{collection}" is too long.',
        extensions={"collection": collection, "field": field},
    )


def invalid_foreign_key(collection: str, field: str) -> AuthError:
    return AuthError(
        Code.INVALID_FOREIGN_KEY,
        f'Invalid foreign key for field "{field}" in collection "{collection}".',
        extensions={"collection": collection, "field": field},
    )


def not_null_violation(collection: str, field: str) -> AuthError:
    return AuthError(
        Code.NOT_NULL_VIOLATION,
        f'Value for field "{field}" in collection "{collection}" can\'t be null.',
        extensions={"collection": collection, "field": field},
    )


def failed_validation(field: str, rule: str, message: str, **extra: object) -> AuthError:
    return AuthError(
        Code.FAILED_VALIDATION,
        f'Validation failed for field "{field}". {message}',
        extensions={"field": field, "type": rule, "path": [], **extra},
    )


def unprocessable(reason: str) -> AuthError:
    return AuthError(Code.UNPROCESSABLE_CONTENT, f"Can't process content. {reason}")
