"""Where the features meet (SQLite, and PostgreSQL + Redis): every way of signing in (password
in each mode, password + TOTP, + recovery code, + passkey, a passkey alone in each mode) makes a
session ``GET /users/me/sessions`` lists with its mode, marked current, that ``DELETE
/users/me/sessions/:id`` stops at once; "sign out everywhere else" keeps the caller's session
and API keys; a user held back by ``TFA_SETUP_REQUIRED`` is released for every session by one
enrolment; security notices are mailed once per change. ``test_cross_features_eddsa.py`` runs
the same tests with ``AUTH_JWT_ALGORITHM=EdDSA``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.conftest import Harness
from tests.http.test_passkeys import Member, passkey_login, sign_in_options
from tests.support.factors import Enrolled, code, enrol, make_codes, tfa_role

SESSION_COOKIE = "directus_session_token"
PATHS = [
    "password json",
    "password cookie",
    "password session",
    "password + totp",
    "password + recovery code",
    "password + passkey",
    "passkey json",
    "passkey cookie",
    "passkey session",
]


@dataclass
class Signed:
    mode: str
    access: str

    @property
    def headers(self) -> dict[str, str]:
        if self.mode == "session":
            return {"Cookie": f"{SESSION_COOKIE}={self.access}"}
        return {"Authorization": f"Bearer {self.access}"}

    def call(self, harness: Harness, method: str, path: str, **extra: Any) -> httpx.Response:
        harness.client.cookies.clear()
        return harness.client.request(method, path, headers=self.headers, **extra)


def _signed(harness: Harness, response: httpx.Response, mode: str) -> Signed:
    assert response.status_code == 200, response.text
    cookies = dict(harness.client.cookies)
    harness.client.cookies.clear()
    if mode == "session":
        return Signed(mode, cookies[SESSION_COOKIE])
    return Signed(mode, response.json()["data"]["access_token"])


def _code(response: httpx.Response) -> str:
    value: str = response.json()["errors"][0]["extensions"]["code"]
    return value


def _sessions(harness: Harness, signed: Signed) -> list[dict[str, Any]]:
    response = signed.call(harness, "GET", "/users/me/sessions")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def _current(harness: Harness, signed: Signed) -> dict[str, Any]:
    current = [s for s in _sessions(harness, signed) if s["current"]]
    assert len(current) == 1, current
    return current[0]


def _notices(harness: Harness, to: str) -> list[str]:
    return [m.template for m in harness.outbox.sent if m.to == to and "security-" in m.template]


class Person(Member):
    """A member with a passkey and TOTP, who may read and set their own ``tfa_secret``."""

    def __init__(self, harness: Harness, role: str) -> None:
        super().__init__(harness, role=role)
        self.secret = ""

    def as_enrolled(self) -> Enrolled:
        return Enrolled(self.user, self.headers, self.secret)

    def with_totp(self) -> Person:
        self.secret = enrol(self.harness, self.headers)
        return self


def _password(harness: Harness, email: str, mode: str = "json", **extra: Any) -> Signed:
    harness.client.cookies.clear()
    return _signed(harness, harness.login(email, mode=mode, **extra), mode)


def _passkey(harness: Harness, member: Member, mode: str = "json") -> Signed:
    credential = member.authenticator.get(sign_in_options(harness))
    return _signed(harness, passkey_login(harness, credential, mode=mode), mode)


@pytest.fixture(scope="module")
def role(harness: Harness) -> str:
    return tfa_role(harness, "Cross features")


@pytest.fixture(scope="module")
def enforced(harness: Harness) -> str:
    return tfa_role(harness, "Cross features enforced", enforce_tfa=True)


def _sign_in(harness: Harness, role: str, path: str) -> tuple[Person, Signed]:
    person = Person(harness, role)
    kind, _, mode = path.partition(" ")
    if path == "password + totp":
        person.with_totp()
        return person, _password(harness, person.email, otp=code(harness, person.secret))
    if path == "password + recovery code":
        person.with_totp()
        codes = make_codes(harness, person.as_enrolled())
        return person, _password(harness, person.email, otp=codes[0])
    if path == "password + passkey":
        person.enrol()
        person.with_totp()
        credential = person.authenticator.get(sign_in_options(harness, person.email))
        return person, _password(harness, person.email, passkey=credential)
    if kind == "passkey":
        person.enrol()
        return person, _passkey(harness, person, mode)
    return person, _password(harness, person.email, mode)


@pytest.mark.parametrize("path", PATHS)
def test_every_sign_in_is_a_listed_current_session_that_ends_at_once(
    harness: Harness, role: str, path: str
) -> None:
    person, signed = _sign_in(harness, role, path)
    other = Signed("json", person.headers["Authorization"].removeprefix("Bearer "))

    mine = _current(harness, signed)
    ended = other.call(harness, "DELETE", f"/users/me/sessions/{mine['id']}")
    after = signed.call(harness, "GET", "/users/me")

    assert mine["mode"] == signed.mode
    assert mine["id"] != _current(harness, other)["id"]
    assert ended.status_code == 204, ended.text
    assert (after.status_code, _code(after)) == (401, "INVALID_CREDENTIALS")
    assert mine["id"] not in [s["id"] for s in _sessions(harness, other)]


@pytest.mark.parametrize("path", PATHS)
def test_a_session_ends_itself(harness: Harness, role: str, path: str) -> None:
    _, signed = _sign_in(harness, role, path)

    ended = signed.call(harness, "DELETE", f"/users/me/sessions/{_current(harness, signed)['id']}")
    after = signed.call(harness, "GET", "/users/me/sessions")

    assert ended.status_code == 204, ended.text
    assert (after.status_code, _code(after)) == (401, "INVALID_CREDENTIALS")


def test_sign_out_everywhere_else_keeps_the_caller_and_the_keys(
    harness: Harness, role: str
) -> None:
    person = Person(harness, role)
    person.enrol()
    caller = _password(harness, person.email, "cookie")
    by_passkey = _passkey(harness, person, "session")
    by_password = _password(harness, person.email)
    made = caller.call(harness, "POST", "/users/me/keys", json={"name": "ci"})
    assert made.status_code == 200, made.text
    key = {"Authorization": f"Bearer {made.json()['data']['token']}"}

    ended = caller.call(harness, "DELETE", "/users/me/sessions")

    assert ended.status_code == 204, ended.text
    assert [s["current"] for s in _sessions(harness, caller)] == [True]
    for gone in (by_passkey, by_password):
        refused = gone.call(harness, "GET", "/users/me")
        assert (refused.status_code, _code(refused)) == (401, "INVALID_CREDENTIALS")
    harness.client.cookies.clear()
    assert harness.client.get("/users/me", headers=key).status_code == 200
    listed = caller.call(harness, "GET", "/users/me/keys")
    assert [k["name"] for k in listed.json()["data"]] == ["ci"]


def test_api_keys_list_no_current_session_and_may_not_end_them(harness: Harness, role: str) -> None:
    person = Person(harness, role)
    signed = _password(harness, person.email)
    made = signed.call(harness, "POST", "/users/me/keys", json={"name": "ci"})
    key = Signed("json", made.json()["data"]["token"])

    listed = key.call(harness, "GET", "/users/me/sessions")
    everywhere = key.call(harness, "DELETE", "/users/me/sessions")

    assert (listed.status_code, _code(listed)) == (403, "FORBIDDEN")
    assert (everywhere.status_code, _code(everywhere)) == (403, "FORBIDDEN")
    assert signed.call(harness, "GET", "/users/me").status_code == 200


# ----------------------------------------------------------------- TFA_SETUP_REQUIRED


def _held_back(response: httpx.Response) -> bool:
    return response.status_code == 403 and _code(response) == "TFA_SETUP_REQUIRED"


@pytest.mark.parametrize("factor", ["passkey", "totp"])
def test_one_enrolment_releases_every_session_of_a_held_back_user(
    harness: Harness, enforced: str, factor: str
) -> None:
    person = Person(harness, enforced)
    sessions = [_password(harness, person.email, mode) for mode in ("json", "cookie", "session")]
    first = sessions[0]

    held = [
        first.call(harness, "GET", "/users/me/sessions"),
        first.call(harness, "DELETE", "/users/me/sessions"),
        first.call(harness, "GET", "/users/me/keys"),
        first.call(harness, "POST", "/users/me/keys", json={"name": "x"}),
    ]
    passkeys = first.call(harness, "GET", "/users/me/passkeys")
    if factor == "passkey":
        person.headers = first.headers
        person.enrol()
    else:
        enrol(harness, first.headers)

    assert all(_held_back(r) for r in held), [r.text for r in held]
    assert passkeys.status_code == 200, passkeys.text
    for signed in sessions:
        listed = _sessions(harness, signed)
        assert len(listed) == 4  # and the one Member signed in with
        assert signed.call(harness, "GET", "/users/me/keys").status_code == 200
    expected = "security-passkey-added" if factor == "passkey" else "security-tfa-enabled"
    assert _notices(harness, person.email) == [expected]


def test_a_passkey_sign_in_of_an_enforced_user_is_not_held_back(
    harness: Harness, enforced: str
) -> None:
    person = Person(harness, enforced)
    person.headers = _password(harness, person.email).headers
    person.enrol()

    signed = _passkey(harness, person)

    assert _current(harness, signed)["mode"] == "json"
    assert signed.call(harness, "GET", "/users/me/keys").status_code == 200


# --------------------------------------------------------------------- security notices


def test_a_recovery_code_at_a_passkey_less_login_mails_once(harness: Harness, role: str) -> None:
    person = Person(harness, role).with_totp()
    codes = make_codes(harness, person.as_enrolled())
    before = len(_notices(harness, person.email))

    _password(harness, person.email, otp=codes[0])

    assert _notices(harness, person.email)[before:] == ["security-recovery-code-used"]


def test_a_recovery_code_with_a_passkey_enrolled_mails_once(harness: Harness, role: str) -> None:
    person = Person(harness, role)
    person.enrol()
    person.with_totp()
    codes = make_codes(harness, person.as_enrolled())
    before = len(_notices(harness, person.email))

    _password(harness, person.email, "session", otp=codes[0])

    assert _notices(harness, person.email)[before:] == ["security-recovery-code-used"]


def test_signing_in_by_passkey_or_second_factor_mails_nothing(harness: Harness, role: str) -> None:
    person = Person(harness, role)
    person.enrol()
    person.with_totp()
    before = _notices(harness, person.email)

    _passkey(harness, person)
    _password(harness, person.email, otp=code(harness, person.secret))
    credential = person.authenticator.get(sign_in_options(harness, person.email))
    _password(harness, person.email, passkey=credential)

    assert before == ["security-passkey-added", "security-tfa-enabled"]
    assert _notices(harness, person.email) == before


def test_enrolment_and_keys_mail_once_each(harness: Harness, role: str) -> None:
    person = Person(harness, role)
    person.enrol()
    person.with_totp()
    make_codes(harness, person.as_enrolled())
    made = harness.client.post("/users/me/keys", json={"name": "n"}, headers=person.headers)
    assert made.status_code == 200, made.text

    assert _notices(harness, person.email) == [
        "security-passkey-added",
        "security-tfa-enabled",
        "security-recovery-codes",
        "security-api-key-added",
    ]


def test_users_are_separate(harness: Harness, role: str) -> None:
    _, signed = _sign_in(harness, role, "passkey json")
    other = Person(harness, role)
    theirs = _password(harness, other.email)

    refused = theirs.call(
        harness, "DELETE", f"/users/me/sessions/{_current(harness, signed)['id']}"
    )

    assert (refused.status_code, _code(refused)) == (403, "FORBIDDEN")
    assert signed.call(harness, "GET", "/users/me").status_code == 200


def test_static_tokens_and_keys_of_a_held_back_user_are_released_by_one_enrolment(
    harness: Harness, enforced: str
) -> None:
    person = Person(harness, enforced)
    static = harness.client.patch(
        f"/users/{person.user['id']}", json={"token": "cross-static-token"}, headers=harness.admin
    )
    assert static.status_code == 200, static.text
    made = harness.client.post(
        f"/users/{person.user['id']}/keys", json={"name": "by admin"}, headers=harness.admin
    )
    assert made.status_code == 200, made.text
    credentials = [
        Signed("json", "cross-static-token"),
        Signed("json", made.json()["data"]["token"]),
    ]

    held = [c.call(harness, "GET", "/users", params={"fields": "id"}) for c in credentials]
    person.enrol()
    released = [c.call(harness, "GET", "/users", params={"fields": "id"}) for c in credentials]

    assert all(_held_back(r) for r in held), [r.text for r in held]
    assert [r.status_code for r in released] == [200, 200], [r.text for r in released]
    assert [r.json()["data"] for r in released] == [[{"id": person.user["id"]}]] * 2


@pytest.mark.parametrize("mode", ["json", "cookie", "session"])
def test_a_refreshed_passkey_session_keeps_its_id_and_stays_current(
    harness: Harness, role: str, mode: str
) -> None:
    person = Person(harness, role)
    person.enrol()
    harness.client.cookies.clear()
    credential = person.authenticator.get(sign_in_options(harness))
    response = passkey_login(harness, credential, mode=mode)
    assert response.status_code == 200, response.text
    jar = dict(harness.client.cookies)
    signed = _signed(harness, response, mode)
    session = _current(harness, signed)["id"]
    harness.clock.advance(120)

    if mode == "json":
        body: dict[str, Any] = {
            "mode": mode,
            "refresh_token": response.json()["data"]["refresh_token"],
        }
        headers: dict[str, str] = {}
    elif mode == "cookie":
        body, headers = (
            {"mode": mode},
            {"Cookie": f"directus_refresh_token={jar['directus_refresh_token']}"},
        )
    else:
        body, headers = {"mode": mode}, signed.headers
    refreshed = harness.client.post("/auth/refresh", json=body, headers=headers)
    again = _signed(harness, refreshed, mode)

    assert _current(harness, again)["id"] == session
    assert _current(harness, again)["mode"] == mode


def test_turning_two_factor_off_with_a_recovery_code_mails_each_change_once(
    harness: Harness, role: str
) -> None:
    person = Person(harness, role)
    person.enrol()
    person.with_totp()
    codes = make_codes(harness, person.as_enrolled())
    before = len(_notices(harness, person.email))

    disabled = harness.client.post(
        "/users/me/tfa/disable", json={"otp": codes[0]}, headers=person.headers
    )
    signed = _passkey(harness, person)

    assert disabled.status_code == 204, disabled.text
    assert _notices(harness, person.email)[before:] == ["security-tfa-disabled"]
    assert _current(harness, signed)["mode"] == "json"
