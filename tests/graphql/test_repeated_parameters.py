"""GraphQL parameters as Directus reads them: over GET with ``qs`` (a repeated or bracketed
parameter is an array or object), over POST with JavaScript's truthiness; an operation a GET
cannot choose is 405 like a mutation; and the token transports of REST."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest

from tests.conftest import Harness, unique_email
from tests.graphql.conftest import SYSTEM

ME = quote("{ users_me { email } }")
EMPTY_ERROR = {
    "message": "GraphQL validation error.",
    "extensions": {"errors": [{}], "code": "GRAPHQL_VALIDATION"},
}
NOT_JSON = "Invalid query. Variables are invalid JSON."


@pytest.fixture(scope="module")
def reader(harness: Harness) -> dict[str, str]:
    role = harness.create_role("GraphQL parameter readers")
    harness.grant(role, "directus_users", "read")
    email = harness.create_user(unique_email("gqlparams"), role=role)["email"]
    return {"email": email, "token": harness.tokens(email)["access_token"]}


def _get(harness: Harness, reader: dict[str, str], query: str) -> httpx.Response:
    harness.client.cookies.clear()
    headers = {"Authorization": f"Bearer {reader['token']}"}
    return harness.client.get(f"{SYSTEM}?{query}", headers=headers)


@pytest.mark.parametrize("query", [f"query={ME}&query={ME}", f"query[]={ME}", "query=&query="])
def test_a_repeated_query_does_not_parse(
    harness: Harness, reader: dict[str, str], query: str
) -> None:
    response = _get(harness, reader, query)

    assert response.status_code == 400
    assert response.json()["errors"][0] == EMPTY_ERROR


@pytest.mark.parametrize("value", [5, True, ["{ server_ping }"], {"a": 1}])
def test_a_query_of_another_type_does_not_parse(harness: Harness, value: Any) -> None:
    response = harness.client.post(SYSTEM, json={"query": value})

    assert response.status_code == 400
    assert response.json()["errors"][0] == EMPTY_ERROR


@pytest.mark.parametrize("value", [0, False, None, ""])
def test_a_falsy_query_is_missing(harness: Harness, value: Any) -> None:
    response = harness.client.post(SYSTEM, json={"query": value})

    assert response.json()["errors"][0]["message"] == "Invalid payload. Must provide query string."


def test_a_blank_query_is_a_syntax_error(harness: Harness) -> None:
    response = harness.client.post(SYSTEM, json={"query": "   "})

    errors = response.json()["errors"][0]["extensions"]["errors"]
    assert errors == [
        {"message": "Syntax Error: Unexpected <EOF>.", "locations": [{"line": 1, "column": 4}]}
    ]


@pytest.mark.parametrize(
    "variables", ["variables={}&variables={}", "variables[a]=1", "variables[]=1&variables[]=2"]
)
def test_repeated_variables_are_not_json(
    harness: Harness, reader: dict[str, str], variables: str
) -> None:
    response = _get(harness, reader, f"query={ME}&{variables.replace('{}', '%7B%7D')}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == NOT_JSON


def test_one_bracketed_variables_text_is_read_as_javascript_prints_it(
    harness: Harness, reader: dict[str, str]
) -> None:
    response = _get(harness, reader, f"query={ME}&variables[]=%7B%7D")

    assert response.json() == {"data": {"users_me": {"email": reader["email"]}}}


@pytest.mark.parametrize(
    "name",
    [
        "operationName=zzz",
        "operationName[]=A",
        "operationName=A&operationName=A",
        "operationName=&operationName=",
    ],
)
def test_a_get_whose_operation_cannot_be_chosen_is_405(
    harness: Harness, reader: dict[str, str], name: str
) -> None:
    document = quote("query A { users_me { email } }")

    response = _get(harness, reader, f"query={document}&{name}")

    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"] == {
        "allowed": ["POST"],
        "current": "GET",
        "code": "METHOD_NOT_ALLOWED",
    }


def test_a_get_with_two_operations_and_no_name_is_405(
    harness: Harness, reader: dict[str, str]
) -> None:
    document = quote("query A { users_me { email } } query B { server_ping }")

    unnamed = _get(harness, reader, f"query={document}")
    named = _get(harness, reader, f"query={document}&operationName=A")

    assert unnamed.status_code == 405
    assert named.json() == {"data": {"users_me": {"email": reader["email"]}}}


@pytest.mark.parametrize("transport", ["header", "query", "cookie"])
def test_a_repeated_access_token_never_authenticates_graphql(
    harness: Harness, reader: dict[str, str], transport: str
) -> None:
    token = reader["token"]
    headers = {}
    if transport == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif transport == "cookie":
        headers["Cookie"] = f"directus_session_token={token}"
    harness.client.cookies.clear()

    response = harness.client.get(
        f"{SYSTEM}?query={ME}&access_token={token}&access_token={token}", headers=headers
    )

    expected = (400, "INVALID_PAYLOAD") if transport == "header" else (401, "INVALID_CREDENTIALS")
    assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == expected
