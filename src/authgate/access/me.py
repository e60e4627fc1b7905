"""What callers may ask about their own access, for every transport: the merged global flags
(``/policies/me/globals``, GraphQL ``policies_me_globals``) and the permission rows listed with
Directus's built-in app rows (``GET /permissions``, GraphQL ``permissions``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from authgate.access import policy
from authgate.access.model import Accountability
from authgate.access.permissions import APP_MINIMAL
from authgate.access.repo import load_access_facts
from authgate.query.evaluate import matches
from authgate.query.params import Query
from authgate.query.read import ReadResult

if TYPE_CHECKING:
    from authgate.items.service import ItemsService


def policy_globals(conn: Connection, accountability: Accountability) -> dict[str, bool]:
    """``app_access``, ``admin_access`` and ``enforce_tfa`` over every policy that applies
    (for a caller with a user or a role)."""
    facts = load_access_facts(conn, user=accountability.user, role=accountability.role)
    admin, app = policy.global_flags(facts, accountability.ip)
    return {
        "app_access": app,
        "admin_access": admin,
        "enforce_tfa": policy.enforces_tfa(facts, accountability.ip),
    }


async def read_permissions(
    items: ItemsService, accountability: Accountability, query: Query
) -> ReadResult:
    """Never paginated; app-access callers (administrators included) also see the built-in
    app permissions, marked ``system``, as Directus lists them."""
    query = replace(query, limit=-1)
    result = await items.read(accountability, "directus_permissions", query)
    rows = list(result.data)
    if accountability.app:
        for row in APP_MINIMAL:
            item: dict[str, Any] = {
                "collection": row.collection,
                "action": row.action,
                "permissions": row.permissions,
                "validation": row.validation,
                "presets": row.presets,
                "fields": list(row.fields),
                "policy": None,
                "system": True,
            }
            if not query.filter or matches(query.filter, item):
                rows.append(item)
    return ReadResult(rows, result.meta)
