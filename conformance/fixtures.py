"""Seed the same fixtures on both servers through the API, as the admin, and sign the
actors in. The seeding requests are compared too (they are the admin API's first cases)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

from conformance.cases import World, call
from conformance.client import Response
from conformance.servers import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET

PASSWORD = "Conformance-Passw0rd!"
USERS = {  # actor -> (email, role fixture or None)
    "api": ("conformance-api@example.com", "api"),
    "app": ("conformance-app@example.com", "app"),
    "roleless": ("conformance-roleless@example.com", None),
    "victim": ("conformance-victim@example.com", "api"),  # failed logins go here (< 25)
    "login": ("conformance-login@example.com", "api"),  # login/refresh/logout flows
    "reset": ("conformance-reset@example.com", "api"),  # password reset flow
}
ARTICLES: dict[str, Any] = {
    "collection": "articles",
    "meta": {"icon": "article", "note": "conformance"},
    "schema": {},
    "fields": [
        {
            "field": "id",
            "type": "integer",
            "meta": {"hidden": True, "readonly": True, "interface": "input"},
            "schema": {"is_primary_key": True, "has_auto_increment": True},
        },
        {"field": "title", "type": "string", "meta": {"interface": "input"}, "schema": {}},
        {"field": "status", "type": "string", "schema": {"default_value": "draft"}},
        {"field": "author", "type": "uuid", "meta": {"special": ["m2o"]}, "schema": {}},
    ],
}

Steps = list[tuple[str, Response]]
# A role-less user holding an app-access policy of its own: the app's minimal rules apply to
# it with an empty $CURRENT_ROLES (directus_roles read: {"id": {"_in": "$CURRENT_ROLES"}}).
ROLELESS_APP = "conformance-roleless-app@example.com"


def _data(response: Response) -> Any:
    body = response.json()
    return body.get("data") if isinstance(body, dict) else None


def _id(response: Response, what: str) -> str:
    data = _data(response)
    if not isinstance(data, dict) or "id" not in data:
        raise RuntimeError(f"seeding {what} failed: {response.status} {response.body[:300]!r}")
    return str(data["id"])


def login(world: World, email: str, password: str, mode: str = "json") -> Response:
    return call(world, "POST", "/auth/login", {"email": email, "password": password, "mode": mode})


def sign_in(world: World, actor: str, email: str, password: str, steps: Steps) -> None:
    answer = login(world, email, password)
    steps.append((f"login {actor} json", answer))
    data = _data(answer) or {}
    world.values[f"token_{actor}"] = str(data.get("access_token", "missing-token"))
    world.values[f"refresh_{actor}"] = str(data.get("refresh_token", "missing-refresh"))
    answer = login(world, email, password, "session")
    steps.append((f"login {actor} session", answer))
    world.values[f"session_{actor}"] = answer.cookies().get("directus_session_token", "missing")


def seed(world: World) -> Steps:
    steps: Steps = []
    v = world.values
    sign_in(world, "admin", ADMIN_EMAIL, ADMIN_PASSWORD, steps)
    admin = v["token_admin"]

    def post(path: str, body: Any, name: str) -> Response:
        answer = call(world, "POST", path, body, token=admin)
        steps.append((f"POST {path} {name}", answer))
        return answer

    me = _data(call(world, "GET", "/users/me?fields=id,role", token=admin)) or {}
    v["user_admin"], v["role_admin"] = str(me.get("id")), str(me.get("role"))
    for name, app_access in (("api", False), ("app", True)):
        policy: dict[str, Any] = {"name": f"conformance {name}", "icon": "badge"}
        policy["description"] = None
        policy |= {"admin_access": False, "app_access": app_access, "enforce_tfa": False}
        v[f"policy_{name}"] = _id(post("/policies", policy, name), f"policy {name}")
        v[f"role_{name}"] = _id(
            post("/roles", {"name": f"conformance {name}", "icon": "group"}, name), f"role {name}"
        )
        post("/access", {"role": v[f"role_{name}"], "policy": v[f"policy_{name}"]}, name)
    perm = {"policy": v["policy_api"], "collection": "directus_users", "action": "read"}
    post("/permissions", perm | {"fields": ["*"]}, "api users read")
    post("/collections", ARTICLES, "articles")
    relation = {"collection": "articles", "field": "author", "related_collection": "directus_users"}
    post("/relations", relation, "articles.author")
    for owner, action in (("api", "read"), ("app", "read"), ("app", "create")):
        grant = {"policy": v[f"policy_{owner}"], "collection": "articles", "action": action}
        post("/permissions", grant | {"fields": ["*"]}, f"{owner} articles {action}")
    for actor, (email, role) in USERS.items():
        user: dict[str, Any] = {"email": email, "password": PASSWORD, "first_name": actor}
        user |= {"last_name": "Conformance", "role": v[f"role_{role}"] if role else None}
        v[f"user_{actor}"] = _id(post("/users", user, actor), f"user {actor}")
        v[f"email_{actor}"] = email
    seed_roleless_app(world, post)
    items = [
        {"title": "First", "status": "published", "author": v["user_api"]},
        {"title": "Second"},
    ]
    post("/items/articles", items, "two")
    settings = {"public_registration": True, "public_registration_verify_email": True}
    answer = call(
        world,
        "PATCH",
        "/settings",
        settings | {"public_registration_role": v["role_api"]},
        token=admin,
    )
    steps.append(("PATCH /settings registration", answer))
    for actor in ("app", "api", "roleless"):
        sign_in(world, actor, USERS[actor][0], PASSWORD, steps)
    sign_in(world, "roleless_app", ROLELESS_APP, PASSWORD, steps)
    public = _data(
        call(
            world,
            "GET",
            "/policies?filter[admin_access][_eq]=false&filter[app_access][_eq]=false"
            "&filter[name][_eq]=$t:public_label&fields=id",
            token=admin,
        )
    )
    if isinstance(public, list) and public:
        v["policy_public"] = str(public[0]["id"])
    forge_tokens(world)
    for key, value in v.items():
        if key.startswith(("user_", "role_", "policy_")):
            world.labels[value] = f"<{key.replace('_', ':', 1)}>"
        elif key.startswith(("token_", "refresh_", "session_", "jwt_")):
            world.labels[value] = f"<{key}>"
    return steps


def seed_roleless_app(world: World, post: Any) -> None:
    v = world.values
    policy: dict[str, Any] = {"name": "conformance roleless app", "icon": "badge"}
    policy["description"] = None
    policy |= {"admin_access": False, "app_access": True, "enforce_tfa": False}
    v["policy_roleless_app"] = _id(post("/policies", policy, "roleless app"), "policy")
    user: dict[str, Any] = {"email": ROLELESS_APP, "password": PASSWORD}
    user["first_name"] = "roleless_app"
    user |= {"last_name": "Conformance", "role": None}
    v["user_roleless_app"] = _id(post("/users", user, "roleless_app"), "user roleless_app")
    v["email_roleless_app"] = ROLELESS_APP
    access = {"user": v["user_roleless_app"], "policy": v["policy_roleless_app"]}
    post("/access", access, "roleless app")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload: dict[str, Any], secret: str = SECRET, alg: str = "HS256") -> str:
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload).encode())
    if alg == "none":
        return f"{head}.{body}."
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def forge_tokens(world: World) -> None:
    """Hand-made JWTs for the api user: each one wrong in exactly one way."""
    v = world.values
    now = int(time.time())
    base = {"id": v["user_api"], "role": v["role_api"], "app_access": False}
    base |= {"admin_access": False, "iat": now, "exp": now + 900, "iss": "directus"}
    v["jwt_valid"] = jwt(base)
    v["jwt_wrong_secret"] = jwt(base, secret="not-the-secret-0123456789")
    v["jwt_expired"] = jwt(base | {"iat": now - 7200, "exp": now - 3600})
    v["jwt_nbf_future"] = jwt(base | {"nbf": now + 3600})
    v["jwt_no_exp"] = jwt({k: val for k, val in base.items() if k != "exp"})
    v["jwt_foreign_iss"] = jwt(base | {"iss": "someone-else"})
    v["jwt_alg_none"] = jwt(base, alg="none")
    v["jwt_unknown_user"] = jwt(base | {"id": str(uuid.UUID(int=7))})
    v["jwt_admin_claims"] = jwt(base | {"admin_access": True, "app_access": True})


def wait_for_mail(
    mail_dir: Path, recipient: str, after: set[str], timeout: float = 15
) -> dict[str, Any]:
    """The first new mail (not in ``after``) to ``recipient``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mail_dir.exists():
            for path in sorted(mail_dir.glob("*.json")):
                if path.name in after:
                    continue
                mail = json.loads(path.read_text())
                if recipient in mail.get("rcpt_to", []) or recipient in mail.get("to", ""):
                    after.add(path.name)
                    return dict(mail)
        time.sleep(0.2)
    return {}


def mails(mail_dir: Path) -> set[str]:
    return {p.name for p in mail_dir.glob("*.json")} if mail_dir.exists() else set()
