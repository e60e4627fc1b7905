"""Reading the role tree and policy grants of a user in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, literal, or_, select, true, union_all

from authgate.access.model import AccessFacts, PolicyGrant
from authgate.storage.tables import access, policies, roles, sessions, state, users

_MAX_DEPTH = 64  # a role tree deeper than this is a cycle


def _facts_statement(with_public: bool, with_token: bool = False):  # type: ignore[no-untyped-def]
    seed = select(roles.c.id, roles.c.parent, literal(0).label("depth")).where(
        roles.c.id == bindparam("role")
    )
    tree = seed.cte("role_tree", recursive=True)
    tree = tree.union_all(
        select(roles.c.id, roles.c.parent, (tree.c.depth + 1).label("depth"))
        .join(tree, roles.c.id == tree.c.parent)
        .where(tree.c.depth < _MAX_DEPTH)
    )
    reach = [access.c.user == bindparam("user"), access.c.role.in_(select(tree.c.id))]
    if with_public:
        reach.append(access.c.role.is_(None) & access.c.user.is_(None))
    grants = (
        select(
            literal("grant").label("kind"),
            policies.c.id,
            access.c.role,
            access.c.user,
            policies.c.admin_access,
            policies.c.app_access,
            policies.c.enforce_tfa,
            policies.c.ip_access,
            access.c.sort,
        )
        .join(policies, policies.c.id == access.c.policy)
        .where(or_(*reach))
    )
    tree_rows = select(
        literal("role").label("kind"),
        tree.c.id,
        tree.c.parent,
        literal(None).label("user"),
        true(),
        true(),
        true(),
        literal(None).label("ip_access"),
        tree.c.depth,
    )
    # The cache epoch rides along, so that every request knows for free whether cached
    # permissions and schema are still current on this instance.
    epoch_row = select(
        literal("epoch").label("kind"),
        literal(None),
        literal(None),
        literal(None),
        true(),
        true(),
        true(),
        literal(None),
        state.c.value,
    ).where(state.c.key == "epoch")
    if not with_token:
        return union_all(grants, tree_rows, epoch_row)
    # What revokes an access token, read with its facts at no extra round trip: the user's
    # current status and role, and whether the session the token names still stands.
    stands = (
        sessions.c.token == bindparam("session"),
        sessions.c.user == users.c.id,
        sessions.c.share.is_(None),
        sessions.c.expires >= bindparam("live_after"),
    )
    # 0: no such session standing; 1: it stands; 2: it stands and its SSO provider asserted
    # multi-factor (two-factor enforcement). One subquery: the token is the primary key.
    session_state = func.coalesce(
        select(case((sessions.c.authgate_mfa.is_(True), 2), else_=1))
        .where(*stands)
        .scalar_subquery(),
        0,
    )
    user_row = select(
        literal("user").label("kind"),
        users.c.role,
        literal(None),
        literal(None),
        true(),
        true(),
        true(),
        users.c.status,
        session_state,
    ).where(users.c.id == bindparam("user"))
    return union_all(grants, tree_rows, epoch_row, user_row)


_WITH_PUBLIC = _facts_statement(True)
_WITHOUT_PUBLIC = _facts_statement(False)
_TOKEN_WITH_PUBLIC = _facts_statement(True, with_token=True)
_TOKEN_WITHOUT_PUBLIC = _facts_statement(False, with_token=True)


@dataclass(frozen=True)
class TokenState:
    """The user and session an access token names, as the database has them now."""

    user_status: str | None  # None: no such user
    user_role: str | None
    session_stands: bool
    session_mfa: bool = False  # its SSO provider asserted multi-factor, trusted


def load_access_facts(conn: Connection, *, user: str | None, role: str | None) -> AccessFacts:
    """The role tree of ``role`` and every grant reaching ``user`` or those roles; the public
    grants too when there is no role (Directus gives the public policy to role-less users)."""
    statement = _WITHOUT_PUBLIC if role else _WITH_PUBLIC
    rows = conn.execute(statement, {"role": role, "user": user}).all()
    return _facts_from(rows)


def load_token_facts(
    conn: Connection,
    *,
    user: str,
    role: str | None,
    session: str | None,
    live_after: datetime,
) -> tuple[AccessFacts, TokenState]:
    """``load_access_facts`` and, in the same statement, the ``TokenState`` of ``user`` and
    of the session row keyed ``session`` (standing when it expires at or after
    ``live_after``)."""
    statement = _TOKEN_WITHOUT_PUBLIC if role else _TOKEN_WITH_PUBLIC
    rows = conn.execute(
        statement, {"role": role, "user": user, "session": session, "live_after": live_after}
    ).all()
    status = user_role = None
    stands = mfa = False
    rest = []
    for row in rows:
        if row[0] == "user":
            user_role, status, stands, mfa = row[1], row[7], bool(row[8]), row[8] == 2
        else:
            rest.append(row)
    return _facts_from(rest), TokenState(status, user_role, stands, mfa)


def _facts_from(rows: Sequence[Sequence[Any]]) -> AccessFacts:
    tree: dict[int, str] = {}
    grants = []
    epoch = 0
    for kind, ident, via_role, via_user, admin, app, tfa, ip_access, extra in rows:
        if kind == "epoch":
            epoch = int(extra)
            continue
        if kind == "role":
            tree[int(extra)] = ident
            continue
        grants.append(
            PolicyGrant(
                policy=ident,
                admin_access=bool(admin),
                app_access=bool(app),
                enforce_tfa=bool(tfa),
                ip_access=tuple(p.strip() for p in (ip_access or "").split(",") if p.strip()),
                via_role=via_role,
                via_user=via_user is not None,
                sort=extra,
            )
        )
    ordered_roles = tuple(tree[depth] for depth in sorted(tree, reverse=True))
    return AccessFacts(roles=ordered_roles, grants=tuple(grants), epoch=epoch)
