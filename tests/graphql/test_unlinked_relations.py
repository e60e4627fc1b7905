"""A many-to-one into a collection the caller may not read is typed as Directus types it: the
plain string key (``String``, ``string_filter_operators``), not ``ID``."""

from __future__ import annotations

from tests.conftest import Harness, unique_email
from tests.graphql.conftest import data, gql


def _reader_of_users(harness: Harness) -> tuple[dict[str, str], str]:
    """A user of a custom policy (no app access) that reads users but not roles."""
    role = harness.create_role("Reads users only")
    harness.grant(role, "directus_users", "read")
    email = unique_email()
    harness.create_user(email, role=role)
    return harness.bearer(email), role


def test_the_key_of_an_unreadable_relation_is_a_string(harness: Harness) -> None:
    headers, role = _reader_of_users(harness)

    selected = gql(harness, "{ users_me { role { name } } }", headers=headers)
    plain = gql(harness, "{ users_me { role } }", headers=headers)
    typed = gql(
        harness,
        '{ __type(name: "directus_users") { fields { name type { name } } } }',
        headers=headers,
    )

    assert selected.status_code == 400
    assert selected.json()["errors"][0]["extensions"]["errors"][0]["message"] == (
        "Field 'role' must not have a selection since type 'String' has no subfields."
    )
    assert data(plain) == {"users_me": {"role": role}}
    fields = {f["name"]: f["type"]["name"] for f in data(typed)["__type"]["fields"]}
    assert fields["role"] == "String"


def test_it_filters_as_a_string(harness: Harness) -> None:
    headers, role = _reader_of_users(harness)

    typed = gql(
        harness,
        '{ __type(name: "directus_users_filter") { inputFields { name type { name } } } }',
        headers=headers,
    )
    found = gql(
        harness,
        "query Q($r: String) { users(filter: {role: {_eq: $r}}) { role } }",
        {"r": role},
        headers=headers,
    )

    inputs = {f["name"]: f["type"]["name"] for f in data(typed)["__type"]["inputFields"]}
    assert inputs["role"] == "string_filter_operators"
    assert inputs["id"] == "id_filter_operators"
    assert data(found) == {"users": [{"role": role}]}


def test_an_admin_still_reads_the_role_as_an_object(harness: Harness) -> None:
    response = gql(harness, "{ users_me { role { name } } }", headers=harness.admin)

    assert data(response)["users_me"]["role"]["name"]
