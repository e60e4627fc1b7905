"""Passkeys through HTTP (SQLite, and PostgreSQL + Redis): enrolment, listing, removal, the
passwordless sign-in and a passkey as the second factor, with real WebAuthn data made by a
software authenticator (``tests/support/authenticator.py``) and checked by py_webauthn, and
tampered data that must be refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from authgate import totp
from authgate.app import create_app
from authgate.mail.outbox import MemoryOutbox
from tests.conftest import ADMIN_TOKEN, PASSWORD, Harness, unique_email
from tests.support.authenticator import SoftAuthenticator, unb64

ENV = {"IP_TRUST_PROXY": "true"}
UNVERIFIED = {
    "errors": [
        {
            "message": "Invalid payload. The passkey could not be verified.",
            "extensions": {
                "reason": "The passkey could not be verified",
                "code": "INVALID_PAYLOAD",
            },
        }
    ]
}


def _code(error: Any) -> Any:
    return error.json()["errors"][0]["extensions"]["code"]


def _from(address: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "X-Forwarded-For": address}


class Member:
    """A signed-in user and their authenticator."""

    def __init__(self, harness: Harness, **fields: Any) -> None:
        self.harness = harness
        self.user = harness.create_user(**fields)
        self.email: str = self.user["email"]
        self.headers = harness.bearer(self.email)
        self.authenticator = SoftAuthenticator()

    def options(self, password: str = PASSWORD) -> Any:
        return self.harness.client.post(
            "/users/me/passkeys/options", json={"password": password}, headers=self.headers
        )

    def enrol(self, authenticator: SoftAuthenticator | None = None, name: str = "Laptop") -> Any:
        options = self.options()
        assert options.status_code == 200, options.text
        credential = (authenticator or self.authenticator).create(options.json()["data"])
        created = self.harness.client.post(
            "/users/me/passkeys",
            json={"credential": credential, "name": name},
            headers=self.headers,
        )
        assert created.status_code == 200, created.text
        return created.json()["data"]


def sign_in_options(harness: Harness, email: str | None = None) -> dict[str, Any]:
    response = harness.client.post("/auth/passkey/options", json={"email": email} if email else {})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def passkey_login(harness: Harness, credential: Any, **extra: Any) -> Any:
    harness.client.cookies.clear()
    return harness.client.post("/auth/passkey/login", json={"credential": credential, **extra})


@pytest.fixture
def member(harness: Harness) -> Member:
    return Member(harness)


@pytest.fixture
def enrolled(member: Member) -> Member:
    member.enrol()
    return member


@pytest.fixture
def limit(harness: Harness) -> Iterator[int]:
    harness.client.patch("/settings", json={"auth_login_attempts": 3}, headers=harness.admin)
    yield 3
    harness.client.patch("/settings", json={"auth_login_attempts": 25}, headers=harness.admin)


# ------------------------------------------------------------------------------- enrolment


def test_enrolment_options_name_the_relying_party_and_a_random_user_handle(
    harness: Harness, member: Member
) -> None:
    other = Member(harness)

    first, again, theirs = member.options(), member.options(), other.options()

    options = first.json()["data"]
    assert options["rp"] == {"id": "authgate.test", "name": "authgate"}
    assert options["user"]["name"] == member.email
    handle = unb64(options["user"]["id"])
    assert len(handle) == 32
    assert member.email.encode() not in handle
    assert member.user["id"].encode() not in handle
    assert options["challenge"] != again.json()["data"]["challenge"]
    assert theirs.json()["data"]["user"]["id"] != options["user"]["id"]
    assert options["attestation"] == "none"


def test_enrolment_needs_the_password(harness: Harness, member: Member) -> None:
    missing = harness.client.post("/users/me/passkeys/options", json={}, headers=member.headers)
    wrong = member.options("not the password")

    assert (missing.status_code, _code(missing)) == (400, "INVALID_PAYLOAD")
    assert (wrong.status_code, _code(wrong)) == (401, "INVALID_CREDENTIALS")


def test_wrong_passwords_on_enrolment_count_toward_the_lockout(
    harness: Harness, limit: int
) -> None:
    member = Member(harness)
    address = "198.51.100.31"

    wrong = [
        harness.client.post(
            "/users/me/passkeys/options",
            json={"password": "wrong"},
            headers=_from(address, member.headers),
        )
        for _ in range(limit)
    ]
    right = harness.client.post(
        "/users/me/passkeys/options",
        json={"password": PASSWORD},
        headers=_from(address, member.headers),
    )
    sign_in = harness.client.post(
        "/auth/login", json={"email": member.email, "password": PASSWORD}, headers=_from(address)
    )

    assert [r.status_code for r in wrong] == [401] * limit
    assert right.status_code == 401
    assert sign_in.status_code == 401


@pytest.mark.parametrize("who", ["role-less", "app user", "custom policy", "admin"])
def test_every_kind_of_user_enrols_and_lists(harness: Harness, who: str) -> None:
    fields: dict[str, Any] = {}
    if who == "app user":
        fields["role"] = harness.create_role(f"app {unique_email()}", app=True)
    elif who == "custom policy":
        role = harness.create_role(f"custom {unique_email()}")
        harness.grant(role, "directus_users", "read", rule={"id": {"_eq": "$CURRENT_USER"}})
        fields["role"] = role
    elif who == "admin":
        fields["role"] = harness.create_role(f"admins {unique_email()}", admin=True)
    member = Member(harness, **fields)

    created = member.enrol(name="  Phone  ")
    listed = harness.client.get("/users/me/passkeys", headers=member.headers)

    assert created["name"] == "Phone"
    assert created["last_used"] is None
    assert set(created) == {
        "id", "name", "created", "last_used", "backup_eligible", "backup_state"
    }  # fmt: skip
    assert listed.json() == {"data": [created]}


def test_backup_flags_are_stored(harness: Harness, member: Member) -> None:
    synced = SoftAuthenticator(backup_eligible=True, backup_state=True)

    created = member.enrol(synced)

    assert (created["backup_eligible"], created["backup_state"]) == (True, True)
    plain = member.enrol(SoftAuthenticator(), name="Key")
    assert (plain["backup_eligible"], plain["backup_state"]) == (False, False)


def test_a_second_passkey_keeps_the_user_handle_and_excludes_the_first(
    harness: Harness, enrolled: Member
) -> None:
    options = enrolled.options().json()["data"]

    assert options["user"]["id"] == enrolled.authenticator.user_handle
    assert [c["id"] for c in options["excludeCredentials"]] == [enrolled.authenticator.id]


def test_the_same_credential_cannot_be_registered_twice(harness: Harness, enrolled: Member) -> None:
    options = enrolled.options().json()["data"]

    again = harness.client.post(
        "/users/me/passkeys",
        json={"credential": enrolled.authenticator.create(options), "name": "Again"},
        headers=enrolled.headers,
    )

    assert (again.status_code, _code(again)) == (400, "INVALID_PAYLOAD")


def test_anonymous_callers_are_refused(harness: Harness) -> None:
    calls = [
        harness.client.post("/users/me/passkeys/options", json={"password": PASSWORD}),
        harness.client.post("/users/me/passkeys", json={"credential": {}, "name": "x"}),
        harness.client.get("/users/me/passkeys"),
        harness.client.request(
            "DELETE",
            "/users/me/passkeys/00000000-0000-4000-8000-000000000000",
            json={"password": PASSWORD},
        ),
    ]

    assert [(r.status_code, _code(r)) for r in calls] == [(401, "INVALID_CREDENTIALS")] * 4


@pytest.mark.parametrize(
    "tamper",
    ["wrong origin", "wrong rp id", "reused challenge", "expired challenge", "another user's"],
)
def test_tampered_registrations_are_refused(harness: Harness, member: Member, tamper: str) -> None:
    authenticator = SoftAuthenticator()
    options = member.options().json()["data"]
    headers = member.headers
    credential = authenticator.create(options)
    if tamper == "wrong origin":
        credential = authenticator.create(options, origin="http://evil.test")
    elif tamper == "wrong rp id":
        credential = authenticator.create(options, rp_id="evil.test")
    elif tamper == "reused challenge":
        member.enrol(SoftAuthenticator())  # uses a challenge of its own
        first = harness.client.post(
            "/users/me/passkeys", json={"credential": credential, "name": "A"}, headers=headers
        )
        assert first.status_code == 200, first.text
        credential = SoftAuthenticator().create(options)
    elif tamper == "expired challenge":
        harness.clock.advance(5 * 60 + 1)
    elif tamper == "another user's":
        headers = Member(harness).headers

    refused = harness.client.post(
        "/users/me/passkeys", json={"credential": credential, "name": "Laptop"}, headers=headers
    )

    assert (refused.status_code, refused.json()) == (400, UNVERIFIED)


def test_malformed_registrations_are_refused_without_a_trace(
    harness: Harness, member: Member
) -> None:
    bodies: list[Any] = [
        {"name": "x"},
        {"credential": "text", "name": "x"},
        {"credential": {"id": 1, "response": []}, "name": "x"},
        {"credential": {"response": {"clientDataJSON": "%%%"}}, "name": "x"},
        {"credential": {}, "name": ""},
        {"credential": {}, "name": "x" * 256},
        [],
    ]

    answers = [
        harness.client.post("/users/me/passkeys", json=body, headers=member.headers)
        for body in bodies
    ]

    assert [(r.status_code, _code(r)) for r in answers] == [(400, "INVALID_PAYLOAD")] * len(bodies)


# -------------------------------------------------------------------- passwordless sign-in


@pytest.mark.parametrize("with_email", [True, False])
def test_passwordless_sign_in_answers_as_login_does(
    harness: Harness, enrolled: Member, with_email: bool
) -> None:
    options = sign_in_options(harness, enrolled.email if with_email else None)
    if with_email:
        assert [c["id"] for c in options["allowCredentials"]] == [enrolled.authenticator.id]
    else:
        assert options["allowCredentials"] == []

    response = passkey_login(harness, enrolled.authenticator.get(options))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == set(harness.tokens(enrolled.email))
    me = harness.client.get(
        "/users/me", headers={"Authorization": f"Bearer {data['access_token']}"}
    )
    assert me.json()["data"]["id"] == enrolled.user["id"]
    listed = harness.client.get("/users/me/passkeys", headers=enrolled.headers).json()["data"]
    assert listed[0]["last_used"] == harness.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    counts = harness.sql(
        "SELECT sign_count FROM authgate_passkeys WHERE user_handle = :h",
        h=enrolled.authenticator.user_handle,
    )
    assert counts == [(enrolled.authenticator.sign_count,)]


@pytest.mark.parametrize("mode", ["cookie", "session"])
def test_passwordless_sign_in_modes_set_the_cookies_login_sets(
    harness: Harness, enrolled: Member, mode: str
) -> None:
    expected = harness.login(enrolled.email, mode=mode)
    options = sign_in_options(harness)

    response = passkey_login(harness, enrolled.authenticator.get(options), mode=mode)

    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == set(expected.json()["data"])
    name = response.headers["set-cookie"].split("=", 1)[0]
    assert name == expected.headers["set-cookie"].split("=", 1)[0]
    attributes = response.headers["set-cookie"].split(";", 1)[1]
    assert attributes == expected.headers["set-cookie"].split(";", 1)[1]


def test_passwordless_sign_in_writes_a_login_activity(harness: Harness, enrolled: Member) -> None:
    options = sign_in_options(harness)
    before = harness.sql(
        "SELECT count(*) FROM directus_activity WHERE action = 'login' AND item = :u",
        u=enrolled.user["id"],
    )[0][0]

    response = passkey_login(harness, enrolled.authenticator.get(options))

    assert response.status_code == 200, response.text
    after = harness.sql(
        "SELECT count(*) FROM directus_activity WHERE action = 'login' AND item = :u",
        u=enrolled.user["id"],
    )[0][0]
    assert after == before + 1


def test_options_for_an_unknown_address_look_like_those_for_a_known_one(
    harness: Harness, enrolled: Member
) -> None:
    member_without = Member(harness)

    known = sign_in_options(harness, enrolled.email)
    unknown = sign_in_options(harness, unique_email("nobody"))
    unknown_again = sign_in_options(harness, unknown_email := unique_email("nobody"))
    without = sign_in_options(harness, member_without.email)

    # Decoys take the shape of some real account's passkeys (tests/http/test_passkey_decoys.py)
    owners = harness.sql('SELECT "user", credential_id FROM authgate_passkeys')
    shapes: dict[str, list[int]] = {}
    for owner, credential in owners:
        shapes.setdefault(str(owner), []).append(len(credential))
    for options in (unknown, unknown_again, without):
        assert set(options) == set(known)
        assert all(set(c) == set(known["allowCredentials"][0]) for c in options["allowCredentials"])
        lengths = sorted(len(c["id"]) for c in options["allowCredentials"])
        assert lengths in [sorted(shape) for shape in shapes.values()]
    assert (
        sign_in_options(harness, unknown_email)["allowCredentials"]
        == unknown_again["allowCredentials"]
    )


@pytest.mark.parametrize("status", ["suspended", "archived", "draft"])
def test_inactive_users_are_refused_like_login(
    harness: Harness, enrolled: Member, status: str
) -> None:
    harness.client.patch(
        f"/users/{enrolled.user['id']}", json={"status": status}, headers=harness.admin
    )
    options = sign_in_options(harness)

    response = passkey_login(harness, enrolled.authenticator.get(options))

    assert (response.status_code, _code(response)) == (401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong origin",
        "wrong rp id",
        "reused challenge",
        "expired challenge",
        "counter going backwards",
        "counter standing still",
        "bad signature",
        "unknown credential",
        "another user's handle",
        "enrolment challenge",
        "no user verification",
    ],
)
def test_tampered_assertions_are_refused(harness: Harness, enrolled: Member, tamper: str) -> None:
    device = enrolled.authenticator
    first = passkey_login(harness, device.get(sign_in_options(harness)))  # counter 1
    assert first.status_code == 200, first.text
    options = sign_in_options(harness)
    credential = device.get(options)
    if tamper == "wrong origin":
        credential = device.get(options, origin="http://evil.test")
    elif tamper == "wrong rp id":
        credential = device.get(options, rp_id="evil.test")
    elif tamper == "reused challenge":
        assert passkey_login(harness, credential).status_code == 200
        credential = device.get(options)
    elif tamper == "expired challenge":
        harness.clock.advance(5 * 60 + 1)
    elif tamper == "counter going backwards":
        device.sign_count = 5
        assert passkey_login(harness, device.get(sign_in_options(harness))).status_code == 200
        credential = device.get(options, counter=3)
    elif tamper == "counter standing still":
        credential = device.get(options, counter=1)
    elif tamper == "bad signature":
        credential = device.get(options, bad_signature=True)
    elif tamper == "unknown credential":
        credential = SoftAuthenticator().get(options)
    elif tamper == "another user's handle":
        other = Member(harness)
        other.enrol()
        credential = device.get(options)
        credential["response"]["userHandle"] = other.authenticator.user_handle
    elif tamper == "enrolment challenge":
        credential = device.get(enrolled.options().json()["data"])
    elif tamper == "no user verification":
        credential = device.get(options, uv=False)

    refused = passkey_login(harness, credential)

    assert (refused.status_code, _code(refused)) == (401, "INVALID_CREDENTIALS")


def test_failed_assertions_count_toward_the_lockout(
    harness: Harness, enrolled: Member, limit: int
) -> None:
    address = "198.51.100.41"
    device = enrolled.authenticator

    wrong = [
        harness.client.post(
            "/auth/passkey/login",
            json={"credential": device.get(sign_in_options(harness), bad_signature=True)},
            headers=_from(address),
        )
        for _ in range(limit)
    ]
    right = harness.client.post(
        "/auth/passkey/login",
        json={"credential": device.get(sign_in_options(harness))},
        headers=_from(address),
    )
    password = harness.client.post(
        "/auth/login", json={"email": enrolled.email, "password": PASSWORD}, headers=_from(address)
    )
    elsewhere = harness.client.post(
        "/auth/passkey/login",
        json={"credential": device.get(sign_in_options(harness))},
        headers=_from("198.51.100.42"),
    )

    assert [r.status_code for r in wrong] == [401] * limit
    assert (right.status_code, _code(right)) == (401, "INVALID_CREDENTIALS")
    assert password.status_code == 401
    assert elsewhere.status_code == 200, elsewhere.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "x"},
        {"credential": {}, "mode": "bogus"},
        {"credential": {"id": [], "rawId": {}}},
        [],
    ],
)
def test_malformed_sign_ins_are_refused_without_a_trace(harness: Harness, body: Any) -> None:
    response = harness.client.post("/auth/passkey/login", json=body)

    assert response.status_code in (400, 401)
    assert _code(response) in ("INVALID_PAYLOAD", "INVALID_CREDENTIALS")


def test_another_instance_finishes_what_one_started(harness: Harness, enrolled: Member) -> None:
    """The challenge is checked and claimed through the shared store: a second application
    over the same database (and Redis) accepts an answer to the first one's options, once."""
    second = create_app(harness.settings, clock=harness.clock, outbox=MemoryOutbox())
    with TestClient(second, client=("127.0.0.1", 40001)) as other:
        options = sign_in_options(harness)
        credential = enrolled.authenticator.get(options)

        there = other.post("/auth/passkey/login", json={"credential": credential})
        # A new signature (a higher counter) over the same challenge: only its use is wrong.
        here = passkey_login(harness, enrolled.authenticator.get(options))

    assert there.status_code == 200, there.text
    assert (here.status_code, _code(here)) == (401, "INVALID_CREDENTIALS")


# --------------------------------------------------------------- a passkey as second factor


@pytest.fixture
def with_totp(harness: Harness) -> tuple[Member, str]:
    """A user with a custom policy that lets them set their own ``tfa_secret``, with a passkey
    and TOTP."""
    role = harness.create_role(f"tfa {unique_email()}")
    harness.grant(
        role, "directus_users", "update", fields="tfa_secret", rule={"id": {"_eq": "$CURRENT_USER"}}
    )
    enrolled = Member(harness, role=role)
    enrolled.enrol()
    secret: str = harness.client.post(
        "/users/me/tfa/generate", json={"password": PASSWORD}, headers=enrolled.headers
    ).json()["data"]["secret"]
    step = totp.step_at(harness.clock.now()) - 1
    enabled = harness.client.post(
        "/users/me/tfa/enable",
        json={"secret": secret, "otp": totp.code_at(secret, step)},
        headers=enrolled.headers,
    )
    assert enabled.status_code == 204, enabled.text
    return enrolled, secret


def test_password_and_passkey_replace_password_and_code(
    harness: Harness, with_totp: tuple[Member, str]
) -> None:
    member, _ = with_totp
    without = harness.login(member.email)
    options = sign_in_options(harness, member.email)

    response = harness.login(member.email, passkey=member.authenticator.get(options))

    assert (without.status_code, _code(without)) == (401, "INVALID_OTP")
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"access_token", "refresh_token", "expires"}


@pytest.mark.parametrize(
    "tamper", ["another user's credential", "reused challenge", "bad signature", "wrong password"]
)
def test_a_bad_passkey_is_a_bad_second_factor(
    harness: Harness, with_totp: tuple[Member, str], tamper: str
) -> None:
    member, _ = with_totp
    options = sign_in_options(harness, member.email)
    credential = member.authenticator.get(options)
    password = PASSWORD
    expected = "INVALID_OTP"
    if tamper == "another user's credential":
        other = Member(harness)
        other.enrol()
        credential = other.authenticator.get(options)
    elif tamper == "reused challenge":
        assert harness.login(member.email, passkey=credential).status_code == 200
        credential = member.authenticator.get(options)
    elif tamper == "bad signature":
        credential = member.authenticator.get(options, bad_signature=True)
    elif tamper == "wrong password":
        password, expected = "not the password", "INVALID_CREDENTIALS"

    refused = harness.login(member.email, password, passkey=credential)

    assert (refused.status_code, _code(refused)) == (401, expected)


def test_a_passkey_alone_signs_in_a_user_with_totp(
    harness: Harness, with_totp: tuple[Member, str]
) -> None:
    member, _ = with_totp

    response = passkey_login(harness, member.authenticator.get(sign_in_options(harness)))

    assert response.status_code == 200, response.text


# ------------------------------------------------------------------------------- removal


def _remove(harness: Harness, member: Member, passkey_id: str, **proof: Any) -> Any:
    return harness.client.request(
        "DELETE", f"/users/me/passkeys/{passkey_id}", json=proof, headers=member.headers
    )


def test_removal_with_the_password(harness: Harness, member: Member) -> None:
    created = member.enrol()

    missing = _remove(harness, member, created["id"])
    wrong = _remove(harness, member, created["id"], password="wrong")
    removed = _remove(harness, member, created["id"], password=PASSWORD)

    assert (missing.status_code, _code(missing)) == (400, "INVALID_PAYLOAD")
    assert (wrong.status_code, _code(wrong)) == (401, "INVALID_CREDENTIALS")
    assert removed.status_code == 204
    assert harness.client.get("/users/me/passkeys", headers=member.headers).json() == {"data": []}
    options = sign_in_options(harness)
    refused = passkey_login(harness, member.authenticator.get(options))
    assert refused.status_code == 401


def test_removal_with_a_passkey_assertion(harness: Harness, member: Member) -> None:
    laptop = member.enrol(name="Laptop")
    phone = SoftAuthenticator()
    member.enrol(phone, name="Phone")
    stranger = Member(harness)
    stranger.enrol()

    theirs = _remove(
        harness,
        member,
        laptop["id"],
        passkey=stranger.authenticator.get(sign_in_options(harness)),
    )
    removed = _remove(harness, member, laptop["id"], passkey=phone.get(sign_in_options(harness)))

    assert (theirs.status_code, _code(theirs)) == (401, "INVALID_OTP")
    assert removed.status_code == 204
    names = [p["name"] for p in harness.client.get("/users/me/passkeys", headers=member.headers).json()["data"]]  # fmt: skip
    assert names == ["Phone"]


def test_removal_with_a_one_time_code(harness: Harness, with_totp: tuple[Member, str]) -> None:
    member, secret = with_totp
    passkey_id = harness.client.get("/users/me/passkeys", headers=member.headers).json()["data"][0]["id"]  # fmt: skip

    wrong = _remove(harness, member, passkey_id, otp="000000")
    removed = _remove(
        harness, member, passkey_id, otp=totp.code_at(secret, totp.step_at(harness.clock.now()))
    )

    assert (wrong.status_code, _code(wrong)) == (401, "INVALID_OTP")
    assert removed.status_code == 204


def test_nobody_removes_another_users_passkey(harness: Harness, enrolled: Member) -> None:
    stranger = Member(harness)
    passkey_id = harness.client.get("/users/me/passkeys", headers=enrolled.headers).json()["data"][0]["id"]  # fmt: skip

    theirs = _remove(harness, stranger, passkey_id, password=PASSWORD)
    admin = harness.client.request(
        "DELETE",
        f"/users/me/passkeys/{passkey_id}",
        json={"password": "whatever"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    not_an_id = _remove(harness, enrolled, "not-an-id", password=PASSWORD)

    assert (theirs.status_code, _code(theirs)) == (403, "FORBIDDEN")
    assert (admin.status_code, _code(admin)) == (403, "FORBIDDEN")
    assert (not_an_id.status_code, _code(not_an_id)) == (403, "FORBIDDEN")
    assert (
        len(harness.client.get("/users/me/passkeys", headers=enrolled.headers).json()["data"]) == 1
    )


def test_a_passkey_is_ignored_at_login_without_totp(harness: Harness, enrolled: Member) -> None:
    """As ``otp`` is: the password is all a user without TOTP needs, whatever else is sent."""
    response = harness.login(enrolled.email, passkey={"id": "not a passkey"})

    assert response.status_code == 200, response.text


def test_a_code_is_checked_before_a_passkey(
    harness: Harness, with_totp: tuple[Member, str]
) -> None:
    member, _ = with_totp
    options = sign_in_options(harness, member.email)

    response = harness.login(member.email, otp="000000", passkey=member.authenticator.get(options))

    assert (response.status_code, _code(response)) == (401, "INVALID_OTP")
