"""Reading a multi-factor assertion from an ID token's ``amr``/``acr`` (providers/mfa.py)."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.providers.mfa import DEFAULT_ACR, asserts_mfa


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"amr": ["mfa"]}, True),
        ({"amr": ["pwd", "otp"]}, True),
        ({"amr": ["pwd", "hwk"]}, True),
        ({"amr": ["hwk", "fpt"]}, True),
        ({"amr": ["pwd"]}, False),
        ({"amr": ["otp", "sms"]}, False),  # two of one kind is one factor
        ({"amr": ["pwd", "pin"]}, False),
        ({"amr": "mfa"}, False),  # not a list
        ({"amr": [1, None]}, False),
        ({"acr": DEFAULT_ACR[0]}, True),
        ({"acr": "urn:mace:incommon:iap:silver"}, False),
        ({"acr": ["x"]}, False),
        ({}, False),
    ],
)
def test_what_counts_as_a_multi_factor_sign_in(claims: dict[str, Any], expected: bool) -> None:
    assert asserts_mfa(claims) is expected


def test_the_acr_values_are_configurable() -> None:
    assert asserts_mfa({"acr": "gold"}, ("gold",)) is True
    assert asserts_mfa({"acr": DEFAULT_ACR[0]}, ("gold",)) is False
