"""The tests of ``test_cross_features.py`` with access tokens signed with EdDSA: sessions listed
and marked current, ended sessions refused at once, API keys unaffected by "sign out
everywhere else", two-factor enforcement still applied."""

from __future__ import annotations

import base64
import json

from tests.conftest import Harness, unique_email
from tests.http.test_cross_features import (
    enforced,
    role,
    test_a_passkey_sign_in_of_an_enforced_user_is_not_held_back,
    test_a_refreshed_passkey_session_keeps_its_id_and_stays_current,
    test_a_session_ends_itself,
    test_api_keys_list_no_current_session_and_may_not_end_them,
    test_every_sign_in_is_a_listed_current_session_that_ends_at_once,
    test_one_enrolment_releases_every_session_of_a_held_back_user,
    test_sign_out_everywhere_else_keeps_the_caller_and_the_keys,
    test_static_tokens_and_keys_of_a_held_back_user_are_released_by_one_enrolment,
)

ENV = {"AUTH_JWT_ALGORITHM": "EdDSA"}

__all__ = [
    "enforced",
    "role",
    "test_a_passkey_sign_in_of_an_enforced_user_is_not_held_back",
    "test_a_refreshed_passkey_session_keeps_its_id_and_stays_current",
    "test_a_session_ends_itself",
    "test_api_keys_list_no_current_session_and_may_not_end_them",
    "test_every_sign_in_is_a_listed_current_session_that_ends_at_once",
    "test_one_enrolment_releases_every_session_of_a_held_back_user",
    "test_sign_out_everywhere_else_keeps_the_caller_and_the_keys",
    "test_static_tokens_and_keys_of_a_held_back_user_are_released_by_one_enrolment",
]


def test_access_tokens_are_signed_with_eddsa(harness: Harness) -> None:
    user = harness.create_user(unique_email("eddsa"))
    token: str = harness.tokens(user["email"])["access_token"]

    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))

    assert header["alg"] == "EdDSA"
