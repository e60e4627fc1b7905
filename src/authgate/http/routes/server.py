"""``/server/info``, ``/server/health``, ``/settings`` and the root redirect."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Connection, text
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from authgate import __version__
from authgate.config.settings import Settings
from authgate.errors import forbidden
from authgate.mail.health import MailCheck
from authgate.project.service import ProjectService
from authgate.storage.db import Database
from authgate.web import context
from authgate.web.responses import data, dumps, no_content


@dataclass(frozen=True)
class ServerDeps:
    settings: Settings
    db: Database
    project: ProjectService
    query_limit_max: int | None
    redis: Redis | None  # /server/health's redis checks
    mail_check: MailCheck | None  # /server/health's email:connection


_PUBLIC_PROJECT_FIELDS = (
    "project_name",
    "project_descriptor",
    "project_logo",
    "project_color",
    "default_appearance",
    "default_theme_light",
    "default_theme_dark",
    "theme_light_overrides",
    "theme_dark_overrides",
    "default_language",
    "public_foreground",
    "public_background",
    "public_favicon",
    "public_note",
    "custom_css",
    "public_registration",
    "public_registration_verify_email",
)


# The Directus release whose API this server speaks: ``version`` of ``/server/info``, because
# clients read it to decide which endpoints a server has.
DIRECTUS_VERSION = "12.4.0"
_AUTOSAVE_REVISION_INTERVAL = 300  # seconds; Directus's AUTOSAVE_REVISION_INTERVAL default

# What Directus 12.4 without a license key answers: authgate has no licensing layer, and the
# Data Studio and other clients read these entitlements.
_LICENSE = {
    "source": None,
    "entitlements": {
        "production_enabled": True,
        "ai_translations_enabled": False,
        "display_powered_by": "DIRECTUS",
    },
}


async def info(deps: ServerDeps, request: Request) -> Response:
    """Directus's keys, in its order. Features authgate does not have (the project owner
    onboarding, MCP, AI) are reported off; ``version`` is the Directus release whose API is
    spoken (authgate's own version is ``releaseId`` of ``/server/health``)."""
    accountability = context.accountability(request)
    project = await deps.db.read(_public_project)
    payload: dict[str, Any] = {"project": project}
    if accountability.user is not None or accountability.role is not None:
        settings = deps.settings
        limit = settings.rate_limit
        payload.update(
            {
                "project_owner_enabled": False,
                "mcp_enabled": False,
                "ai_enabled": False,
                "mcp_oauth_enabled": False,
                "mcp_oauth_dcr_enabled": False,
                "mcp_oauth_cimd_enabled": False,
                "autoSave": {"revisionInterval": _AUTOSAVE_REVISION_INTERVAL},
                "files": {"mimeTypeAllowList": ["*/*"]},
                "rateLimit": (
                    {"points": limit.ip.points, "duration": int(limit.ip.duration.total_seconds())}
                    if limit.ip.enabled
                    else False
                ),
                "rateLimitGlobal": (
                    {
                        "points": limit.globally.points,
                        "duration": int(limit.globally.duration.total_seconds()),
                    }
                    if limit.globally.enabled
                    else False
                ),
                "extensions": {"limit": None},
                "queryLimit": {
                    "default": settings.query_limit_default,
                    "max": settings.query_limit_max or -1,
                },
                "websocket": False,
                "version": DIRECTUS_VERSION,
            }
        )
    payload["license"] = _LICENSE
    return data(payload)


def _public_project(conn: Connection) -> dict[str, Any]:
    from sqlalchemy import select

    from authgate.query.decode import decode_value
    from authgate.schema.system import SETTINGS
    from authgate.storage.tables import settings

    row = conn.execute(
        select(*(settings.c[name] for name in _PUBLIC_PROJECT_FIELDS)).limit(1)
    ).first()
    if row is not None:
        return {
            name: decode_value(SETTINGS.by_name[name], value)
            for name, value in zip(_PUBLIC_PROJECT_FIELDS, row, strict=True)
        }
    defaults: dict[str, Any] = dict.fromkeys(_PUBLIC_PROJECT_FIELDS)
    defaults.update(
        project_name="Directus",
        project_color="#6644FF",
        default_appearance="auto",
        default_language="en-US",
        public_registration=False,
        public_registration_verify_email=True,
    )
    return defaults


async def health(deps: ServerDeps, request: Request) -> Response:
    """Directus's checks, per ``HEALTHCHECK_SERVICES``: the database (response time, free and
    used pool connections), Redis when configured, and mail (``EMAIL_VERIFY_SETUP``); there is
    no file storage to check. Administrators get the checks, other users the status only."""
    accountability = context.accountability(request)
    if not deps.settings.healthcheck_enabled:
        from authgate.errors import route_not_found

        raise route_not_found(request.url.path)
    if accountability.user is None and accountability.role is None:
        raise forbidden()
    # Directus's default; "storage" has nothing to check here (files are not served)
    enabled = deps.settings.healthcheck_services or ("database", "redis", "storage", "email")
    checks: dict[str, list[dict[str, Any]]] = {}
    if "database" in enabled:
        checks.update(await _database_checks(deps))
    if "redis" in enabled and deps.redis is not None:
        checks.update(await _redis_checks(deps.redis))
    if "email" in enabled and deps.mail_check is not None:
        mail = await deps.mail_check.status(time.monotonic())
        checks["email:connection"] = [{"status": mail, "componentType": "email"}]
    status = _overall(checks)
    body: dict[str, Any] = {"status": status}
    if accountability.admin:
        body.update(releaseId=__version__, serviceId=deps.settings.public_url, checks=checks)
    return Response(
        dumps(body),
        status_code=503 if status == "error" else 200,
        media_type="application/health+json; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


_THRESHOLD_MS = 150  # Directus's DB_HEALTHCHECK_THRESHOLD and CACHE_HEALTHCHECK_THRESHOLD


def _overall(checks: dict[str, list[dict[str, Any]]]) -> str:
    statuses = {check["status"] for entries in checks.values() for check in entries}
    return "error" if "error" in statuses else "warn" if "warn" in statuses else "ok"


def _timed(status: str, kind: str, started: float) -> dict[str, Any]:
    elapsed = round((time.perf_counter() - started) * 1000, 3)
    if status == "ok" and elapsed > _THRESHOLD_MS:
        status = "warn"
    return {
        "status": status,
        "componentType": kind,
        "observedUnit": "ms",
        "observedValue": elapsed,
        "threshold": _THRESHOLD_MS,
    }


async def _database_checks(deps: ServerDeps) -> dict[str, list[dict[str, Any]]]:
    name = "sqlite3" if deps.db.dialect == "sqlite" else "pg"
    started = time.perf_counter()
    try:
        await deps.db.read(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
        status = "ok"
    except Exception:
        status = "error"
    checks = {f"{name}:responseTime": [_timed(status, "datastore", started)]}
    if status == "error":
        checks[f"{name}:responseTime"][0]["output"] = "Can't connect to the database."
    pool = deps.db.engine.pool
    free, used = getattr(pool, "checkedin", None), getattr(pool, "checkedout", None)
    if callable(free) and callable(used):
        checks[f"{name}:connectionsAvailable"] = [
            {"status": "ok", "componentType": "datastore", "observedValue": free()}
        ]
        checks[f"{name}:connectionsUsed"] = [
            {"status": "ok", "componentType": "datastore", "observedValue": used()}
        ]
    return checks


async def _redis_checks(redis: Any) -> dict[str, list[dict[str, Any]]]:
    started = time.perf_counter()
    try:
        await redis.ping()
        status = "ok"
    except Exception:
        status = "error"
    return {"redis:responseTime": [_timed(status, "cache", started)]}


async def read_settings(deps: ServerDeps, request: Request) -> Response:
    return data(
        await deps.project.read(
            context.accountability(request), context.read_query(request, deps.query_limit_max)
        )
    )


async def update_settings(deps: ServerDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    await deps.project.update(accountability, context.body(request))
    try:
        result = await deps.project.read(
            accountability, context.read_query(request, deps.query_limit_max)
        )
    except Exception:
        return no_content()
    return data(result)


async def root(deps: ServerDeps, request: Request) -> Response:
    target = deps.settings.root_redirect
    if target is None:
        from authgate.errors import route_not_found

        raise route_not_found("/")
    return RedirectResponse(target, status_code=302)


def routes(deps: ServerDeps) -> list[Route]:
    return [
        Route("/", partial(root, deps), methods=["GET"]),
        Route("/server/info", partial(info, deps), methods=["GET"]),
        Route("/server/health", partial(health, deps), methods=["GET"]),
        Route("/settings", partial(read_settings, deps), methods=["GET"]),
        Route("/settings", partial(update_settings, deps), methods=["PATCH"]),
    ]
