"""Several providers, one account: linking another provider's identity to a signed-in account
(``GET /auth/link/<provider>``, the provider's whole flow, the state bound to the session),
signing in with it, listing and unlinking, against the real OpenID peer and a real server on
SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx2 as httpx
import pytest

from tests.sso.conftest import Browser, OidcPeer
from tests.sso.sso_servers import PEER_PASSWORD, OpServer, start_op_server
from tests.support.backends import BACKENDS

ACCOUNT = "/admin/account"


@pytest.fixture(scope="module", params=BACKENDS)
def op(
    request: pytest.FixtureRequest, oidc_peer: OidcPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpServer]:
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp(f"op-link-{request.param}")
        yield start_op_server(stack, tmp, request.param, oidc_peer)


def local_browser(op: OpServer, browser_factory: Any, mode: str = "session") -> tuple[Browser, str]:
    """A browser signed in with a password (a new local user); the user's id."""
    user, email = op.local_user()
    browser: Browser = browser_factory(op.client(), op.url)
    op.password_login(browser.app, email, mode)
    return browser, user


def link(browser: Browser, login: str, query: str = "") -> str:
    """Runs the link flow; where authgate finally sent the browser."""
    flow = browser.login(
        f"/auth/link/op?redirect={ACCOUNT}{query}", login=login, password=PEER_PASSWORD
    )
    assert flow.last.status_code == 302, flow.last.text
    return flow.location


def provider_login(op: OpServer, browser_factory: Any, login: str) -> tuple[str, Browser]:
    """Signs in through the provider in a new browser; ``(location, browser)``."""
    browser: Browser = browser_factory(op.client(), op.url)
    flow = browser.login("/auth/login/op?redirect=/app", login=login, password=PEER_PASSWORD)
    return flow.location, browser


def me(browser: Browser) -> dict[str, Any]:
    """The signed-in user, as the admin reads it (a role-less user reads only its id)."""
    response = browser.app.get("/users/me", params={"fields": "id"})
    assert response.status_code == 200, response.text
    user = response.json()["data"]["id"]
    with httpx.Client(base_url=str(browser.app.base_url), timeout=10) as admin:
        found = admin.get(
            f"/users/{user}",
            params={"fields": "id,provider,external_identifier,email"},
            headers={"Authorization": "Bearer admin-static-token-for-tests"},
        )
    assert found.status_code == 200, found.text
    data: dict[str, Any] = found.json()["data"]
    return data


def identities(browser: Browser, **headers: str) -> list[dict[str, Any]]:
    response = browser.app.get("/users/me/identities", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


# ------------------------------------------------------------------------------ linking


def test_a_linked_identity_signs_the_account_in(op: OpServer, browser_factory: Any) -> None:
    browser, user = local_browser(op, browser_factory)
    login = op.account()

    assert link(browser, login) == ACCOUNT

    listed = identities(browser)
    assert [(i["provider"], i["subject_hint"]) for i in listed] == [
        ("op", f"{login[:2]}…{login[-2:]}")
    ]
    assert set(listed[0]) == {"id", "provider", "subject_hint", "linked_at"}
    assert login not in str(listed)
    location, other = provider_login(op, browser_factory, login)
    assert location == "/app"
    found = me(other)
    assert (found["id"], found["provider"], found["external_identifier"]) == (
        user,
        "default",
        None,
    )


def test_a_refresh_cookie_session_links_with_its_access_token(
    op: OpServer, browser_factory: Any
) -> None:
    user, email = op.local_user()
    browser: Browser = browser_factory(op.client(), op.url)
    tokens = op.password_login(browser.app, email, "cookie")
    login = op.account()

    assert link(browser, login, f"&access_token={tokens['access_token']}") == ACCOUNT

    _, other = provider_login(op, browser_factory, login)
    assert me(other)["id"] == user


def test_linking_needs_a_signed_in_session(op: OpServer) -> None:
    with httpx.Client(base_url=op.url, timeout=10) as anonymous:
        response = anonymous.get("/auth/link/op", params={"redirect": ACCOUNT})

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "location" not in response.headers


def test_a_link_redirect_that_is_not_allowed_is_refused(op: OpServer, browser_factory: Any) -> None:
    browser, _ = local_browser(op, browser_factory)

    response = browser.app.get("/auth/link/op", params={"redirect": "https://evil.example/"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


def test_an_identity_linked_to_another_account_is_refused(
    op: OpServer, browser_factory: Any
) -> None:
    first, first_user = local_browser(op, browser_factory)
    second, _ = local_browser(op, browser_factory)
    login = op.account()
    assert link(first, login) == ACCOUNT

    assert link(second, login) == f"{ACCOUNT}?reason=RECORD_NOT_UNIQUE"

    assert identities(second) == []
    page = second.app.get(f"{ACCOUNT}?reason=RECORD_NOT_UNIQUE")
    assert "That sign-in already belongs to another account." in page.text
    _, other = provider_login(op, browser_factory, login)
    assert me(other)["id"] == first_user


def test_another_accounts_own_provider_identity_is_refused(
    op: OpServer, browser_factory: Any
) -> None:
    login = op.account()
    location, owner = provider_login(op, browser_factory, login)  # creates its own account
    assert location == "/app"
    browser, _ = local_browser(op, browser_factory)

    assert link(browser, login) == f"{ACCOUNT}?reason=RECORD_NOT_UNIQUE"

    assert identities(browser) == []
    assert me(owner)["external_identifier"] == login


def test_a_matching_email_links_nothing(op: OpServer, browser_factory: Any) -> None:
    browser, _user = local_browser(op, browser_factory)
    login = op.account(email=me(browser)["email"])

    location, _ = provider_login(op, browser_factory, login)

    assert location == "/app?reason=INVALID_PROVIDER"  # the address is someone else's
    assert identities(browser) == []


def test_the_callback_in_another_session_links_nothing(op: OpServer, browser_factory: Any) -> None:
    """The state is bound to the session that started the link: finishing the flow after
    that session ended (here: another account signed in in the same browser) is refused."""
    browser, first_user = local_browser(op, browser_factory)
    login = op.account()
    started = browser.login(
        f"/auth/link/op?redirect={ACCOUNT}",
        login=login,
        password=PEER_PASSWORD,
        stop_before="/auth/login/op/callback",
    )
    callback = started.location
    assert browser.app.post("/auth/logout", json={"mode": "session"}).status_code == 204
    _, email = op.local_user()
    op.password_login(browser.app, email)

    flow = browser.login(callback)

    assert flow.location == f"{ACCOUNT}?reason=INVALID_CREDENTIALS"
    assert identities(browser) == []
    location, other = provider_login(op, browser_factory, login)
    assert location == "/app"
    assert me(other)["id"] != first_user


# ---------------------------------------------------------------------------- unlinking


def test_unlinking_ends_the_way_in(op: OpServer, browser_factory: Any) -> None:
    browser, user = local_browser(op, browser_factory)
    login = op.account()
    link(browser, login)
    [identity] = identities(browser)

    response = browser.app.delete(f"/users/me/identities/{identity['id']}")

    assert response.status_code == 204
    assert identities(browser) == []
    _, other = provider_login(op, browser_factory, login)
    assert me(other)["id"] != user  # a new account of its own (public registration is on)


def test_the_last_way_to_sign_in_stays(op: OpServer, browser_factory: Any) -> None:
    browser, user = local_browser(op, browser_factory)
    login = op.account()
    link(browser, login)
    with httpx.Client(base_url=op.url, timeout=10) as admin:
        removed = admin.patch(f"/users/{user}", json={"password": None}, headers=op.server.admin)
    assert removed.status_code == 200, removed.text
    _, linked = provider_login(op, browser_factory, login)  # now the only way in
    [identity] = identities(linked)

    response = linked.app.delete(f"/users/me/identities/{identity['id']}")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_PAYLOAD"
    assert error["message"] == "Invalid payload. The last way to sign in can't be removed."
    assert len(identities(linked)) == 1
    assert me(linked)["id"] == user
    # The account page's Unlink form says why.
    page = linked.app.get(ACCOUNT)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = linked.app.post(
        f"{ACCOUNT}/identities/{identity['id']}/unlink", data={"csrf": csrf.group(1)}
    )
    assert form.status_code in (302, 303)
    assert form.headers["location"].endswith(f"{ACCOUNT}?reason=INVALID_PAYLOAD")
    shown = linked.app.get(form.headers["location"])
    assert "This is your last way to sign in" in shown.text
    assert len(identities(linked)) == 1


def test_only_ones_own_identities_can_be_unlinked(op: OpServer, browser_factory: Any) -> None:
    owner, _ = local_browser(op, browser_factory)
    link(owner, op.account())
    [identity] = identities(owner)
    stranger, _ = local_browser(op, browser_factory)

    for target in (identity["id"], "00000000-0000-4000-8000-000000000000", "not-an-id"):
        response = stranger.app.delete(f"/users/me/identities/{target}")
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(identities(owner)) == 1


def test_identities_need_a_user(op: OpServer) -> None:
    with httpx.Client(base_url=op.url, timeout=10) as anonymous:
        listed = anonymous.get("/users/me/identities")
        deleted = anonymous.delete("/users/me/identities/00000000-0000-4000-8000-000000000000")

    assert listed.status_code == 401
    assert deleted.status_code == 401
    assert listed.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"


def test_identities_are_listed_for_every_transport(op: OpServer, browser_factory: Any) -> None:
    browser, _ = local_browser(op, browser_factory)
    link(browser, op.account())
    _user, email = op.local_user()
    with httpx.Client(base_url=op.url, timeout=10) as client:
        tokens = op.password_login(client, email, "json")
        bearer = client.get(
            "/users/me/identities", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        query = client.get("/users/me/identities", params={"access_token": tokens["access_token"]})

    assert len(identities(browser)) == 1  # session cookie
    assert bearer.json() == {"data": []}
    assert query.json() == {"data": []}


def test_a_replayed_link_callback_is_reported_not_restarted_as_a_sign_in(
    op: OpServer, browser_factory: Any
) -> None:
    browser, user = local_browser(op, browser_factory)
    login = op.account()
    started = browser.login(
        f"/auth/link/op?redirect={ACCOUNT}",
        login=login,
        password=PEER_PASSWORD,
        stop_before="/auth/login/op/callback",
    )
    callback = started.location
    state = browser.app.cookies["openid.op"]
    assert browser.login(callback).location == ACCOUNT

    browser.app.cookies.set("openid.op", state)
    replay = browser.login(callback)

    assert replay.location == f"{ACCOUNT}?reason=INVALID_TOKEN"
    assert len(identities(browser)) == 1
    assert me(browser)["id"] == user  # still the same session, no sign-in happened


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_a_link_another_site_starts_is_refused(
    op: OpServer, browser_factory: Any, fetch_site: str
) -> None:
    """Link CSRF: another site sends the signed-in victim to ``/auth/link/op``; were the
    provider's session in that browser the attacker's (a login CSRF at the provider), the
    attacker's identity would become a way into the victim's account. A browser says where a
    navigation comes from (``Sec-Fetch-Site``): only the account's own origin, or the person
    typing the address, starts a link."""
    browser, _ = local_browser(op, browser_factory)

    refused = browser.app.get(
        "/auth/link/op", params={"redirect": ACCOUNT}, headers={"Sec-Fetch-Site": fetch_site}
    )
    typed = browser.app.get(
        "/auth/link/op", params={"redirect": ACCOUNT}, headers={"Sec-Fetch-Site": "none"}
    )
    own = browser.app.get(
        "/auth/link/op", params={"redirect": ACCOUNT}, headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "set-cookie" not in refused.headers
    assert "location" not in refused.headers
    for started in (typed, own):
        assert started.status_code == 302, started.text
        assert started.headers["location"].startswith(op.peer.issuer), started.headers["location"]


def test_an_api_key_does_not_start_a_link(op: OpServer) -> None:
    _user, email = op.local_user()
    with httpx.Client(base_url=op.url, timeout=10) as client:
        tokens = op.password_login(client, email, "json")
        made = client.post(
            "/users/me/keys",
            json={"name": "k"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        key = made.json()["data"]["token"]
        client.cookies.clear()
        response = client.get("/auth/link/op", params={"redirect": ACCOUNT, "access_token": key})

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_linked_identity_of_a_suspended_user_signs_nobody_in(
    op: OpServer, browser_factory: Any
) -> None:
    browser, user = local_browser(op, browser_factory)
    login = op.account()
    assert link(browser, login) == ACCOUNT
    with httpx.Client(base_url=op.url, timeout=10) as admin:
        suspended = admin.patch(
            f"/users/{user}", json={"status": "suspended"}, headers=op.server.admin
        )
    assert suspended.status_code == 200, suspended.text

    location, other = provider_login(op, browser_factory, login)

    assert location.startswith("/app?reason="), location
    assert other.app.get("/users/me").status_code == 401
