"""Settings that change what GraphQL answers: ``GRAPHQL_INTROSPECTION=false`` (the schema can
be neither read nor guessed from suggestions), the registration rate limit, and
``AUTH_DISABLE_DEFAULT`` (which closes ``POST /auth/login`` but not ``auth_login``)."""

from __future__ import annotations

import httpx2 as httpx

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness, unique_email
from tests.graphql.conftest import code, data, gql

ENV = {
    "GRAPHQL_INTROSPECTION": "false",
    "RATE_LIMITER_REGISTRATION_ENABLED": "true",
    "RATE_LIMITER_REGISTRATION_POINTS": "1",
    "RATE_LIMITER_REGISTRATION_DURATION": "600",
    "AUTH_DISABLE_DEFAULT": "true",
}


def _messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
    return [e["message"] for e in response.json()["errors"][0]["extensions"]["errors"]]


def test_introspection_is_refused(harness: Harness) -> None:
    schema = gql(harness, "{ __schema { types { name } } }", headers=harness.admin)
    one_type = gql(harness, '{ __type(name: "Query") { name } }', headers=harness.admin)

    assert _messages(schema)[0] == (
        "GraphQL introspection has been disabled, but the requested query contained the field"
        ' "__schema".'
    )
    assert _messages(one_type) == [
        "GraphQL introspection has been disabled, but the requested query contained the field"
        ' "__type".'
    ]


def test_no_field_names_are_suggested(harness: Harness) -> None:
    messages = _messages(gql(harness, "{ server_pin }"))

    assert messages == ['Cannot query field "server_pin" on type "Query".']


def test_queries_still_run(harness: Harness) -> None:
    assert data(gql(harness, "{ server_ping __typename }")) == {
        "server_ping": "pong",
        "__typename": "Query",
    }


def test_users_register_spends_the_registration_limit_as_rest_does(harness: Harness) -> None:
    register = "mutation R($e: String!, $p: String!) { users_register(email: $e, password: $p) }"

    first = gql(harness, register, {"e": unique_email(), "p": PASSWORD})
    second = gql(harness, register, {"e": unique_email(), "p": PASSWORD})
    rest = harness.client.post(
        "/users/register", json={"email": unique_email(), "password": PASSWORD}
    )

    assert code(first) == "FORBIDDEN"  # within the limit; registration is off
    assert code(second) == "REQUESTS_EXCEEDED"  # Directus: INTERNAL_SERVER_ERROR
    assert second.json()["errors"][0]["extensions"]["limit"] == 1
    assert (rest.status_code, code(rest)) == (429, "REQUESTS_EXCEEDED")


def test_auth_disable_default_leaves_auth_login_open(harness: Harness) -> None:
    rest = harness.client.post(
        "/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    graphql = gql(
        harness,
        "mutation L($e: String!, $p: String!) { auth_login(email: $e, password: $p) { expires } }",
        {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
    )

    assert (rest.status_code, code(rest)) == (404, "ROUTE_NOT_FOUND")
    assert data(graphql) == {"auth_login": {"expires": "900000"}}
