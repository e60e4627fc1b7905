"""Bad input of every kind: the Directus error envelope, never a 500 or a trace."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Harness


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(
    "raw",
    [b"{bad", b"null", b'"str"', b"123", b'{"a": NaN}', b"[" * 5000, b'{"email": "\xff\xfe"}'],
)
def test_malformed_json_is_an_invalid_payload(harness: Harness, raw: bytes) -> None:
    response = harness.client.post(
        "/auth/login", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"]["code"] == "INVALID_PAYLOAD"
    assert error["message"].startswith("Invalid payload. ")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"null", "Unexpected token 'n', \"null\" is not valid JSON"),
        (b'"x"', 'Unexpected token \'"\', ""x"" is not valid JSON'),
        (b"1e999", "Unexpected token '1', \"1e999\" is not valid JSON"),
        (
            b"abcdefghijklmnopqrst",
            "Unexpected token 'a', \"abcdefghijklmnopqrst\" is not valid JSON",
        ),
        (b"abcdefghijklmnopqrstu", "Unexpected token 'a', \"abcdefghij\"... is not valid JSON"),
        (
            b" " * 10 + b"abcdefghijk",
            "Unexpected token 'a', ...\"          abcdefghij\"... is not valid JSON",
        ),
        (b" " * 15 + b"abcdef", "Unexpected token 'a', ...\"          abcdef\" is not valid JSON"),
        (
            "\u00e9\U0001d11e" + "x" * 20,
            "Unexpected token '\u00e9', \"\u00e9\U0001d11exxxxxxx\"... is not valid JSON",
        ),
    ],
)
def test_a_body_that_is_not_an_object_or_array_gets_v8_words(
    harness: Harness, raw: bytes | str, reason: str
) -> None:
    # body-parser's strict mode, answered as Directus 12.4.0 answers these very bodies (the
    # context is counted in UTF-16 units: the clef is two).
    content = raw.encode() if isinstance(raw, str) else raw
    response = harness.client.post(
        "/auth/login", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert _error(response) == {
        "message": f"Invalid payload. {reason}.",
        "extensions": {"reason": reason, "code": "INVALID_PAYLOAD"},
    }


def test_bodies_over_the_limit_are_refused(harness: Harness) -> None:
    big = b'{"email":"a@example.com","password":"' + b"x" * (1 << 20) + b'"}'

    response = harness.client.post(
        "/auth/login", content=big, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert _error(response)["extensions"] == {
        "reason": "request entity too large",
        "code": "INVALID_PAYLOAD",
    }


def test_a_body_of_exactly_the_limit_is_read(harness: Harness) -> None:
    prefix = b'{"email":"a@example.com","password":"'
    body = prefix + b"x" * ((1 << 20) - len(prefix) - 2) + b'"}'
    assert len(body) == 1 << 20

    response = harness.client.post(
        "/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401


def test_non_json_content_types_are_an_empty_body(harness: Harness) -> None:
    response = harness.client.post(
        "/auth/login",
        content=f"email={ADMIN_EMAIL}&password={ADMIN_PASSWORD}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert _error(response)["extensions"]["reason"] == '"email" is required'


def test_unknown_routes_and_methods_are_route_not_found(harness: Harness) -> None:
    for method, path in (
        ("GET", "/nope"),
        ("GET", "/auth/login"),
        ("DELETE", "/auth/login"),
        ("PUT", "/users/me"),
    ):
        response = harness.client.request(method, path)

        assert response.status_code == 404
        assert response.json() == {
            "errors": [
                {
                    "message": f"Route {path} doesn't exist.",
                    "extensions": {"path": path, "code": "ROUTE_NOT_FOUND"},
                }
            ]
        }


def test_options_lists_the_allowed_methods(harness: Harness) -> None:
    response = harness.client.options("/auth/login")

    assert response.status_code == 200
    assert response.headers["allow"] == "POST"


def test_a_trailing_slash_reaches_the_route(harness: Harness) -> None:
    response = harness.client.post(
        "/auth/login/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/users", {"email": 5}),
        ("/users", {"first_name": ["x"]}),
        ("/users", {"first_name": "x" * 51}),
        ("/users", {"status": "bogus"}),
        ("/users", {"role": "not-a-uuid"}),
        ("/users", {"role": "11111111-1111-4111-8111-111111111111"}),
        ("/users", {"email_notifications": "yes"}),
        ("/users", {"text_direction": None}),
        ("/users", "a string"),
        ("/settings", {"auth_login_attempts": "abc"}),
        ("/settings", {"auth_password_policy": "/(unclosed/"}),
        ("/settings", {"public_registration": "true"}),
    ],
)
def test_wrong_types_are_clear_400s(harness: Harness, path: str, payload: object) -> None:
    method = harness.client.post if path == "/users" else harness.client.patch

    response = method(path, json=payload, headers=harness.admin)

    assert response.status_code == 400, response.text
    assert _error(response)["extensions"]["code"] in {
        "INVALID_PAYLOAD",
        "FAILED_VALIDATION",
        "VALUE_TOO_LONG",
        "NOT_NULL_VIOLATION",
        "INVALID_FOREIGN_KEY",
    }


def test_errors_never_carry_a_stack_trace_or_internal_message(harness: Harness) -> None:
    response = harness.client.get(
        "/users", params={"filter": '{"email": {"_eq": {"nested": 1}}}'}, headers=harness.admin
    )

    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert "sqlalchemy" not in response.text.lower()


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "x"},
        {"limit": "-2"},
        {"offset": "-1"},
        {"page": "a"},
        {"meta": "bogus"},
        {"filter": "{not json"},
        {"filter": '{"password": {"_eq": "x"}}'},
        {"filter": '{"status": {"_gt": "a"}}'},
        {"filter": '{"id": {"_contains": "a"}}'},
        {"filter": '{"_and": {"a": 1}}'},
        {"filter": '{"status": {"_bogus": 1}}'},
        {"sort": "nonexistent"},
    ],
)
def test_bad_queries_are_invalid_query_or_forbidden(
    harness: Harness, params: dict[str, str]
) -> None:
    response = harness.client.get("/users", params=params, headers=harness.admin)

    assert response.status_code in (400, 403), response.text
    assert _error(response)["extensions"]["code"] in {"INVALID_QUERY", "FORBIDDEN"}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"filter": "{bad"}, "Invalid JSON for filter object"),
        ({"alias": "{bad"}, '"alias" has to be an object'),
    ],
)
def test_query_json_that_does_not_parse_gets_directus_words(
    harness: Harness, params: dict[str, str], reason: str
) -> None:
    response = harness.client.get("/users", params=params, headers=harness.admin)

    assert response.status_code == 400
    assert _error(response) == {
        "message": f"Invalid query. {reason}.",
        "extensions": {"reason": reason, "code": "INVALID_QUERY"},
    }


@pytest.mark.parametrize(
    ("path", "payload", "as_admin"),
    [
        ("/auth/password/request", {"email": "a\u0000@example.com"}, False),
        ("/auth/login", {"email": "admin@example.com", "password": "x\u0000"}, False),
        ("/users/me", {"first_name": "a\u0000b"}, True),
        ("/users/me", {"tags": [{"deep": ["ok", "still\u0000bad"]}]}, True),
        ("/users/me", {"key\u0000": 1}, True),
    ],
)
def test_a_nul_character_in_a_json_body_is_an_invalid_payload(
    harness: Harness, path: str, payload: object, as_admin: bool
) -> None:
    method = harness.client.patch if path == "/users/me" else harness.client.post

    response = method(path, json=payload, headers=harness.admin if as_admin else {})

    assert response.status_code == 400, response.text
    assert _error(response)["extensions"] == {
        "reason": "Null characters are not allowed",
        "code": "INVALID_PAYLOAD",
    }


def test_an_escaped_backslash_before_u0000_is_just_text(harness: Harness) -> None:
    response = harness.client.patch(
        "/users/me",
        json={"description": "a literal \\u0000 in text"},
        params={"fields": "description"},
        headers=harness.admin,
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"description": "a literal \\u0000 in text"}


@pytest.mark.parametrize(
    "url",
    [
        "/users?filter[email][_eq]=a%00b",
        "/users?search=%00",
        "/users/me?fields=email%00",
        "/items/a%00b",
        "/auth/password/request?x=%00",
    ],
)
def test_a_nul_character_in_the_path_or_query_is_an_invalid_query(
    harness: Harness, url: str
) -> None:
    response = harness.client.get(url, headers=harness.admin)

    assert response.status_code == 400, response.text
    assert _error(response)["extensions"]["code"] == "INVALID_QUERY"


def test_a_statement_past_the_database_limits_is_a_400_not_an_outage(harness: Harness) -> None:
    # More keys than either database takes parameters in one statement (SQLite at most
    # 250000, PostgreSQL's protocol 65535), in well under MAX_PAYLOAD_SIZE: the request is too
    # large, the database is fine.
    keys = [1] * (300_000 if harness.backend == "sqlite" else 70_000)

    response = harness.client.request("DELETE", "/permissions", json=keys, headers=harness.admin)

    assert response.status_code == 400, response.text
    assert "retry-after" not in response.headers
    error = _error(response)
    assert error["extensions"]["code"] == "INVALID_QUERY"
    assert "Traceback" not in response.text
    assert "sqlalchemy" not in response.text.lower()
    assert harness.client.get("/server/ping").status_code == 200
