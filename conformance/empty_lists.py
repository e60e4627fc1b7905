"""Cases on empty lists in filters: a permission rule whose list variable is empty for the
caller (the app's minimal rule on directus_roles for a role-less user with app access), and
the caller's own ``_in``/``_nin``/``_between`` with an empty list, an empty string or a comma
string, in REST and GraphQL (README, "Filters with empty lists")."""

from __future__ import annotations

import json
from typing import Any

from conformance.cases import Case

_RAPP = "roleless_app"


def _filter(spec: Any) -> tuple[tuple[str, str], ...]:
    return (("filter", json.dumps(spec)),)


def _gql(name: str, actor: str, path: str, query: str, variables: Any = None) -> Case:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return Case(f"EMPTY GQL {name} [{actor}]", "POST", path, actor, json=body)


def _rule_cases() -> list[Case]:
    cases = [
        Case(f"EMPTY rule roles [{_RAPP}/{t}]", "GET", "/roles?fields=id,name", _RAPP, t)
        for t in ("header", "cookie", "query")
    ]
    cases += [
        Case(f"EMPTY rule roles count [{_RAPP}]", "GET", "/roles?aggregate[count]=*", _RAPP),
        Case(f"EMPTY rule roles meta [{_RAPP}]", "GET", "/roles?meta=*&fields=id", _RAPP),
        Case(f"EMPTY rule roles one [{_RAPP}]", "GET", "/roles/<<role_api>>", _RAPP),
        Case(f"EMPTY rule roles me [{_RAPP}]", "GET", "/roles/me", _RAPP),
        Case(f"EMPTY rule me role [{_RAPP}]", "GET", "/users/me?fields=email,role.name", _RAPP),
        Case(
            f"EMPTY rule roles own nin [{_RAPP}]",
            "GET",
            "/roles",
            _RAPP,
            query=_filter({"id": {"_nin": "$CURRENT_ROLES"}}),
        ),
        _gql("roles", _RAPP, "/graphql/system", "{ roles { name } }"),
        _gql("roles_aggregated", _RAPP, "/graphql/system", "{ roles_aggregated { count { id } } }"),
        _gql(
            "roles_by_id", _RAPP, "/graphql/system", '{ roles_by_id(id: "<<role_api>>") { name } }'
        ),
    ]
    return cases


# (label, actor, path, filter): the caller's own filters.
_FILTERS: tuple[tuple[str, str, str, Any], ...] = (
    ("items id in []", "admin", "/items/articles?fields=id&sort=id", {"id": {"_in": []}}),
    ("items id nin []", "admin", "/items/articles?fields=id&sort=id", {"id": {"_nin": []}}),
    ("items id in {}", "admin", "/items/articles?fields=id&sort=id", {"id": {"_in": {}}}),
    ("items id in ''", "admin", "/items/articles?fields=id&sort=id", {"id": {"_in": ""}}),
    ("items id nin ''", "admin", "/items/articles?fields=id&sort=id", {"id": {"_nin": ""}}),
    ("items id in ['']", "admin", "/items/articles?fields=id&sort=id", {"id": {"_in": [""]}}),
    ("items id in comma", "admin", "/items/articles?fields=id&sort=id", {"id": {"_in": "1,2"}}),
    ("items title in ''", "admin", "/items/articles?fields=id&sort=id", {"title": {"_in": ""}}),
    ("items or in []", "admin", "/items/articles?fields=id", {"_or": [{"id": {"_in": []}}]}),
    ("items between []", "admin", "/items/articles?fields=id", {"title": {"_between": []}}),
    ("items unknown field in []", "api", "/items/articles?fields=id", {"nope": {"_in": []}}),
    ("items in [] no access", "roleless", "/items/articles?fields=id", {"id": {"_in": []}}),
    ("items in [] anonymous", "anon", "/items/articles?fields=id", {"id": {"_in": []}}),
    ("items one in []", "api", "/items/articles/1", {"id": {"_in": []}}),
    ("users id in []", "api", "/users?fields=email&sort=email", {"id": {"_in": []}}),
    ("users id nin []", "api", "/users?fields=email&sort=email", {"id": {"_nin": []}}),
    ("users id in ''", "api", "/users?fields=email&sort=email", {"id": {"_in": ""}}),
    ("users id nin ''", "api", "/users?fields=email&sort=email", {"id": {"_nin": ""}}),
    ("users id in ['']", "api", "/users?fields=email&sort=email", {"id": {"_in": [""]}}),
    (
        "users id in comma",
        "api",
        "/users?fields=email&sort=email",
        {"id": {"_in": "<<user_api>>,<<user_app>>"}},
    ),
    ("users me in []", "api", "/users/me?fields=email", {"id": {"_in": []}}),
    ("users me between []", "api", "/users/me?fields=email", {"id": {"_between": []}}),
    ("roles me in []", "api", "/roles/me", {"id": {"_in": []}}),
)

_GQL: tuple[tuple[str, str, str, str], ...] = (
    ("articles id in []", "admin", "/graphql", "{ articles(filter: {id: {_in: []}}) { id } }"),
    ("articles id nin []", "admin", "/graphql", "{ articles(filter: {id: {_nin: []}}) { id } }"),
    ("articles id in ''", "admin", "/graphql", '{ articles(filter: {id: {_in: ""}}) { id } }'),
    (
        "articles id in comma",
        "admin",
        "/graphql",
        '{ articles(filter: {id: {_in: "1,2"}}, sort: ["id"]) { id } }',
    ),
    (
        "articles title in comma",
        "admin",
        "/graphql",
        '{ articles(filter: {title: {_in: "First,Second"}}, sort: ["id"]) { id } }',
    ),
    (
        "articles title in [comma]",
        "admin",
        "/graphql",
        '{ articles(filter: {title: {_in: ["First,Second"]}}) { id } }',
    ),
    (
        "articles_aggregated in []",
        "admin",
        "/graphql",
        "{ articles_aggregated(filter: {id: {_in: []}}) { count { id } } }",
    ),
    ("users id in []", "api", "/graphql/system", "{ users(filter: {id: {_in: []}}) { email } }"),
    ("users id in ''", "api", "/graphql/system", '{ users(filter: {id: {_in: ""}}) { email } }'),
    (
        "users email in comma",
        "api",
        "/graphql/system",
        '{ users(filter: {email: {_in: "<<email_api>>,<<email_app>>"}}, sort: ["email"]) '
        "{ email } }",
    ),
)


def cases() -> list[Case]:
    out = _rule_cases()
    for label, actor, path, spec in _FILTERS:
        out.append(Case(f"EMPTY filter {label} [{actor}]", "GET", path, actor, query=_filter(spec)))
    for label, actor, path, query in _GQL:
        out.append(_gql(label, actor, path, query))
    out.append(
        _gql(
            "articles title in variable comma",
            "admin",
            "/graphql",
            "query($f: articles_filter) { articles(filter: $f) { id } }",
            {"f": {"title": {"_in": "First,Second"}}},
        )
    )
    return out
