"""From policy grants and the request IP to global flags and applicable policies (pure)."""

from __future__ import annotations

from authgate.access.model import AccessFacts, PolicyGrant
from authgate.netaddr import ip_in_list


def _passes_ip(grant: PolicyGrant, ip: str | None) -> bool:
    """An ``ip_access`` policy applies only to a known address in its list: an address that
    could not be determined (no socket address, a garbage ``X-Forwarded-For`` under
    ``IP_TRUST_PROXY``) fails closed."""
    if not grant.ip_access:
        return True
    if ip is None:
        return False
    return ip_in_list(ip, grant.ip_access)


def global_flags(facts: AccessFacts, ip: str | None) -> tuple[bool, bool]:
    """``(admin, app)``: any applicable role or user policy grants it; admin implies app.

    Unlike Directus's ``fetchGlobalAccess``, an unknown IP does not keep ``ip_access``
    policies here either (decision: ``ip_access`` fails closed)."""
    admin = app = False
    for grant in facts.grants:
        if grant.via_role is None and not grant.via_user:
            continue  # the public policy never makes anyone admin or app
        if not _passes_ip(grant, ip):
            continue
        admin = admin or grant.admin_access
        app = app or grant.app_access
    return admin, admin or app


def applicable_policies(facts: AccessFacts, ip: str | None) -> tuple[str, ...]:
    """Policy ids in Directus's order: role policies root-first, then user policies; the public
    policy only when there is no role. An unknown IP drops ``ip_access`` policies."""
    depth = {role: index for index, role in enumerate(facts.roles)}
    ordered: list[tuple[int, int, PolicyGrant]] = []
    for grant in facts.grants:
        if grant.via_user:
            bucket = len(facts.roles) + 1
        elif grant.via_role is not None:
            if grant.via_role not in depth:
                continue
            bucket = depth[grant.via_role]
        elif facts.roles:
            continue
        else:
            bucket = 0
        if _passes_ip(grant, ip):
            ordered.append((bucket, grant.sort if grant.sort is not None else 0, grant))
    ordered.sort(key=lambda item: (item[0], item[1]))
    seen: dict[str, None] = {}
    for _, _, grant in ordered:
        seen.setdefault(grant.policy, None)
    return tuple(seen)


def enforces_tfa(facts: AccessFacts, ip: str | None) -> bool:
    """Whether any applicable policy enforces two-factor (``/policies/me/globals``)."""
    return any(
        grant.enforce_tfa and grant.policy in applicable_policies(facts, ip)
        for grant in facts.grants
    )


def own_role_enforces_tfa(facts: AccessFacts, role: str | None) -> bool:
    """Login's narrower rule: only policies attached to the user's own role count."""
    return role is not None and any(g.enforce_tfa and g.via_role == role for g in facts.grants)
