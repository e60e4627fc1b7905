"""The GraphQL transport: GET and POST, what is refused before anything runs (with which status
and error), the limits on hostile documents, and tokens as for REST."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_TOKEN, Harness
from tests.graphql.conftest import ITEMS, SYSTEM, code, data, gql

ENV = {
    "GRAPHQL_QUERY_TOKEN_LIMIT": "200",
    "GRAPHQL_MAX_QUERY_LENGTH": "3000",
    "GRAPHQL_MAX_DEPTH": "4",
    "GRAPHQL_MAX_COMPLEXITY": "40",
    "GRAPHQL_MAX_ALIASES": "3",
    "GRAPHQL_MAX_ROOT_FIELDS": "4",
}


def _validation_messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()["errors"][0]
    assert body["message"] == "GraphQL validation error."
    assert body["extensions"]["code"] == "GRAPHQL_VALIDATION"
    return [e["message"] for e in body["extensions"]["errors"]]


def test_a_query_over_get(harness: Harness) -> None:
    response = harness.client.get(SYSTEM, params={"query": "{ server_ping }"})

    assert response.json() == {"data": {"server_ping": "pong"}}
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_get_takes_variables_and_the_operation_name(harness: Harness) -> None:
    response = harness.client.get(
        SYSTEM,
        params={
            "query": "query A { server_ping } query B($x: Boolean!) { p: server_ping @include(if: $x) }",
            "variables": '{"x": true}',
            "operationName": "B",
        },
    )

    assert response.json() == {"data": {"p": "pong"}}


def test_a_mutation_over_get_is_refused_with_405(harness: Harness) -> None:
    response = harness.client.get(
        SYSTEM, params={"query": 'mutation { auth_logout(refresh_token: "x") }'}
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [
            {
                "message": 'Invalid method "GET" used. Should be one of "POST".',
                "extensions": {"allowed": ["POST"], "current": "GET", "code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }


def test_other_methods_are_refused(harness: Harness) -> None:
    response = harness.client.put(SYSTEM, json={"query": "{ server_ping }"})

    assert response.status_code == 405
    assert code(response) == "METHOD_NOT_ALLOWED"


def test_no_query_is_an_invalid_payload(harness: Harness) -> None:
    for response in (harness.client.post(SYSTEM, json={}), harness.client.get(ITEMS)):
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "message": "Invalid payload. Must provide query string.",
            "extensions": {"reason": "Must provide query string", "code": "INVALID_PAYLOAD"},
        }


def test_a_batch_array_is_refused(harness: Harness) -> None:
    response = harness.client.post(SYSTEM, json=[{"query": "{ server_ping }"}])

    assert response.status_code == 400
    assert code(response) == "INVALID_PAYLOAD"


def test_bad_variables(harness: Harness) -> None:
    not_json = harness.client.get(SYSTEM, params={"query": "{ server_ping }", "variables": "{"})
    wrong_type = gql(harness, "query Q($x: Boolean!) { server_ping @include(if: $x) }", {"x": "y"})

    assert (not_json.status_code, code(not_json)) == (400, "INVALID_QUERY")
    assert _validation_messages(wrong_type) == [
        'Variable "$x" has invalid value: Boolean cannot represent a non boolean value: "y"'
    ]


NOT_AN_OBJECT = (
    "Variables must be provided as an Object where each property is a variable value. "
    "Perhaps look to see if an unparsed JSON string was provided."
)


@pytest.mark.parametrize("variables", [1, True, '{"x": true}', "   "])
def test_posted_variables_that_are_not_an_object_are_an_execution_error(
    harness: Harness, variables: object
) -> None:
    # As Directus: a POST body's variables are taken as sent (a string is not JSON text there).
    response = harness.client.post(
        SYSTEM, json={"query": "{ server_ping }", "variables": variables}
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "GraphQL execution error.",
                "extensions": {"errors": [NOT_AN_OBJECT], "code": "GRAPHQL_EXECUTION"},
            }
        ]
    }


@pytest.mark.parametrize("variables", [None, 0, False, "", [], [1], {}])
def test_falsy_or_array_variables_run_the_query(harness: Harness, variables: object) -> None:
    response = harness.client.post(
        SYSTEM, json={"query": "{ server_ping }", "variables": variables}
    )

    assert response.json() == {"data": {"server_ping": "pong"}}


@pytest.mark.parametrize("name", [None, "", 0, False])
def test_a_falsy_operation_name_is_no_name(harness: Harness, name: object) -> None:
    response = harness.client.post(
        SYSTEM, json={"query": "query A { server_ping }", "operationName": name}
    )

    assert response.json() == {"data": {"server_ping": "pong"}}


def test_the_variables_are_checked_after_the_document(harness: Harness) -> None:
    response = harness.client.post(SYSTEM, json={"query": "{ nothing_here }", "variables": 1})

    [message] = _validation_messages(response)
    assert message.startswith("Cannot query field ")
    assert "nothing_here" in message


def test_a_syntax_error_is_a_validation_error(harness: Harness) -> None:
    assert _validation_messages(gql(harness, "{ server_ping ")) == [
        "Syntax Error: Expected Name, found <EOF>."
    ]


def test_a_field_outside_the_schema_is_a_validation_error(harness: Harness) -> None:
    response = gql(harness, "{ nothing_here }")

    assert _validation_messages(response) == ['Cannot query field "nothing_here" on type "Query".']
    assert response.json()["errors"][0]["extensions"]["errors"][0]["locations"] == [
        {"line": 1, "column": 3}
    ]


def test_field_names_are_suggested_while_introspection_is_on(harness: Harness) -> None:
    assert _validation_messages(gql(harness, "{ server_pin }")) == [
        'Cannot query field "server_pin" on type "Query". Did you mean "server_ping"?'
    ]


def test_single_use_mutations(harness: Harness) -> None:
    twice = (
        'mutation { a: auth_login(email: "a@example.com", password: "x") { expires } '
        'b: auth_login(email: "a@example.com", password: "x") { expires } }'
    )

    assert _validation_messages(gql(harness, twice)) == [
        '"auth_login" can only be used once per request'
    ]


def test_the_token_limit(harness: Harness) -> None:
    many = "{ " + " ".join(f"f{i}: server_ping" for i in range(70)) + " }"

    assert _validation_messages(gql(harness, many)) == [
        "Syntax Error: Document contains more than 200 tokens. Parsing aborted."
    ]


def test_the_length_limit(harness: Harness) -> None:
    long = "{ server_ping " + "#" * 3000 + "\n}"

    assert _validation_messages(gql(harness, long)) == [
        f"The query is {len(long)} characters long, at most 3000 are allowed."
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ users { role { users { role { name } } } } }",
            "The query nests fields too deeply: 5, at most 4 are allowed.",
        ),
        (
            "{ a: server_ping b: server_ping c: server_ping d: server_ping }",
            "The query uses too many aliases: 4, at most 3 are allowed.",
        ),
        (
            "{ server_ping users_me { id } policies_me_globals { app_access } "
            "roles { id } users { id } }",
            "The query asks for too many root fields: 5, at most 4 are allowed.",
        ),
        (
            "{ users { ...U ...U ...U ...U ...U } } fragment U on directus_users "
            "{ id email first_name last_name title description location status }",
            "The query selects too many fields: 41, at most 40 are allowed.",
        ),
    ],
)
def test_hostile_documents_are_refused_before_they_run(
    harness: Harness, query: str, message: str
) -> None:
    statements = harness.db.statements

    response = gql(harness, query)  # anonymous: authenticating costs no statement either

    assert _validation_messages(response) == [message]
    assert harness.db.statements == statements  # refused before any database work


def test_tokens_are_read_as_for_rest(harness: Harness) -> None:
    static = harness.client.post(
        SYSTEM, json={"query": "{ users_me { email } }"}, params={"access_token": ADMIN_TOKEN}
    )
    garbage = harness.client.post(
        SYSTEM,
        json={"query": "{ server_ping }"},
        headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"},
    )

    assert data(static)["users_me"]["email"] == "admin@example.com"
    assert (garbage.status_code, code(garbage)) == (401, "INVALID_CREDENTIALS")


def test_introspection_is_on_by_default(harness: Harness) -> None:
    response = gql(harness, "{ __schema { mutationType { name } } }")

    assert data(response) == {"__schema": {"mutationType": {"name": "Mutation"}}}


@pytest.mark.parametrize(
    ("name", "code_expected"),
    [(1, "INVALID_PAYLOAD"), (["A"], "INVALID_PAYLOAD"), ("Z", "GRAPHQL_VALIDATION")],
)
def test_an_operation_name_must_name_an_operation(
    harness: Harness, name: object, code_expected: str
) -> None:
    # Difference 47: Directus answers 200 with INTERNAL_SERVER_ERROR.
    response = harness.client.post(
        SYSTEM, json={"query": "query A { server_ping }", "operationName": name}
    )

    assert (response.status_code, code(response)) == (400, code_expected)
    assert "data" not in response.json()


def test_a_body_nested_past_1024_levels_is_refused(harness: Harness) -> None:
    # Difference 46: Directus parses any depth and runs the query.
    raw = b'{"query": "{ server_ping }", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    response = harness.client.post(
        SYSTEM, content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"
    assert "depth limit exceeded" in response.json()["errors"][0]["message"]
