"""The project's own corpus of single-request cases (flows: flows.py; generated mutations:
mutations.py). Every read is asked by every actor in every token transport."""

from __future__ import annotations

from conformance import empty_lists
from conformance.cases import ACTORS, TRANSPORTS, Case

# Reads: (label, path). Lists are sorted so that both servers answer in one order.
READS: tuple[tuple[str, str], ...] = (
    ("users me", "/users/me"),
    ("users me *", "/users/me?fields=*"),
    ("users me *.*", "/users/me?fields=*.*"),
    ("users me policies.*", "/users/me?fields=*,policies.*"),
    ("users me role.name", "/users/me?fields=id,email,role.name"),
    ("users list", "/users?sort=email&fields=id,email,first_name,status,role"),
    ("users list *", "/users?sort=email"),
    ("users list filter", "/users?filter[email][_eq]=<<email_api>>&fields=email"),
    ("users list meta", "/users?sort=email&fields=email&meta=*&limit=2"),
    ("users one", "/users/<<user_api>>"),
    ("users one other", "/users/<<user_app>>?fields=id,email"),
    ("users one unknown", "/users/00000000-0000-4000-8000-000000000000"),
    ("users one bad id", "/users/not-a-uuid"),
    ("roles list", "/roles?sort=name&fields=id,name,icon,description,parent"),
    ("roles one", "/roles/<<role_api>>"),
    ("roles me", "/roles/me"),
    ("policies list", "/policies?sort=name&fields=id,name,admin_access,app_access,enforce_tfa"),
    ("policies one", "/policies/<<policy_api>>?fields=id,name,admin_access,app_access"),
    ("policies me globals", "/policies/me/globals"),
    ("permissions list", "/permissions?sort=collection,action&fields=collection,action,fields"),
    ("permissions me", "/permissions/me"),
    ("access list", "/access?fields=role,policy,user,sort"),
    ("settings", "/settings"),
    ("settings fields", "/settings?fields=project_name,public_registration,auth_login_attempts"),
    ("server info", "/server/info"),
    ("server ping", "/server/ping"),
    ("server health", "/server/health"),
    ("auth providers", "/auth"),
    ("items list", "/items/articles?sort=id"),
    ("items one", "/items/articles/1"),
    ("items one unknown", "/items/articles/999"),
    ("items author.*", "/items/articles?sort=id&fields=id,title,author.email"),
    ("items filter", "/items/articles?filter[status][_eq]=published&fields=title"),
    ("items aggregate", "/items/articles?aggregate[count]=*"),
    ("items unknown collection", "/items/nope"),
    ("items system collection", "/items/directus_users"),
    ("collections one", "/collections/articles?fields=collection,meta.note,meta.icon"),
    ("collections unknown", "/collections/nope"),
    ("fields of articles", "/fields/articles?fields=field,type,collection"),
    ("field one", "/fields/articles/title?fields=field,type,schema.default_value"),
    ("relations of articles", "/relations/articles?fields=collection,field,related_collection"),
    ("unknown route", "/nope"),
    ("graphql get users_me", "/graphql/system?query=%7Busers_me%7Bemail%7D%7D"),
)
# Lists whose order is not defined by the query (ties, or no sort the servers share).
UNORDERED = {
    "permissions list",
    "access list",
    "roles me",
    "permissions me",
    "policies me globals",
    "access",
    "permissions",
}
# Read by the admin only (large answers; other actors get the same refusals as above).
ADMIN_READS: tuple[tuple[str, str], ...] = (
    ("collections list", "/collections?fields=collection,schema.name"),
    ("fields list", "/fields?fields=collection,field,type"),
    ("relations list", "/relations?fields=collection,field,related_collection"),
    ("users list all fields", "/users?sort=email&fields=*"),
    ("roles list all", "/roles?sort=name&fields=*"),
)

GRAPHQL: tuple[tuple[str, str], ...] = (
    ("users_me", "{ users_me { id email first_name last_name status } }"),
    ("users_me role", "{ users_me { email role { name } } }"),
    ("users", '{ users(sort: ["email"]) { email first_name } }'),
    ("users_by_id", '{ users_by_id(id: "<<user_api>>") { email } }'),
    ("roles", '{ roles(sort: ["name"]) { name } }'),
    ("policies", '{ policies(sort: ["name"]) { name app_access } }'),
    ("permissions_me", "{ permissions_me }"),
    ("server_ping", "{ server_ping }"),
    ("server_info", "{ server_info { project { project_name } } }"),
    ("settings", "{ settings { project_name public_registration } }"),
    ("unknown field", "{ users_me { nope } }"),
    ("policies_me_globals", "{ policies_me_globals { app_access admin_access enforce_tfa } }"),
    ("users_aggregated", "{ users_aggregated { count { id } } }"),
    ("access", "{ access { role { name } policy { name } } }"),
    ("permissions", '{ permissions(sort: ["collection", "action"]) { collection action } }'),
    ("update_users_me", 'mutation { update_users_me(data: { first_name: "x" }) { id } }'),
    (
        "auth_login unknown",
        'mutation { auth_login(email: "nobody@example.com", password: "x") { access_token } }',
    ),
    (
        "auth_password_reset bogus",
        'mutation { auth_password_reset(token: "bogus", password: "x") }',
    ),
    ("users_register invalid", 'mutation { users_register(email: "x", password: "x") }'),
    (
        "users_invite_accept bogus",
        'mutation { users_invite_accept(token: "bogus", password: "x") }',
    ),
    (
        "tfa_generate bad password",
        'mutation { users_me_tfa_generate(password: "bogus") { secret } }',
    ),
    ("syntax error", "{ users_me { "),
)
GRAPHQL_ITEMS: tuple[tuple[str, str], ...] = (
    ("articles", '{ articles(sort: ["id"]) { id title status } }'),
    ("articles author", '{ articles(sort: ["id"]) { title author { email } } }'),
)


def _actors() -> list[tuple[str, str]]:
    pairs = [(actor, transport) for actor in ACTORS if actor != "anon" for transport in TRANSPORTS]
    return [*pairs, ("anon", "none")]


def read_cases() -> list[Case]:
    cases: list[Case] = []
    for actor, transport in _actors():
        who = f"{actor}/{transport}"
        for label, path in READS:
            loose = label in UNORDERED
            cases.append(
                Case(f"GET {label} [{who}]", "GET", path, actor, transport, unordered=loose)
            )
        for label, query in GRAPHQL:
            body = {"query": query}
            loose = label in UNORDERED
            cases.append(
                Case(
                    f"GQL {label} [{who}]",
                    "POST",
                    "/graphql/system",
                    actor,
                    transport,
                    json=body,
                    unordered=loose,
                )
            )
        for label, query in GRAPHQL_ITEMS:
            body = {"query": query}
            cases.append(
                Case(f"GQL items {label} [{who}]", "POST", "/graphql", actor, transport, json=body)
            )
    for label, path in ADMIN_READS:
        cases.append(Case(f"GET {label} [admin/header]", "GET", path, "admin", unordered=True))
    return cases


def write_cases() -> list[Case]:
    """Writes whose outcome does not depend on order (refusals, or idempotent updates)."""
    cases: list[Case] = []
    for actor, transport in _actors():
        who = f"{actor}/{transport}"
        same_name = {"first_name": actor if actor != "anon" else "x"}
        cases += [
            Case(f"PATCH users me [{who}]", "PATCH", "/users/me", actor, transport, json=same_name),
            Case(
                f"PATCH users me provider [{who}]",
                "PATCH",
                "/users/me",
                actor,
                transport,
                json={"provider": "default"},
            ),
            Case(
                f"PATCH users me email [{who}]",
                "PATCH",
                "/users/me",
                actor,
                transport,
                json={"email": "not-an-email"},
            ),
            Case(
                f"PATCH users other [{who}]",
                "PATCH",
                "/users/<<user_app>>",
                actor,
                transport,
                json={"first_name": "app"},
            ),
            Case(f"POST roles [{who}]", "POST", "/roles", actor, transport, json={"name": ""}),
            Case(f"POST policies empty [{who}]", "POST", "/policies", actor, transport, json={}),
            Case(
                f"POST permissions bad [{who}]",
                "POST",
                "/permissions",
                actor,
                transport,
                json={"collection": "articles", "fields": ["*"]},
            ),
            Case(f"DELETE users other [{who}]", "DELETE", "/users/<<user_app>>", actor, transport)
            if actor != "admin"
            else Case(
                f"DELETE users unknown [{who}]",
                "DELETE",
                "/users/00000000-0000-4000-8000-000000000000",
                actor,
                transport,
            ),
            Case(
                f"PATCH settings same [{who}]",
                "PATCH",
                "/settings",
                actor,
                transport,
                json={"public_registration": True},
            ),
            Case(
                f"POST items bad field [{who}]",
                "POST",
                "/items/articles",
                actor,
                transport,
                json={"nope": 1},
            ),
            Case(
                f"PATCH items unknown [{who}]",
                "PATCH",
                "/items/articles/999",
                actor,
                transport,
                json={"title": "x"},
            ),
            Case(
                f"POST users invite [{who}]",
                "POST",
                "/users/invite",
                actor,
                transport,
                json={"email": "not-an-email", "role": "<<role_api>>"},
            ),
            Case(
                f"POST users invite bad url [{who}]",
                "POST",
                "/users/invite",
                actor,
                transport,
                json={
                    "email": "x@example.com",
                    "role": "<<role_api>>",
                    "invite_url": "http://evil.example/",
                },
            ),
            Case(
                f"POST utils hash [{who}]",
                "POST",
                "/utils/hash/generate",
                actor,
                transport,
                json={"string": "x"},
            ),
            Case(
                f"PATCH track page [{who}]",
                "PATCH",
                "/users/me/track/page",
                actor,
                transport,
                json={"last_page": "/content"},
            ),
            Case(
                f"POST logout no token [{who}]", "POST", "/auth/logout", actor, transport, json={}
            ),
            Case(
                f"POST refresh no token [{who}]", "POST", "/auth/refresh", actor, transport, json={}
            ),
        ]
        if actor != "admin":  # the admin would really move to another role
            cases.append(
                Case(
                    f"PATCH users me role [{who}]",
                    "PATCH",
                    "/users/me",
                    actor,
                    transport,
                    json={"role": "<<role_app>>"},
                )
            )
    return cases


def cases() -> list[Case]:
    return read_cases() + write_cases() + empty_lists.cases()
