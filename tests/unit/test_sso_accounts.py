"""The pure core of SSO accounts: role mapping, profile flattening, and the decision to
create, update or refuse a user."""

from __future__ import annotations

import pytest

from authgate.crypto import Keys
from authgate.errors import Code
from authgate.providers.accounts import (
    AccountPolicy,
    Decision,
    Identity,
    decide,
    flatten,
    groups_of,
    map_role,
    open_auth_data,
    seal_auth_data,
    text_claim,
)
from authgate.users.model import User

MAPPING = (("admins", "role-admin"), ("staff", "role-staff"))


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["staff", "admins"], "role-admin"),  # the mapping's order decides, not the claim's
        (["staff"], "role-staff"),
        (["Staff"], "role-default"),  # group names are exact
        ([], "role-default"),
    ],
)
def test_the_first_mapped_group_gives_the_role(groups: list[str], role: str) -> None:
    assert map_role(groups, MAPPING, "role-default") == role


def test_a_group_claim_is_a_list_or_one_value() -> None:
    assert groups_of(["a", "b", 3]) == ("a", "b", "3")
    assert groups_of("a") == ("a",)
    assert groups_of(None) == ()
    assert groups_of({"a": 1}) == ()


def test_profiles_are_flattened_with_dotted_keys() -> None:
    flat = flatten({"id": 7, "user": {"email": "a@example.com", "name": {"first": "A"}}})

    assert flat["user.email"] == "a@example.com"
    assert flat["user.name.first"] == "A"
    assert flat["id"] == 7
    assert text_claim(flat, "id") == "7"
    assert text_claim(flat, "user") is None
    assert text_claim(flat, None) is None


def user(provider: str = "google") -> User:
    return User("user-1", "old@example.com", None, "active", "role-old", None, provider, "sub-1")


IDENTITY = Identity(
    identifier="Sub-1",
    email="new@example.com",
    first_name="Ada",
    last_name="L" * 80,
    groups=("staff",),
    email_verified=True,
    refresh_token="rt",
)


def run(
    existing: User | None,
    policy: AccountPolicy,
    *,
    identity: Identity = IDENTITY,
    role: str | None = "role-staff",
) -> Decision:
    return decide(
        existing,
        identity,
        policy,
        provider="google",
        role=role,
        role_decided=policy.role_mapping is not None,
        auth_data={"refreshToken": "sealed"},
        new_id="new-id",
    )


def test_an_unknown_identity_needs_public_registration() -> None:
    refused = run(None, AccountPolicy())
    created = run(None, AccountPolicy(allow_public_registration=True, role_mapping=MAPPING))

    assert refused.refuse == Code.INVALID_CREDENTIALS
    assert created.create
    assert created.values == {
        "id": "new-id",
        "provider": "google",
        "first_name": "Ada",
        "last_name": "L" * 50,  # the column's length
        "email": "new@example.com",
        "external_identifier": "Sub-1",
        "role": "role-staff",
        "status": "active",
        "auth_data": {"refreshToken": "sealed"},
    }


def test_a_required_verified_email_must_be_verified() -> None:
    policy = AccountPolicy(allow_public_registration=True, require_verified_email=True)
    unverified = Identity(identifier="x", email="x@example.com", email_verified=False)
    unknown = Identity(identifier="x", email="x@example.com")

    assert run(None, policy, identity=unverified).refuse == Code.INVALID_CREDENTIALS
    assert run(None, policy, identity=unknown).refuse == Code.INVALID_CREDENTIALS
    assert run(None, policy).create
    # Only new users are held to it.
    assert run(user(), policy, identity=unverified).refuse is None


def test_a_known_user_gets_auth_data_and_only_what_is_configured() -> None:
    plain = run(user(), AccountPolicy())
    mapped = run(user(), AccountPolicy(role_mapping=MAPPING), role="role-default")
    synced = run(user(), AccountPolicy(sync_user_info=True))

    assert plain.values == {"auth_data": {"refreshToken": "sealed"}}
    assert mapped.values["role"] == "role-default"
    assert synced.values == {
        "auth_data": {"refreshToken": "sealed"},
        "first_name": "Ada",
        "last_name": "L" * 50,
        "email": "new@example.com",
    }


def test_another_providers_user_is_refused_untouched() -> None:
    decision = run(user(provider="github"), AccountPolicy(sync_user_info=True))

    assert decision.refuse == Code.INVALID_CREDENTIALS
    assert decision.values == {}


def test_saml_style_policies_never_update_and_lower_the_identifier() -> None:
    policy = AccountPolicy(
        allow_public_registration=True,
        update_existing=False,
        lower_identifier=True,
        store_auth_data=False,
    )

    created = run(None, policy)
    known = run(user(), policy)

    assert created.values["external_identifier"] == "sub-1"
    assert "auth_data" not in created.values
    assert known.values == {}


def test_upstream_refresh_tokens_are_sealed_per_user() -> None:
    keys = Keys.from_secret("a-secret-for-the-auth-data-tests-012345")
    sealed = seal_auth_data(keys, "user-1", "upstream-refresh-token")

    assert sealed is not None
    assert "upstream-refresh-token" not in sealed["refreshToken"]
    assert open_auth_data(keys, "user-1", sealed) == "upstream-refresh-token"
    assert open_auth_data(keys, "user-2", sealed) is None  # bound to its user
    assert seal_auth_data(keys, "user-1", None) is None
    # A Directus import keeps its plain token (a JSON string), until it is next written.
    assert open_auth_data(keys, "user-1", '{"refreshToken": "plain"}') == "plain"
    assert open_auth_data(keys, "user-1", None) is None
