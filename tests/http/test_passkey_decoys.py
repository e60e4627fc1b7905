"""``POST /auth/passkey/options`` with an address: an unknown one (or one without passkeys)
gets decoys shaped as a real account's passkeys are on this server (how many, how long each
id), so that neither an account with two passkeys nor an authenticator with 16-byte ids
stands out. In its own module: a fresh database whose only passkey owner is known here.
Through HTTP, on SQLite and PostgreSQL + Redis."""

from __future__ import annotations

import secrets

from tests.conftest import Harness, unique_email
from tests.http.test_passkeys import Member, sign_in_options
from tests.support.authenticator import SoftAuthenticator, unb64

ENV = {"IP_TRUST_PROXY": "true"}


def _shape(options: dict[str, object]) -> list[int]:
    listed = options["allowCredentials"]
    assert isinstance(listed, list)
    return [len(unb64(c["id"])) for c in listed]


def test_decoys_take_the_shape_of_a_real_accounts_passkeys(harness: Harness) -> None:
    no_one_yet = sign_in_options(harness, unique_email("nobody"))
    owner = Member(harness)
    short = SoftAuthenticator()
    short.credential_id = secrets.token_bytes(16)
    second = SoftAuthenticator()
    second.credential_id = secrets.token_bytes(16)
    owner.enrol(short, name="Phone")
    owner.enrol(second, name="Key")
    without = Member(harness)  # known, no passkey

    known = sign_in_options(harness, owner.email)
    strangers = [unique_email("nobody") for _ in range(5)]
    decoys = [sign_in_options(harness, email) for email in [*strangers, without.email]]
    again = sign_in_options(harness, strangers[0])

    assert _shape(no_one_yet) == [32]
    assert _shape(known) == [16, 16]
    for options in decoys:
        assert _shape(options) == _shape(known)
        assert [set(c) for c in options["allowCredentials"]] == [
            set(c) for c in known["allowCredentials"]
        ]
    assert again["allowCredentials"] == decoys[0]["allowCredentials"]
    assert decoys[0]["allowCredentials"] != decoys[1]["allowCredentials"]
    assert not {c["id"] for o in decoys for c in o["allowCredentials"]} & {
        short.id,
        second.id,
    }
