"""Scripted flows for what depends on state: refresh and session tokens, mailed reset,
verification and invitation tokens, static tokens. Each flow runs on each server in turn; its
steps are compared one by one."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from conformance.cases import Flow, World, call
from conformance.client import Response
from conformance.fixtures import PASSWORD, login, mails, wait_for_mail
from conformance.servers import INVITE_URL, REGISTER_URL, RESET_URL

Steps = list[tuple[str, Response]]


def _data(answer: Response) -> dict[str, Any]:
    body = answer.json()
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def _gql_data(answer: Response, field: str) -> dict[str, Any]:
    body = answer.json()
    data = body.get("data") if isinstance(body, dict) else None
    inner = data.get(field) if isinstance(data, dict) else None
    return inner if isinstance(inner, dict) else {}


def json_mode(w: World) -> Steps:
    email = w.values["email_login"]
    first = login(w, email, PASSWORD)
    refresh = str(_data(first).get("refresh_token", ""))
    second = call(w, "POST", "/auth/refresh", {"refresh_token": refresh, "mode": "json"})
    newer = str(_data(second).get("refresh_token", ""))
    me = call(w, "GET", "/users/me?fields=email", token=str(_data(second).get("access_token", "")))
    out = call(w, "POST", "/auth/logout", {"refresh_token": newer})
    after = call(w, "POST", "/auth/refresh", {"refresh_token": newer, "mode": "json"})
    return [
        ("login", first),
        ("refresh", second),
        ("me with refreshed token", me),
        ("logout", out),
        ("refresh after logout", after),
    ]


def cookie_mode(w: World) -> Steps:
    email = w.values["email_login"]
    first = login(w, email, PASSWORD, "cookie")
    cookie = f"directus_refresh_token={first.cookies().get('directus_refresh_token', '')}"
    second = call(w, "POST", "/auth/refresh", {"mode": "cookie"}, cookie=cookie)
    cookie2 = f"directus_refresh_token={second.cookies().get('directus_refresh_token', '')}"
    no_mode = call(w, "POST", "/auth/refresh", {}, cookie=cookie2)
    cookie3 = f"directus_refresh_token={no_mode.cookies().get('directus_refresh_token', '')}"
    out = call(w, "POST", "/auth/logout", {"mode": "cookie"}, cookie=cookie3)
    after = call(w, "POST", "/auth/refresh", {"mode": "cookie"}, cookie=cookie3)
    return [
        ("login", first),
        ("refresh", second),
        ("refresh without mode", no_mode),
        ("logout", out),
        ("refresh after logout", after),
    ]


def session_mode(w: World) -> Steps:
    email = w.values["email_login"]
    first = login(w, email, PASSWORD, "session")
    cookie = f"directus_session_token={first.cookies().get('directus_session_token', '')}"
    me = call(w, "GET", "/users/me?fields=email", cookie=cookie)
    second = call(w, "POST", "/auth/refresh", {"mode": "session"}, cookie=cookie)
    cookie2 = f"directus_session_token={second.cookies().get('directus_session_token', '')}"
    me2 = call(w, "GET", "/users/me?fields=email", cookie=cookie2)
    out = call(w, "POST", "/auth/logout", {"mode": "session"}, cookie=cookie2)
    gone = call(w, "GET", "/users/me?fields=email", cookie=cookie2)
    return [
        ("login", first),
        ("me", me),
        ("refresh", second),
        ("me refreshed", me2),
        ("logout", out),
        ("me after logout", gone),
    ]


def login_otp_empty(w: World) -> Steps:
    body = {"email": w.values["email_login"], "password": PASSWORD, "otp": ""}
    return [("login", call(w, "POST", "/auth/login", body))]


def graphql_auth(w: World) -> Steps:
    email = w.values["email_login"]
    fields = "{ access_token refresh_token expires }"
    query = f'mutation {{ auth_login(email: "{email}", password: "{PASSWORD}") {fields} }}'
    first = call(w, "POST", "/graphql/system", {"query": query})
    refresh = str(_gql_data(first, "auth_login").get("refresh_token", ""))
    query = f'mutation {{ auth_refresh(refresh_token: "{refresh}", mode: json) {fields} }}'
    second = call(w, "POST", "/graphql/system", {"query": query})
    newer = str(_gql_data(second, "auth_refresh").get("refresh_token", ""))
    third = call(
        w,
        "POST",
        "/graphql/system",
        {"query": f'mutation {{ auth_logout(refresh_token: "{newer}") }}'},
    )
    bad = call(
        w,
        "POST",
        "/graphql/system",
        {"query": 'mutation { auth_refresh(refresh_token: "bogus") { access_token } }'},
    )
    request = call(
        w,
        "POST",
        "/graphql/system",
        {"query": 'mutation { auth_password_request(email: "nobody@example.com") }'},
    )
    return [
        ("auth_login", first),
        ("auth_refresh", second),
        ("auth_logout", third),
        ("auth_refresh bogus", bad),
        ("auth_password_request unknown", request),
    ]


def _token(mail: dict[str, Any]) -> str:
    for link in mail.get("links", []):
        token = parse_qs(urlsplit(str(link)).query).get("token")
        if token:
            return token[0]
    return "no-mail"


def _link_token(w: World, email: str, seen: set[str]) -> str:
    """The token of the next mailed link to ``email``. authgate's security notices (a password
    changed, ...; Directus sends none, difference 57) carry no link with a token and are
    passed over."""
    while True:
        mail = wait_for_mail(w.server.mail_dir, email, seen)
        token = _token(mail)
        if not mail or token != "no-mail":
            return token


def password_reset(w: World) -> Steps:
    email = w.values["email_reset"]
    seen = mails(w.server.mail_dir)
    asked = call(w, "POST", "/auth/password/request", {"email": email, "reset_url": RESET_URL})
    token = _link_token(w, email, seen)
    bad_url = call(
        w,
        "POST",
        "/auth/password/request",
        {"email": email, "reset_url": "http://evil.example/reset"},
    )
    unknown = call(w, "POST", "/auth/password/request", {"email": "nobody@example.com"})
    reset = call(w, "POST", "/auth/password/reset", {"token": token, "password": "Reset-Passw0rd!"})
    again = call(w, "POST", "/auth/password/reset", {"token": token, "password": "Other-Passw0rd!"})
    signed = login(w, email, "Reset-Passw0rd!")
    # A second link, for an empty password (last: it may or may not change the password).
    call(w, "POST", "/auth/password/request", {"email": email, "reset_url": RESET_URL})
    second = _link_token(w, email, seen)
    empty = call(w, "POST", "/auth/password/reset", {"token": second, "password": ""})
    return [
        ("request", asked),
        ("request bad reset_url", bad_url),
        ("request unknown", unknown),
        ("reset", reset),
        ("reset again", again),
        ("login with new password", signed),
        ("reset empty password", empty),
    ]


def registration(w: World) -> Steps:
    email = "conformance-registered@example.com"
    seen = mails(w.server.mail_dir)
    body = {"email": email, "password": PASSWORD, "verification_url": REGISTER_URL}
    first = call(w, "POST", "/users/register", body)
    token = _link_token(w, email, seen)
    bad_url = call(
        w, "POST", "/users/register", body | {"verification_url": "http://evil.example/"}
    )
    verify = call(w, "GET", f"/users/register/verify-email?token={token}")
    again = call(w, "GET", f"/users/register/verify-email?token={token}")
    bogus = call(w, "GET", "/users/register/verify-email?token=bogus")
    return [
        ("register", first),
        ("register bad url", bad_url),
        ("verify", verify),
        ("verify again", again),
        ("verify bogus", bogus),
    ]


def invitation(w: World) -> Steps:
    email = "conformance-invited@example.com"
    admin = w.values["token_admin"]
    seen = mails(w.server.mail_dir)
    body = {"email": email, "role": w.values["role_api"], "invite_url": INVITE_URL}
    invite = call(w, "POST", "/users/invite", body, token=admin)
    token = _link_token(w, email, seen)
    weak = call(w, "POST", "/users/invite/accept", {"token": token, "password": ""})
    accept = call(w, "POST", "/users/invite/accept", {"token": token, "password": PASSWORD})
    again = call(w, "POST", "/users/invite/accept", {"token": token, "password": PASSWORD})
    reinvite = call(w, "POST", "/users/invite", body, token=admin)
    return [
        ("invite", invite),
        ("accept empty password", weak),
        ("accept", accept),
        ("accept again", again),
        ("invite existing user", reinvite),
    ]


def static_token(w: World) -> Steps:
    admin = w.values["token_admin"]
    user = w.values["user_roleless"]
    static = "conformance-static-token-0123456789"
    set_it = call(w, "PATCH", f"/users/{user}?fields=id,token", {"token": static}, token=admin)
    me = call(w, "GET", "/users/me?fields=email,token", token=static)
    query = call(w, "GET", f"/users/me?fields=email&access_token={static}")
    dup = call(
        w, "PATCH", f"/users/{w.values['user_app']}?fields=id", {"token": static}, token=admin
    )
    cleared = call(w, "PATCH", f"/users/{user}?fields=id,token", {"token": None}, token=admin)
    gone = call(w, "GET", "/users/me?fields=email", token=static)
    return [
        ("set", set_it),
        ("me", me),
        ("me by query", query),
        ("duplicate", dup),
        ("clear", cleared),
        ("me after clear", gone),
    ]


def admin_crud(w: World) -> Steps:
    admin = w.values["token_admin"]
    role = call(w, "POST", "/roles", {"name": "conformance temp", "icon": "x"}, token=admin)
    role_id = str(_data(role).get("id", "none"))
    patched = call(w, "PATCH", f"/roles/{role_id}", {"description": "temp"}, token=admin)
    dup = call(w, "POST", "/users", {"email": w.values["email_api"], "password": "x"}, token=admin)
    deleted = call(w, "DELETE", f"/roles/{role_id}", token=admin)
    gone = call(w, "GET", f"/roles/{role_id}", token=admin)
    # Answered without the id: ids depend on how many earlier writes each server accepted.
    items = call(
        w, "POST", "/items/articles?fields=title", {"title": "Third"}, token=w.values["token_app"]
    )
    found = call(w, "GET", "/items/articles?filter[title][_eq]=Third&fields=id", token=admin)
    rows = found.json().get("data") if isinstance(found.json(), dict) else None
    item_id = str(rows[0]["id"]) if isinstance(rows, list) and rows else "0"
    item_del = call(w, "DELETE", f"/items/articles/{item_id}", token=admin)
    return [
        ("create role", role),
        ("patch role", patched),
        ("duplicate user email", dup),
        ("delete role", deleted),
        ("read deleted role", gone),
        ("app creates item", items),
        ("admin deletes item", item_del),
    ]


def refresh_reuse(w: World) -> Steps:
    """README item 3: a refresh token presented again within the grace period."""
    first = login(w, w.values["email_login"], PASSWORD)
    refresh = str(_data(first).get("refresh_token", ""))
    once = call(w, "POST", "/auth/refresh", {"refresh_token": refresh, "mode": "json"})
    twice = call(w, "POST", "/auth/refresh", {"refresh_token": refresh, "mode": "json"})
    return [("login", first), ("refresh", once), ("same token again", twice)]


def strict_values(w: World) -> Steps:
    """README items 5, 10 and 19: wrong types and the password policy. Every change is put
    back, so that nothing after depends on which server accepted it."""
    admin = w.values["token_admin"]
    victim = w.values["user_victim"]
    steps: Steps = [
        (
            "settings wrong type",
            call(
                w,
                "PATCH",
                "/settings?fields=auth_login_attempts",
                {"auth_login_attempts": "abc"},
                token=admin,
            ),
        ),
        (
            "settings restore",
            call(
                w,
                "PATCH",
                "/settings?fields=auth_login_attempts",
                {"auth_login_attempts": 25},
                token=admin,
            ),
        ),
        (
            "user bogus status",
            call(w, "PATCH", f"/users/{victim}?fields=status", {"status": "bogus"}, token=admin),
        ),
        (
            "user restore",
            call(w, "PATCH", f"/users/{victim}?fields=status", {"status": "active"}, token=admin),
        ),
        (
            "item wrong type",
            call(w, "POST", "/items/articles?fields=title", {"title": {"a": 1}}, token=admin),
        ),
        (
            "policy set",
            call(
                w,
                "PATCH",
                "/settings?fields=auth_password_policy",
                {"auth_password_policy": "/^.{30,}$/"},
                token=admin,
            ),
        ),
    ]
    body = {"email": "conformance-policy@example.com", "password": "short-Passw0rd"}
    steps.append(("register against policy", call(w, "POST", "/users/register", body)))
    steps.append(
        (
            "policy cleared",
            call(
                w,
                "PATCH",
                "/settings?fields=auth_password_policy",
                {"auth_password_policy": None},
                token=admin,
            ),
        )
    )
    return steps


FLOWS = [
    Flow("FLOW static token", static_token),
    Flow("FLOW admin crud", admin_crud),
    Flow("FLOW json mode", json_mode),
    Flow("FLOW cookie mode", cookie_mode),
    Flow("FLOW session mode", session_mode),
    Flow("FLOW login otp empty", login_otp_empty),
    Flow("FLOW graphql auth", graphql_auth),
    Flow("FLOW password reset", password_reset),
    Flow("FLOW registration", registration),
    Flow("FLOW invitation", invitation),
    Flow("FLOW refresh reuse", refresh_reuse),
    Flow("FLOW strict values", strict_values),
]
