"""Two-factor enforced by the API (authgate's own; Directus leaves it to its web app).

A signed-in user reached by a policy with ``enforce_tfa`` (through their role, its ancestors,
or directly; not the public policy) who has no second factor (``users/factors.py``) may only
enrol: every request except those listed here answers ``403 TFA_SETUP_REQUIRED``. It is
decided per request from the grants the authenticator loads anyway, so the common case costs
nothing more and enrolling lifts it at once, without signing in again; only for a user under
such a policy is one more point query run (whether a factor exists). Static tokens follow the
same rule (they stand for the same user). An ``ip_access`` restriction on the enforcing
policy does not lift it: an enforcement fails closed. Pure: no IO here.
"""

from __future__ import annotations

from collections.abc import Sequence

from authgate.access.model import AccessFacts

# (method, lower-cased path) pairs of REST that remain open; a path ending in "*" is a prefix.
_OPEN_REST: tuple[tuple[str, str], ...] = (
    ("GET", "/users/me"),
    ("HEAD", "/users/me"),
    ("POST", "/users/me/tfa/generate"),
    ("POST", "/users/me/tfa/enable"),
    ("*", "/users/me/passkeys*"),
    ("*", "/auth*"),  # login, refresh, logout, password reset, SSO: none acts on the token
)
# ... except linking an identity, which acts on the token's account: a held-back token would
# add a way to sign in (even one whose provider asserts multi-factor, which lifts the rule).
_CLOSED_REST: tuple[str, ...] = ("/auth/link",)

# Root fields of ``/graphql/system`` that remain open: the same operations.
OPEN_GRAPHQL_SYSTEM = frozenset(
    {
        "__typename",
        "users_me",
        "users_me_tfa_generate",
        "users_me_tfa_enable",
        "auth_login",
        "auth_refresh",
        "auth_logout",
        "auth_password_request",
        "auth_password_reset",
    }
)


def enforced(facts: AccessFacts) -> bool:
    """Whether a policy of the user (not the public one) enforces two-factor."""
    return any(g.enforce_tfa and (g.via_role is not None or g.via_user) for g in facts.grants)


def rest_is_open(method: str, path: str, query: Sequence[tuple[str, str]] = ()) -> bool:
    """Whether a REST request stays open to a user who must first enrol a second factor.

    ``GET /users/me`` reads the caller's own row only: a ``fields`` through a relation
    (``role.users.email``), a ``filter``, ``deep`` or ``alias`` would read (or, as a filter,
    test) other rows with the caller's permissions, which enrolment does not need."""
    path = path.lower().rstrip("/") or "/"
    if any(path == closed or path.startswith(closed + "/") for closed in _CLOSED_REST):
        return False
    if path == "/users/me" and not all(_own_row_only(name, value) for name, value in query):
        return False
    for allowed_method, allowed in _OPEN_REST:
        if allowed_method not in ("*", method):
            continue
        if allowed.endswith("*"):
            prefix = allowed[:-1]
            if path == prefix or path.startswith(prefix + "/"):
                return True
        elif path == allowed:
            return True
    return False


def _own_row_only(name: str, value: str) -> bool:
    if name == "access_token":
        return True
    if name == "fields" or (name.startswith("fields[") and name.endswith("]")):
        return "." not in value
    return False
