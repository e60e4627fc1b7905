"""The scenario table: what each measured run sends. Adding a scenario is adding a row.

A scenario reads what it needs from the target's ``Fixtures`` (tokens, users, collections,
seeded by the target's setup) when its run starts, so tokens are fresh and pools are one-use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bench.wrk import Request

WRONG_PASSWORD = "Wrong-Passw0rd-for-the-flood"


class Fixtures(Protocol):
    """What a target (authgate, Directus) has seeded for the scenarios."""

    login_email: str
    login_password: str
    flood_email: str

    def jwt(self) -> str:
        """A fresh access token of the bench user (a real login)."""
        ...

    def static_token(self) -> str:
        """The bench user's static token."""
        ...

    def api_key(self) -> str:
        """An API key of the bench user (``POST /users/me/keys``; authgate only)."""
        ...

    def custom_jwt(self) -> str:
        """A fresh access token of the custom-policy user (read on directus_users with *,
        no app access, nothing on directus_access)."""
        ...

    def custom_static_token(self) -> str:
        """The custom-policy user's static token."""
        ...

    def refresh_tokens(self, count: int) -> list[str]:
        """``count`` refresh tokens of live sessions, never handed out before."""
        ...

    def collection(self, rows: int) -> str:
        """The collection of ``rows`` items readable by the bench user under a
        ``{"owner":{"_eq":"$CURRENT_USER"}}`` permission, about 100 of them its own."""
        ...


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    build: Callable[[Fixtures, int], Request]  # fixtures, connections -> the request
    needs: frozenset[str] = frozenset()  # capabilities a target may lack (see Target.lacks)
    flood: Scenario | None = None  # run this one alone, then again while `flood` runs beside
    # A warm-up run first (the same request for --warmup seconds). Not for logins: nothing
    # there warms up, and abandoned logins would still be hashing when the measure starts.
    # Not for pools either: they are one-use.
    warm: bool = True
    pooled: bool = False  # takes one-use refresh tokens from the fixtures (seeded beforehand)
    # The server's AUTH_JWT_ALGORITHM: authgate is restarted with it for the scenarios that ask
    # for another one than Directus's HS256, on the same data, in the same run.
    signing: str = "HS256"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _ping(_f: Fixtures, _c: int) -> Request:
    return Request("GET", "/server/ping")


def _me_jwt(f: Fixtures, _c: int) -> Request:
    return Request("GET", "/users/me", _bearer(f.jwt()))


def _me_static(f: Fixtures, _c: int) -> Request:
    return Request("GET", "/users/me", _bearer(f.static_token()))


def _me_key(f: Fixtures, _c: int) -> Request:
    return Request("GET", "/users/me", _bearer(f.api_key()))


def _me_custom_jwt(f: Fixtures, _c: int) -> Request:
    return Request("GET", "/users/me", _bearer(f.custom_jwt()))


def _me_custom_static(f: Fixtures, _c: int) -> Request:
    return Request("GET", "/users/me", _bearer(f.custom_static_token()))


def _login(f: Fixtures, _c: int) -> Request:
    body = {"email": f.login_email, "password": f.login_password, "mode": "json"}
    return Request("POST", "/auth/login", body=_json(body), count_statuses=True)


def _login_wrong(f: Fixtures, _c: int) -> Request:
    body = {"email": f.flood_email, "password": WRONG_PASSWORD, "mode": "json"}
    return Request("POST", "/auth/login", body=_json(body), count_statuses=True)


# wrk may ask for a few more requests than it has connections as it starts (and after a
# failed refresh, that chain is lost): three tokens per connection, as perf.sh does.
POOL_PER_CONNECTION = 3


def pool_size(connections: int) -> int:
    return POOL_PER_CONNECTION * connections


def _refresh(f: Fixtures, connections: int) -> Request:
    body = {"refresh_token": "__POOL__", "mode": "json"}
    pool = tuple(f.refresh_tokens(pool_size(connections)))
    return Request("POST", "/auth/refresh", body=_json(body), pool=pool)


GRAPHQL = "/graphql/system"
# Each GraphQL twin asks for what a client of that operation needs; values travel as
# variables, the way @directus/sdk sends them.
ME_QUERY = "query { users_me { id email first_name last_name status role { id } } }"
LOGIN_MUTATION = (
    "mutation Login($email: String!, $password: String!) "
    "{ auth_login(email: $email, password: $password) { access_token refresh_token expires } }"
)
REFRESH_MUTATION = (
    "mutation Refresh($token: String!) "
    "{ auth_refresh(refresh_token: $token, mode: json) { access_token refresh_token expires } }"
)


def _graphql(query: str, variables: dict[str, str], headers: dict[str, str]) -> Request:
    body = _json({"query": query, "variables": variables})
    return Request("POST", GRAPHQL, headers, body=body, count_statuses=True, graphql=True)


def _gql_me(f: Fixtures, _c: int) -> Request:
    return _graphql(ME_QUERY, {}, _bearer(f.jwt()))


def _gql_login(f: Fixtures, _c: int) -> Request:
    return _graphql(LOGIN_MUTATION, {"email": f.login_email, "password": f.login_password}, {})


def _gql_refresh(f: Fixtures, connections: int) -> Request:
    pool = tuple(f.refresh_tokens(pool_size(connections)))
    body = _json({"query": REFRESH_MUTATION, "variables": {"token": "__POOL__"}})
    return Request("POST", GRAPHQL, body=body, pool=pool, graphql=True)


def _items(rows: int) -> Callable[[Fixtures, int], Request]:
    def build(f: Fixtures, _c: int) -> Request:
        return Request("GET", f"/items/{f.collection(rows)}", _bearer(f.jwt()))

    return build


LOGIN_FLOOD = Scenario(
    "login_flood",
    "POST /auth/login, wrong password (the flood beside users_me_flood)",
    _login_wrong,
    warm=False,
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("ping", "GET /server/ping", _ping),
    Scenario("users_me_jwt", "GET /users/me with an access JWT", _me_jwt),
    Scenario("users_me_static", "GET /users/me with a static token", _me_static),
    Scenario(
        "users_me_key",
        "GET /users/me with an API key (authgate's own)",
        _me_key,
        needs=frozenset({"api_keys"}),
    ),
    Scenario(
        "users_me_eddsa_jwt",
        "GET /users/me with an access JWT signed with Ed25519 (AUTH_JWT_ALGORITHM=EdDSA)",
        _me_jwt,
        needs=frozenset({"asymmetric_tokens"}),
        signing="EdDSA",
    ),
    Scenario(
        "users_me_custom_jwt",
        "GET /users/me with an access JWT, custom-policy user (no app access)",
        _me_custom_jwt,
    ),
    Scenario(
        "users_me_custom_static",
        "GET /users/me with a static token, custom-policy user (no app access)",
        _me_custom_static,
    ),
    Scenario("login", "POST /auth/login, json mode, right password", _login, warm=False),
    Scenario(
        "refresh",
        "POST /auth/refresh, json mode, rotating tokens",
        _refresh,
        warm=False,
        pooled=True,
    ),
    Scenario(
        "items_1k",
        "GET /items on 1,000 rows, filtered by owner = $CURRENT_USER",
        _items(1_000),
        needs=frozenset({"filtered_permissions"}),
    ),
    Scenario(
        "items_1m",
        "GET /items on 1,000,000 rows, filtered by owner = $CURRENT_USER",
        _items(1_000_000),
        needs=frozenset({"filtered_permissions"}),
    ),
    Scenario(
        "users_me_flood",
        "GET /users/me (JWT) alone, then during a flood of wrong-password logins",
        _me_jwt,
        flood=LOGIN_FLOOD,
    ),
    Scenario("gql_users_me", "POST /graphql/system: users_me (JWT)", _gql_me),
    Scenario(
        "gql_login",
        "POST /graphql/system: auth_login, right password",
        _gql_login,
        warm=False,
    ),
    Scenario(
        "gql_refresh",
        "POST /graphql/system: auth_refresh (json), rotating tokens",
        _gql_refresh,
        warm=False,
        pooled=True,
    ),
)


ITEM_ROWS = (1_000, 1_000_000)


def select(names: list[str] | None) -> list[Scenario]:
    """The scenarios named (all when ``names`` is None), in table order."""
    if names is None:
        return list(SCENARIOS)
    known = [s.name for s in SCENARIOS]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [s for s in SCENARIOS if s.name in names]


def by_signing(scenarios: list[Scenario]) -> list[tuple[str, list[Scenario]]]:
    """The scenarios grouped by the server's ``AUTH_JWT_ALGORITHM``, HS256 first, each group in
    table order: one server start per group."""
    order = sorted({s.signing for s in scenarios}, key=lambda name: (name != "HS256", name))
    return [(name, [s for s in scenarios if s.signing == name]) for name in order]
