"""What callers may ask about their own access, for every transport: the merged global flags
(``/policies/me/globals``, GraphQL ``policies_me_globals``) and the permission rows listed with
Directus's built-in app rows (``GET /permissions``, GraphQL ``permissions``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from authgate.access import policy
from authgate.access.model import Accountability
from authgate.access.permissions import APP_MINIMAL, PermissionRow
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
    if accountability.api_key is not None:  # a key limited to policies: only those count
        reach = set(accountability.policies)
        facts = replace(facts, grants=tuple(g for g in facts.grants if g.policy in reach))
    admin, app = policy.global_flags(facts, accountability.ip)
    return {
        "app_access": app,
        "admin_access": admin,
        "enforce_tfa": policy.enforces_tfa(facts, accountability.ip),
    }


_ACTIONS = ("read", "create", "update", "delete", "share")

# Every collection of a Directus 12.4 schema that is not the project's own: an administrator's
# summary lists them all, as Directus does, served here or not.
DIRECTUS_SYSTEM_COLLECTIONS = (
    "directus_access",
    "directus_activity",
    "directus_collections",
    "directus_comments",
    "directus_fields",
    "directus_files",
    "directus_folders",
    "directus_migrations",
    "directus_permissions",
    "directus_policies",
    "directus_presets",
    "directus_relations",
    "directus_revisions",
    "directus_roles",
    "directus_sessions",
    "directus_settings",
    "directus_users",
    "directus_dashboards",
    "directus_panels",
    "directus_notifications",
    "directus_shares",
    "directus_flows",
    "directus_operations",
    "directus_translations",
    "directus_versions",
    "directus_extensions",
    "directus_deployments",
    "directus_deployment_projects",
    "directus_deployment_runs",
    "directus_oauth_clients",
    "directus_oauth_codes",
    "directus_oauth_consents",
    "directus_oauth_tokens",
)


def admin_collection_access(collections: Iterable[str]) -> dict[str, Any]:
    """``/permissions/me`` for an administrator: full access to every collection."""
    names = dict.fromkeys([*collections, *DIRECTUS_SYSTEM_COLLECTIONS])
    return {
        name: {action: {"access": "full", "fields": ["*"]} for action in _ACTIONS}
        for name in sorted(names)
    }


def collection_access(rows: Iterable[PermissionRow]) -> dict[str, Any]:
    """``/permissions/me`` from the caller's rows in policy order (the built-in app rows last):
    an action is ``partial`` once any of its rows has an item rule; ``fields`` is the union of
    the rows' fields; ``presets`` merge (later rows win) and appear only when a row has some,
    as Directus answers."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        entry = summary.setdefault(
            row.collection, {action: {"access": "none"} for action in _ACTIONS}
        )
        info = entry.setdefault(row.action, {"access": "none"})
        if info["access"] == "none":
            info["access"] = "full"
        if info["access"] == "full" and row.permissions:
            info["access"] = "partial"
        if row.fields and info.get("fields", [None])[:1] != ["*"]:
            fields = info.get("fields", [])
            fields += [f for f in row.fields if f not in fields]
            info["fields"] = ["*"] if "*" in fields else fields
        if row.presets is not None:
            info["presets"] = {**info.get("presets", {}), **row.presets}
    return summary


def my_collection_access(
    conn: Connection, items: ItemsService, accountability: Accountability
) -> dict[str, Any]:
    """``/permissions/me`` (GraphQL ``permissions_me``) for this caller."""
    scope = items.scope(conn, accountability)
    if scope.permissions.admin:
        return admin_collection_access(scope.overview.collections)
    return collection_access(scope.permissions.all_rows())


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
