"""Reading the role tree and policy grants of a user in one statement."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, literal, or_, select, true, union_all

from authgate.access.model import AccessFacts, PolicyGrant
from authgate.storage.tables import access, policies, roles, state

_MAX_DEPTH = 64  # a role tree deeper than this is a cycle


def _facts_statement(with_public: bool):  # type: ignore[no-untyped-def]
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
    return union_all(grants, tree_rows, epoch_row)


_WITH_PUBLIC = _facts_statement(True)
_WITHOUT_PUBLIC = _facts_statement(False)


def load_access_facts(conn: Connection, *, user: str | None, role: str | None) -> AccessFacts:
    """The role tree of ``role`` and every grant reaching ``user`` or those roles; the public
    grants too when there is no role (Directus gives the public policy to role-less users)."""
    statement = _WITHOUT_PUBLIC if role else _WITH_PUBLIC
    rows = conn.execute(statement, {"role": role, "user": user}).all()
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
