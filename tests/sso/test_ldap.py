"""LDAP against a real OpenLDAP (Debian's ``slapd``, run by ``peers/slapd/peer.py``): login and
its modes, wrong password and unknown user (same answer, same binds), group to role mapping,
sync of changed attributes, TLS, the server restarted under the client, a directory that is
down or never answers, and a service account the directory refuses."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from authgate import totp
from authgate.config.env import ConfigError, read_environment
from authgate.config.settings import ProviderSettings
from authgate.providers.ldap import directory_config
from authgate.providers.options import Options
from tests.sso.conftest import SsoApp, sso_app
from tests.sso.peers.slapd.peer import (
    BASE_DN,
    GROUPS_DN,
    PEOPLE_DN,
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
    binaries,
    make_tls,
)
from tests.support.backends import BACKENDS

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_ROLE = "5a1b7c3e-0d2f-4e6a-8b9c-000000000001"
EDITORS_ROLE = "5a1b7c3e-0d2f-4e6a-8b9c-000000000002"
ADMINS_ROLE = "5a1b7c3e-0d2f-4e6a-8b9c-000000000003"
PASSWORD = "dir-Passw0rd!"
POSIX_OU = "posix"


# ------------------------------------------------------------------------------ the peer


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    missing = [name for name, path in binaries().items() if path is None]
    if missing:
        message = f"OpenLDAP is not installed ({', '.join(missing)} missing): apt-get install slapd ldap-utils"
        if IN_CI:
            pytest.fail(f"{message} (required under CI=true)", pytrace=False)
        pytest.skip(message)
    server = Slapd.create(tmp_path_factory.mktemp("slapd"))
    try:
        server.add_ou(POSIX_OU)
        yield server
    finally:
        server.stop()


def directory_env(name: str, url: str, **extra: str) -> dict[str, str]:
    prefix = f"AUTH_{name.upper()}_"
    env = {
        prefix + "DRIVER": "ldap",
        prefix + "CLIENT_URL": url,
        prefix + "BIND_DN": SERVICE_DN,
        prefix + "BIND_PASSWORD": SERVICE_PASSWORD,
        prefix + "USER_DN": PEOPLE_DN,
        prefix + "USER_ATTRIBUTE": "uid",
        # Short bounds: the unreachable providers below must answer quickly.
        prefix + "CLIENT__CONNECT_TIMEOUT": "1000",
        prefix + "CLIENT__TIMEOUT": "1500",
    }
    env.update({prefix + key: value for key, value in extra.items()})
    return env


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest,
    slapd: Slapd,
    tmp_path_factory: pytest.TempPathFactory,
    blackhole: str,
    closed_port: str,
) -> Iterator[SsoApp]:
    tmp = tmp_path_factory.mktemp(f"ldap-{request.param}")
    other_ca = make_tls(tmp_path_factory.mktemp("other-ca"))
    env: dict[str, str] = {
        "AUTH_PROVIDERS": "dir,plain,bymail,posix,secure,untrusted,trusting,down,silent,badbind,local2"
    }
    env.update(
        directory_env(
            "dir",
            slapd.url,
            GROUP_DN=GROUPS_DN,
            DEFAULT_ROLE_ID=DEFAULT_ROLE,
            SYNC_USER_INFO="true",
            LABEL="Directory",
        )
    )
    env.update(directory_env("plain", slapd.url, DEFAULT_ROLE_ID=DEFAULT_ROLE))
    env.update(directory_env("bymail", slapd.url, USER_ATTRIBUTE="mail"))
    env.update(
        directory_env(
            "posix",
            slapd.url,
            GROUP_DN=f"ou={POSIX_OU},{BASE_DN}",
            GROUP_ATTRIBUTE="memberUid",
        )
    )
    # The CA as a file (``_FILE``), as a deployment would give it.
    env.update(
        directory_env("secure", slapd.tls_url, CLIENT__TLS_OPTIONS__CA_FILE=str(slapd.tls.ca_path))
    )
    env.update(directory_env("untrusted", slapd.tls_url, CLIENT__TLS_OPTIONS__CA=other_ca.ca_pem))
    env.update(
        directory_env(
            "trusting",
            slapd.tls_url,
            CLIENT__TLS_OPTIONS__CA=other_ca.ca_pem,
            CLIENT__TLS_OPTIONS__REJECT_UNAUTHORIZED="false",
        )
    )
    env.update(directory_env("down", closed_port.replace("http://", "ldap://")))
    env.update(
        directory_env("silent", blackhole.replace("http://", "ldap://"), CLIENT__TIMEOUT="1000")
    )
    env.update(directory_env("badbind", slapd.url, BIND_PASSWORD="not-the-password"))
    env["AUTH_LOCAL2_DRIVER"] = "local"
    # As the server reads its environment: ``_FILE`` variables become their files' contents.
    with sso_app(read_environment(env, cwd=tmp), request.param, tmp) as running:
        running.create_role(DEFAULT_ROLE, "Default")
        running.create_role(EDITORS_ROLE, "editors")  # group cn "Editors": matched by name
        running.create_role(ADMINS_ROLE, "Admins")
        yield running


def person(slapd: Slapd, **fields: Any) -> tuple[str, str]:
    """A new directory user; returns (uid, dn)."""
    uid = f"u{uuid.uuid4().hex[:10]}"
    dn = slapd.add_user(
        uid,
        fields.pop("password", PASSWORD),
        given_name=fields.pop("given_name", "Grace"),
        sn=fields.pop("sn", "Hopper"),
        mail=fields.pop("mail", f"{uid}@example.test"),
        **fields,
    )
    return uid, dn


def login(
    app: SsoApp, provider: str, identifier: str, password: str = PASSWORD, **body: Any
) -> httpx.Response:
    app.client.cookies.clear()
    return app.client.post(
        f"/auth/login/{provider}", json={"identifier": identifier, "password": password, **body}
    )


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def me(app: SsoApp, access_token: str) -> dict[str, Any]:
    response = app.client.get("/users/me", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    return app.user(response.json()["data"]["id"])


# ------------------------------------------------------------------------------- login


def test_a_directory_user_logs_in_and_is_created_from_the_entry(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd, given_name="Ada", sn="Lovelace")

    response = login(app, "dir", uid)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"access_token", "refresh_token", "expires"}
    user = me(app, data["access_token"])
    assert user["external_identifier"] == dn
    assert user["provider"] == "dir"
    assert (user["first_name"], user["last_name"]) == ("Ada", "Lovelace")
    assert user["email"] == f"{uid}@example.test"
    assert user["role"] == DEFAULT_ROLE  # in no group: the default role
    assert user["password"] is None  # the directory keeps the password


def test_a_returning_user_is_the_same_user(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)

    first = me(app, login(app, "dir", uid).json()["data"]["access_token"])
    second = me(app, login(app, "dir", uid).json()["data"]["access_token"])

    assert first["id"] == second["id"]


def test_session_mode_sets_the_session_cookie_and_still_answers_the_access_token(
    app: SsoApp, slapd: Slapd
) -> None:
    uid, _ = person(slapd)

    response = login(app, "dir", uid, mode="session")

    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"access_token", "expires"}
    cookie = app.settings.session_cookie.name
    assert response.cookies.get(cookie) == response.json()["data"]["access_token"]


def test_cookie_mode_sets_the_refresh_cookie_and_refresh_works(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)

    response = login(app, "dir", uid, mode="cookie")
    refresh_cookie = app.settings.refresh_cookie.name
    token = response.cookies.get(refresh_cookie)
    refreshed = app.client.post("/auth/refresh", json={"mode": "json", "refresh_token": token})

    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"access_token", "expires"}
    assert token
    assert refreshed.status_code == 200, refreshed.text


def test_login_binds_as_the_user_over_tls_with_the_configured_ca(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd)

    response = login(app, "secure", uid)

    assert response.status_code == 200, response.text
    assert me(app, response.json()["data"]["access_token"])["external_identifier"] == dn


def test_a_certificate_from_another_ca_is_refused(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)

    refused = login(app, "untrusted", uid)
    unchecked = login(app, "trusting", uid)  # REJECT_UNAUTHORIZED=false, as in ldapts

    assert refused.status_code == 503
    assert error_code(refused) == "SERVICE_UNAVAILABLE"
    assert unchecked.status_code == 200, unchecked.text


def test_two_factor_needs_the_otp(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)
    user = me(app, login(app, "dir", uid).json()["data"]["access_token"])
    secret = totp.generate_secret()
    app.set_user(user["id"], tfa_secret=secret)

    without = login(app, "dir", uid)
    code = totp.code_at(secret, totp.step_at(app.app.services.clock.now()))
    with_code = login(app, "dir", uid, otp=code)

    assert error_code(without) == "INVALID_OTP"
    assert with_code.status_code == 200, with_code.text


def test_wrong_codes_on_a_directory_sign_in_count_toward_the_lockout(
    app: SsoApp, slapd: Slapd
) -> None:
    """Decision 15: the code of an SSO sign-in is checked by authgate and counted like a
    local one; past the limit the right code is refused too, without being checked."""
    uid, _ = person(slapd)
    user = me(app, login(app, "dir", uid).json()["data"]["access_token"])
    secret = totp.generate_secret()
    app.set_user(user["id"], tfa_secret=secret)
    app.client.patch("/settings", json={"auth_login_attempts": 2}, headers=app.admin)
    try:
        code = totp.code_at(secret, totp.step_at(app.app.services.clock.now()))
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        failures = [error_code(login(app, "dir", uid, otp=wrong)) for _ in range(2)]
        locked = login(app, "dir", uid, otp=code)
    finally:
        app.client.patch("/settings", json={"auth_login_attempts": 25}, headers=app.admin)

    assert failures == ["INVALID_OTP", "INVALID_OTP"]
    assert (locked.status_code, error_code(locked)) == (401, "INVALID_OTP")


# ----------------------------------------------------------------------- refused logins


def _binds(slapd: Slapd, since: int) -> list[str]:
    return re.findall(r'BIND dn="([^"]*)" method=128', slapd.log_text()[since:])


def _binds_after(slapd: Slapd, since: int, count: int) -> list[str]:
    """The simple binds slapd logged after offset ``since``, once ``count`` have appeared (the
    log is written by slapd's own threads; wait a bounded while for it)."""
    deadline = time.monotonic() + 5
    found = _binds(slapd, since)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.02)
        found = _binds(slapd, since)
    return found


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer_after_the_same_work(
    app: SsoApp, slapd: Slapd
) -> None:
    uid, dn = person(slapd)
    assert login(app, "plain", uid).status_code == 200  # the service connection is pooled now

    mark = len(slapd.log_text())
    wrong = login(app, "plain", uid, "not-" + PASSWORD)
    wrong_binds = _binds_after(slapd, mark, 1)
    mark = len(slapd.log_text())
    unknown = login(app, "plain", "nobody-" + uid, PASSWORD)
    unknown_binds = _binds_after(slapd, mark, 1)

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert error_code(wrong) == "INVALID_CREDENTIALS"
    assert wrong_binds == [dn]  # one bind as the user...
    assert len(unknown_binds) == 1  # ...and one bind, as a DN that cannot exist
    assert unknown_binds[0].endswith("," + PEOPLE_DN)
    assert unknown_binds[0] != dn
    assert app.user_by_identifier(f"uid=nobody-{uid},{PEOPLE_DN}") is None


def test_a_wrong_password_neither_creates_nor_updates_the_user(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd)

    response = login(app, "dir", uid, "wrong")

    assert error_code(response) == "INVALID_CREDENTIALS"
    assert app.user_by_identifier(dn) is None


@pytest.mark.parametrize("identifier", ["*", "u*", "*)(uid=*", "\\2a"])
def test_filter_characters_in_the_identifier_match_nothing(
    app: SsoApp, slapd: Slapd, identifier: str
) -> None:
    person(slapd)

    response = login(app, "plain", identifier)

    assert response.status_code == 401
    assert error_code(response) == "INVALID_CREDENTIALS"


def test_an_identifier_that_matches_several_entries_is_refused(app: SsoApp, slapd: Slapd) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}@example.test"
    person(slapd, mail=shared)
    person(slapd, mail=shared)
    unique, _ = person(slapd)

    ambiguous = login(app, "bymail", shared)
    alone = login(app, "bymail", f"{unique}@example.test")

    assert ambiguous.status_code == 401
    assert error_code(ambiguous) == "INVALID_CREDENTIALS"
    assert alone.status_code == 200, alone.text


def test_the_body_is_validated(app: SsoApp) -> None:
    missing = app.client.post("/auth/login/dir", json={"password": PASSWORD})
    empty = app.client.post("/auth/login/dir", json={"identifier": "x", "password": ""})
    mode = app.client.post(
        "/auth/login/dir", json={"identifier": "x", "password": "y", "mode": "other"}
    )

    assert missing.status_code == empty.status_code == mode.status_code == 400
    assert missing.json()["errors"][0]["message"] == 'Invalid payload. "identifier" is required.'
    assert error_code(empty) == error_code(mode) == "INVALID_PAYLOAD"


def test_a_user_of_another_provider_with_the_same_dn_is_not_taken_over(
    app: SsoApp, slapd: Slapd
) -> None:
    uid, _ = person(slapd)
    me(app, login(app, "dir", uid).json()["data"]["access_token"])

    # "plain" reads the same directory: the DN is known, but as a user of "dir".
    response = login(app, "plain", uid)

    assert response.status_code == 401
    assert error_code(response) == "INVALID_CREDENTIALS"


# ---------------------------------------------------------------------------- groups


def test_groups_map_to_roles_by_name_case_insensitively(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd)
    group = f"cn=Editors-{uid},{GROUPS_DN}"
    slapd.add(
        f"dn: {group}\nobjectClass: groupOfNames\ncn: Editors-{uid}\ncn: Editors\nmember: {dn}\n"
    )

    user = me(app, login(app, "dir", uid).json()["data"]["access_token"])

    assert user["role"] == EDITORS_ROLE


def test_leaving_the_group_falls_back_to_the_default_role(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd)
    group = f"cn=Admins-{uid},{GROUPS_DN}"
    slapd.add(f"dn: {group}\nobjectClass: groupOfNames\ncn: Admins\nmember: {dn}\n")
    before = me(app, login(app, "dir", uid).json()["data"]["access_token"])

    slapd.delete(group)
    after = me(app, login(app, "dir", uid).json()["data"]["access_token"])

    assert before["role"] == ADMINS_ROLE
    assert after["role"] == DEFAULT_ROLE


def test_member_uid_groups_match_the_users_uid(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)
    slapd.add(
        f"dn: cn=x{uid},ou={POSIX_OU},{BASE_DN}\nobjectClass: posixGroup\ncn: x{uid}\n"
        f"cn: admins\ngidNumber: 5001\nmemberUid: {uid}\n"
    )

    user = me(app, login(app, "posix", uid).json()["data"]["access_token"])

    assert user["role"] == ADMINS_ROLE


# ------------------------------------------------------------------------------ sync


def test_changed_attributes_are_synced_at_the_next_login(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd, given_name="Old", sn="Name")
    login(app, "dir", uid)

    slapd.replace(dn, "givenName", "New")
    slapd.replace(dn, "sn", "Surname")
    slapd.replace(dn, "mail", f"renamed-{uid}@example.test")
    user = me(app, login(app, "dir", uid).json()["data"]["access_token"])

    assert (user["first_name"], user["last_name"]) == ("New", "Surname")
    assert user["email"] == f"renamed-{uid}@example.test"


def test_without_sync_the_user_keeps_its_values(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd, given_name="Kept")
    login(app, "plain", uid)

    slapd.replace(dn, "givenName", "Changed")
    user = me(app, login(app, "plain", uid).json()["data"]["access_token"])

    assert user["first_name"] == "Kept"


# -------------------------------------------------------------------- the session refresh


def test_refresh_is_refused_once_the_entry_is_gone(app: SsoApp, slapd: Slapd) -> None:
    uid, dn = person(slapd)
    first = login(app, "dir", uid).json()["data"]["refresh_token"]
    refreshed = app.client.post("/auth/refresh", json={"refresh_token": first})
    assert refreshed.status_code == 200, refreshed.text

    slapd.delete(dn)
    refused = app.client.post(
        "/auth/refresh", json={"refresh_token": refreshed.json()["data"]["refresh_token"]}
    )

    assert refused.status_code == 401
    assert error_code(refused) == "INVALID_CREDENTIALS"


# ---------------------------------------------------------------- the directory failing


def test_the_server_restarted_under_the_client(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)
    assert login(app, "dir", uid).status_code == 200  # pooled service connection in use

    slapd.stop()
    try:
        while_down = login(app, "dir", uid)
    finally:
        slapd.start()
    after = login(app, "dir", uid)

    assert while_down.status_code == 503
    assert error_code(while_down) == "SERVICE_UNAVAILABLE"
    assert after.status_code == 200, after.text  # the dropped connection was replaced


def test_a_restart_between_two_logins_is_not_even_noticed(
    app: SsoApp, slapd: Slapd, caplog: pytest.LogCaptureFixture
) -> None:
    uid, _ = person(slapd)
    assert login(app, "plain", uid).status_code == 200

    slapd.stop()
    slapd.start()
    with caplog.at_level("INFO", logger="authgate.providers"):
        response = login(app, "plain", uid)

    assert response.status_code == 200, response.text
    assert "a pooled connection was dropped" in caplog.text  # it was used, found dead, replaced


@pytest.mark.parametrize("provider", ["down", "silent"])
def test_an_unreachable_directory_is_service_unavailable(app: SsoApp, provider: str) -> None:
    response = login(app, provider, "anyone")

    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["service"] == "ldap"
    assert "127.0.0.1" not in response.text  # nothing about the network leaks to the caller


def test_a_refused_service_account_is_invalid_provider_config(app: SsoApp, slapd: Slapd) -> None:
    uid, _ = person(slapd)

    response = login(app, "badbind", uid)

    assert response.status_code == 503
    assert error_code(response) == "INVALID_PROVIDER_CONFIG"
    assert "not-the-password" not in response.text


def test_other_drivers_keep_their_routes(app: SsoApp) -> None:
    local = app.client.post(
        "/auth/login/local2", json={"email": "nobody@example.com", "password": "x"}
    )
    listed = app.client.get("/auth").json()["data"]

    assert error_code(local) == "INVALID_CREDENTIALS"
    assert {"name": "dir", "label": "Directory", "driver": "ldap"} in listed


# ------------------------------------------------------------------------ configuration


def _options(**values: Any) -> Options:
    """Options of a provider "corp"; a value of None leaves the key out."""
    base = {
        "CLIENT_URL": "ldap://127.0.0.1:1",
        "BIND_DN": "",
        "BIND_PASSWORD": "",
        "USER_DN": "o=x",
    }
    merged = {key: value for key, value in {**base, **values}.items() if value is not None}
    return Options(ProviderSettings("corp", "ldap", options=merged))


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"USER_DN": None}, "AUTH_CORP_USER_DN"),
        ({"CLIENT_URL": None}, "AUTH_CORP_CLIENT_URL"),
        ({"CLIENT_URL": "http://x"}, "AUTH_CORP_CLIENT_URL"),
        ({"USER_ATTRIBUTE": "uid)(x"}, "AUTH_CORP_USER_ATTRIBUTE"),
        ({"USER_SCOPE": "everything"}, "AUTH_CORP_USER_SCOPE"),
        ({"CLIENT__TIMEOUT": "soon"}, "AUTH_CORP_CLIENT__TIMEOUT"),
        ({"CLIENT__TLS_OPTIONS__CA": "/nonexistent.pem"}, "AUTH_CORP_CLIENT__TLS_OPTIONS__CA"),
    ],
)
def test_a_misconfigured_provider_names_the_variable(values: dict[str, Any], variable: str) -> None:
    options = _options(**values)

    with pytest.raises(ConfigError) as raised:
        directory_config(options)

    assert variable in str(raised.value)


def test_bind_dn_must_be_defined_even_if_empty() -> None:
    options = _options(BIND_DN=None)

    with pytest.raises(ConfigError, match="AUTH_CORP_BIND_DN"):
        directory_config(options)


def test_a_socket_path_and_nested_client_options_are_read() -> None:
    config = directory_config(
        _options(
            BIND_PASSWORD="pw-never-printed",
            CLIENT_URL=None,
            CLIENT__SOCKET_PATH="/run/slapd/ldapi",
            CLIENT__tlsOptions__rejectUnauthorized=False,
            CLIENT__CONNECT_TIMEOUT=250,
            GROUP_SCOPE="sub",
        )
    )

    assert config.url == "ldapi://%2Frun%2Fslapd%2Fldapi"
    assert config.tls is not None
    assert config.tls.verify is False
    assert config.connect_timeout == 0.25
    assert config.group_scope == "sub"
    assert "pw-never-printed" not in repr(config)
