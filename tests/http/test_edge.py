"""The HTTP edge as Directus 12.4.0 has it (each answer checked against the reference): how a
JSON body is decoded (Content-Encoding, charset, byte-order mark, media type, every method),
how paths are matched (any case; as sent, before percent-decoding), and GraphQL's transport
errors. The user is an API-only user with a custom policy (no app access)."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, Harness, unique_email

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def api_user(harness: Harness) -> dict[str, str]:
    """A user whose policy reads and updates itself on directus_users and nothing else."""
    role = harness.create_role(f"edge-api-{unique_email()}")
    harness.grant(role, "directus_users", "read", fields="*")
    harness.grant(
        role,
        "directus_users",
        "update",
        fields="first_name,last_name",
        rule={"id": {"_eq": "$CURRENT_USER"}},
    )
    email = unique_email("edge")
    harness.create_user(email, role=role, first_name="Before")
    return {"email": email}


def _token(harness: Harness, email: str) -> str:
    token: str = harness.tokens(email)["access_token"]
    harness.client.cookies.clear()
    return token


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}, body
    error: dict[str, Any] = body["errors"][0]
    return error


def _reason(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = _error(response)
    assert error["extensions"]["code"] == "INVALID_PAYLOAD"
    reason: str = error["extensions"]["reason"]
    assert error["message"] == f"Invalid payload. {reason}."
    return reason


def _login_body(email: str) -> bytes:
    return json.dumps({"email": email, "password": PASSWORD}).encode()


# --------------------------------------------------------------------------------------------
# Content-Encoding


@pytest.mark.parametrize(
    ("coding", "pack"),
    [("gzip", gzip.compress), ("GZIP", gzip.compress), ("deflate", zlib.compress)],
)
def test_a_compressed_login_body_is_inflated(
    harness: Harness, api_user: dict[str, str], coding: str, pack: Any
) -> None:
    response = harness.client.post(
        "/auth/login",
        content=pack(_login_body(api_user["email"])),
        headers={**JSON, "Content-Encoding": coding},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["access_token"]


@pytest.mark.parametrize("transport", ["header", "cookie", "query"])
def test_a_gzipped_update_of_oneself_is_applied_in_every_transport(
    harness: Harness, api_user: dict[str, str], transport: str
) -> None:
    token = _token(harness, api_user["email"])
    headers = {**JSON, "Content-Encoding": "gzip"}
    params = {"fields": "id,first_name"}
    if transport == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif transport == "query":
        params["access_token"] = token
    else:
        headers["Cookie"] = f"directus_session_token={token}"
    name = f"Gzipped-{transport}"

    response = harness.client.patch(
        "/users/me",
        content=gzip.compress(json.dumps({"first_name": name}).encode()),
        headers=headers,
        params=params,
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["first_name"] == name


def test_gzip_members_in_sequence_are_one_body(harness: Harness, api_user: dict[str, str]) -> None:
    raw = _login_body(api_user["email"])
    parts = gzip.compress(raw[:10]) + gzip.compress(raw[10:])

    response = harness.client.post(
        "/auth/login", content=parts, headers={**JSON, "Content-Encoding": "gzip"}
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("coding", "content", "reason"),
    [
        ("xyz", b"{}", 'unsupported content encoding "xyz"'),
        ("br", b"{}", 'unsupported content encoding "br"'),
        ("gzip, gzip", b"{}", 'unsupported content encoding "gzip, gzip"'),
        ("xyz", b"", 'unsupported content encoding "xyz"'),
        ("gzip", b"not gzip at all", "incorrect header check"),
        ("deflate", zlib.compress(b"{}")[2:-4], "incorrect header check"),  # raw deflate
        ("gzip", gzip.compress(b'{"a": 1}')[:-6], "unexpected end of file"),
        ("gzip", b"", "unexpected end of file"),
        ("gzip", gzip.compress(b"{}") + b"trailing", "incorrect header check"),
    ],
)
def test_bodies_that_cannot_be_decoded_are_invalid_payloads(
    harness: Harness, coding: str, content: bytes, reason: str
) -> None:
    response = harness.client.post(
        "/auth/login", content=content, headers={**JSON, "Content-Encoding": coding}
    )

    assert _reason(response) == reason


def test_an_unknown_encoding_of_a_body_that_is_not_json_is_ignored(harness: Harness) -> None:
    response = harness.client.post(
        "/auth/login", content=b"x", headers={"Content-Type": "text/plain", "Content-Encoding": "x"}
    )

    assert _reason(response) == '"email" is required'


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_body_that_inflates_past_the_limit_is_too_large(harness: Harness, coding: str) -> None:
    """A 20 MB body compressed to about 20 KB: refused once 1 MB (MAX_PAYLOAD_SIZE) is out."""
    inflated = b'{"email":"' + b"a" * (20 << 20) + b'"}'
    packed = gzip.compress(inflated) if coding == "gzip" else zlib.compress(inflated)
    assert len(packed) < 64 << 10

    response = harness.client.post(
        "/auth/login", content=packed, headers={**JSON, "Content-Encoding": coding}
    )

    assert _reason(response) == "request entity too large"


def test_a_body_that_inflates_to_the_limit_is_read(harness: Harness) -> None:
    prefix = b'{"email":"a@example.com","password":"'
    body = prefix + b"x" * ((1 << 20) - len(prefix) - 2) + b'"}'
    assert len(body) == 1 << 20

    response = harness.client.post(
        "/auth/login", content=gzip.compress(body), headers={**JSON, "Content-Encoding": "gzip"}
    )

    assert response.status_code == 401, response.text


# --------------------------------------------------------------------------------------------
# Charset, byte-order mark, invalid bytes, numbers


@pytest.mark.parametrize(
    ("charset", "codec"),
    [
        ("utf-8", "utf-8"),
        ("UTF-8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("utf-16", "utf-16"),  # with its byte-order mark
        ("utf-16le", "utf-16-le"),
        ("utf-16be", "utf-16-be"),
    ],
)
def test_utf_charsets_are_decoded(
    harness: Harness, api_user: dict[str, str], charset: str, codec: str
) -> None:
    text = _login_body(api_user["email"]).decode()

    response = harness.client.post(
        "/auth/login",
        content=text.encode(codec),
        headers={"Content-Type": f"application/json; charset={charset}"},
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("charset", ["latin1", "iso-8859-1", "us-ascii", "utf8", "utf-32", "x"])
def test_other_charsets_are_unsupported(harness: Harness, charset: str) -> None:
    response = harness.client.post(
        "/auth/login",
        content=b"{}",
        headers={"Content-Type": f"application/json; charset={charset}"},
    )

    assert _reason(response) == f'unsupported charset "{charset.upper()}"'


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_utf8_byte_order_mark_before_json_is_dropped(
    harness: Harness, api_user: dict[str, str], coding: str
) -> None:
    body = b"\xef\xbb\xbf" + _login_body(api_user["email"])
    if coding == "gzip":
        body = gzip.compress(body)

    response = harness.client.post(
        "/auth/login", content=body, headers={**JSON, "Content-Encoding": coding}
    )

    assert response.status_code == 200, response.text


def test_a_byte_order_mark_alone_is_an_empty_body(harness: Harness) -> None:
    response = harness.client.post("/auth/login", content=b"\xef\xbb\xbf", headers=JSON)

    assert _reason(response) == '"email" is required'


def test_a_body_of_blanks_is_not_json(harness: Harness) -> None:
    response = harness.client.post("/auth/login", content=b" \n ", headers=JSON)

    assert _reason(response) == "Unexpected end of JSON input"


@pytest.mark.parametrize(
    ("content", "headers", "reason"),
    [
        (b'{"email":"a\xff@example.com","password":"x"}', JSON, "Body is not valid UTF-8"),
        (
            '{"password":"'.encode("utf-16-le") + b"\x00\xd8" + '"}'.encode("utf-16-le"),
            {"Content-Type": "application/json; charset=utf-16le"},
            "Body is not valid UTF-16-LE",
        ),
    ],
)
def test_bytes_invalid_in_their_charset_are_refused(
    harness: Harness, content: bytes, headers: dict[str, str], reason: str
) -> None:
    """A deliberate difference: Directus turns them into U+FFFD, so two different invalid
    passwords would be the same password."""
    response = harness.client.post("/auth/login", content=content, headers=headers)

    assert _reason(response) == reason


def test_numbers_json_cannot_hold_are_refused_and_huge_integers_are_numbers(
    harness: Harness,
) -> None:
    infinite = harness.client.post(
        "/auth/login", content=b'{"email":"a@example.com","password":"x","otp":1e999}', headers=JSON
    )
    not_a_number = harness.client.post("/auth/login", content=b'{"otp":NaN}', headers=JSON)
    # 2**64 - 1 is read as a double (as JavaScript does), which the validator refuses, rather
    # than as an integer no 64-bit column holds (a 500 before)
    huge = harness.client.patch(
        "/settings", content=b'{"auth_login_attempts":18446744073709551615}', headers={
            **JSON, **harness.admin
        },
    )  # fmt: skip

    assert _reason(infinite).startswith("number is infinity")
    assert _reason(not_a_number).startswith("unexpected character")
    assert _reason(huge) == '"auth_login_attempts" must be a number'


# --------------------------------------------------------------------------------------------
# Media types and methods


@pytest.mark.parametrize(
    "media",
    ["application/merge-patch+json", "application/vnd.api+json", "text/json", "text/plain"],
)
def test_only_application_json_is_read_as_json(
    harness: Harness, api_user: dict[str, str], media: str
) -> None:
    response = harness.client.post(
        "/auth/login", content=_login_body(api_user["email"]), headers={"Content-Type": media}
    )

    assert _reason(response) == '"email" is required'


def test_a_merge_patch_body_changes_nothing(harness: Harness, api_user: dict[str, str]) -> None:
    token = _token(harness, api_user["email"])
    auth = {"Authorization": f"Bearer {token}"}
    harness.client.patch("/users/me", json={"first_name": "Kept"}, headers=auth)

    response = harness.client.patch(
        "/users/me",
        content=b'{"first_name":"Merged"}',
        headers={**auth, "Content-Type": "application/merge-patch+json"},
        params={"fields": "first_name"},
    )
    after = harness.client.get("/users/me", params={"fields": "first_name"}, headers=auth)

    assert response.status_code == 200, response.text
    assert after.json()["data"]["first_name"] == "Kept"


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "HEAD", "DELETE"])
def test_a_malformed_json_body_is_refused_on_every_method(
    harness: Harness, api_user: dict[str, str], method: str
) -> None:
    token = _token(harness, api_user["email"])

    response = harness.client.request(
        method,
        "/users/me",
        content=b"{bad",
        headers={**JSON, "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    if method != "HEAD":
        assert _reason(response).startswith("unexpected character")


def test_a_get_with_an_encoding_it_cannot_read_is_refused(harness: Harness) -> None:
    response = harness.client.request(
        "GET", "/server/ping", content=b"{}", headers={**JSON, "Content-Encoding": "xyz"}
    )

    assert _reason(response) == 'unsupported content encoding "xyz"'


def test_options_with_a_json_body_lists_the_methods_as_html(harness: Harness) -> None:
    response = harness.client.request(
        "OPTIONS", "/auth/login", content=_login_body("a@example.com"), headers=JSON
    )

    assert response.status_code == 200
    assert response.text == "POST"
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_a_get_without_a_body_is_served_whatever_its_content_type(
    harness: Harness, api_user: dict[str, str]
) -> None:
    token = _token(harness, api_user["email"])

    response = harness.client.get(
        "/users/me",
        params={"fields": "id"},
        headers={**JSON, "Content-Encoding": "xyz", "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------------------------
# Paths


def test_paths_match_whatever_their_case(harness: Harness, api_user: dict[str, str]) -> None:
    token = _token(harness, api_user["email"])
    auth = {"Authorization": f"Bearer {token}"}

    login = harness.client.post("/AUTH/LOGIN", json={})
    me = harness.client.get("/Users/ME", params={"fields": "id,first_name"}, headers=auth)
    ping = harness.client.get("/SERVER/PING")

    assert _reason(login) == '"email" is required'
    assert me.status_code == 200, me.text
    assert set(me.json()["data"]) == {"id", "first_name"}
    assert ping.text == "pong"


@pytest.mark.parametrize("path", ["/%75sers/me", "/users%2Fme", "/server/%70ing", "/%41uth/login"])
def test_a_percent_encoded_route_name_is_no_route(
    harness: Harness, api_user: dict[str, str], path: str
) -> None:
    token = _token(harness, api_user["email"])

    response = harness.client.get(path, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "message": f"Route {path} doesn't exist.",
                "extensions": {"path": path, "code": "ROUTE_NOT_FOUND"},
            }
        ]
    }


def test_a_percent_encoded_parameter_is_decoded(harness: Harness, numbers: str) -> None:
    missing = harness.client.get("/items/no%20such%20collection", headers=harness.admin)
    encoded = numbers.replace("_", "%5F")
    found = harness.client.get(f"/items/{encoded}", headers=harness.admin)

    assert missing.status_code == 403, missing.text  # the collection "no such collection"
    assert found.status_code == 200, found.text
    assert found.json() == {"data": []}


def test_an_encoded_path_takes_the_route_it_matches_as_sent(
    harness: Harness, api_user: dict[str, str]
) -> None:
    """``/users/%6de`` is ``/users/:id`` with the id "me" (no such user), not ``/users/me``."""
    token = _token(harness, api_user["email"])

    response = harness.client.get("/users/%6de", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403, response.text
    assert _error(response)["extensions"]["code"] == "FORBIDDEN"


# --------------------------------------------------------------------------------------------
# GraphQL transport


@pytest.mark.parametrize("query", [5, {"a": 1}, ["{ users_me { id } }"], True, []])
def test_a_graphql_query_that_is_not_a_string_is_a_validation_error(
    harness: Harness, api_user: dict[str, str], query: Any
) -> None:
    token = _token(harness, api_user["email"])

    response = harness.client.post(
        "/graphql/system", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "GraphQL validation error.",
                "extensions": {"errors": [{}], "code": "GRAPHQL_VALIDATION"},
            }
        ]
    }


@pytest.mark.parametrize("body", [{"query": False}, {"query": 0}, {"query": ""}, [], [{"q": 1}]])
def test_a_missing_graphql_query_or_a_batch_is_an_invalid_payload(
    harness: Harness, body: Any
) -> None:
    response = harness.client.post("/graphql/system", json=body)

    assert _reason(response) == "Must provide query string"


def test_a_blank_graphql_query_is_a_syntax_error(harness: Harness) -> None:
    response = harness.client.post("/graphql/system", json={"query": "   "})

    assert response.status_code == 400
    errors = response.json()["errors"][0]["extensions"]["errors"]
    assert errors[0]["message"] == "Syntax Error: Unexpected <EOF>."


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "SEARCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/graphql", "/graphql/system"])
def test_graphql_over_other_methods_is_directus_s_405(
    harness: Harness, api_user: dict[str, str], method: str, path: str
) -> None:
    token = _token(harness, api_user["email"])

    response = harness.client.request(
        method,
        path,
        json={"query": "{ users_me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {
        "errors": [
            {
                "message": f'Invalid method "{method}" used. Should be one of "GET", "POST".',
                "extensions": {
                    "allowed": ["GET", "POST"],
                    "current": method,
                    "code": "METHOD_NOT_ALLOWED",
                },
            }
        ]
    }


# --------------------------------------------------------------------------------------------
# Integers past 64 bits, in a body and in a path (each was a 500)


@pytest.fixture(scope="module")
def numbers(harness: Harness) -> str:
    name = "edge_numbers"
    response = harness.client.post(
        "/collections",
        json={
            "collection": name,
            "schema": {},
            "fields": [
                {
                    "field": "id",
                    "type": "integer",
                    "schema": {"is_primary_key": True, "has_auto_increment": True},
                },
                {"field": "n", "type": "integer"},
                {"field": "b", "type": "bigInteger"},
            ],
        },
        headers=harness.admin,
    )
    assert response.status_code == 200, response.text
    return name


@pytest.mark.parametrize("field", ["n", "b"])
def test_an_integer_past_64_bits_in_a_body_is_refused_by_its_field(
    harness: Harness, numbers: str, field: str
) -> None:
    response = harness.client.post(
        f"/items/{numbers}",
        content=b'{"%s": 18446744073709551615}' % field.encode(),
        headers={**JSON, **harness.admin},
    )

    assert _reason(response) == f'"{field}" must be a number'


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("key", ["18446744073709551615", "99999999999999999999"])
def test_an_integer_key_past_64_bits_is_no_item(
    harness: Harness, numbers: str, method: str, key: str
) -> None:
    response = harness.client.request(
        method, f"/items/{numbers}/{key}", json={"n": 1}, headers=harness.admin
    )

    assert response.status_code == 403, response.text
    assert _error(response)["extensions"]["code"] == "FORBIDDEN"
