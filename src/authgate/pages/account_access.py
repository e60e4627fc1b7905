"""``/admin/account``'s sessions and API keys: each session with an "End" button, "Sign out
everywhere else", making a key (its secret shown once) and revoking one.

Each form is the API's own call (``sessions/manage.py``, ``apikeys/service.py``) with the
viewer's accountability, behind the same CSRF check as every page form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from starlette.responses import Response

from authgate import crypto
from authgate.apikeys.service import ApiKeys
from authgate.errors import AuthError
from authgate.pages import messages
from authgate.pages.web import Page, page_handler
from authgate.sessions.manage import OwnSessions


def _sessions(page: Page) -> OwnSessions:
    return OwnSessions(db=page.services.db, clock=page.services.clock)


def _keys(page: Page) -> ApiKeys:
    services = page.services
    return ApiKeys(
        db=services.db,
        clock=services.clock,
        keys=services.keys,
        random_token=crypto.random_token,
        max_keys=services.settings.api_keys_max,
        notices=services.notices,
    )


async def listing(page: Page) -> dict[str, Any]:
    """What the account page shows of the viewer's sessions and keys."""
    return {
        "sessions": await _sessions(page).listed(page.accountability, None),
        "api_keys": await _keys(page).listed(page.accountability, None),
    }


@page_handler("user")
async def end_session(page: Page) -> Response:
    try:
        await _sessions(page).end(page.accountability, None, page.value("session"))
    except AuthError:
        return page.redirect("/admin/account", "session-gone")
    return page.redirect("/admin/account", "other-session-ended")


@page_handler("user")
async def end_other_sessions(page: Page) -> Response:
    await _sessions(page).end_others(page.accountability, None)
    return page.redirect("/admin/account", "sessions-ended")


def _expiry(day: str) -> str | None:
    """A date from the form's date field: the key expires at the end of that day (UTC)."""
    if not day:
        return None
    try:
        parsed = datetime.combine(date.fromisoformat(day), time.max, UTC)
    except ValueError:
        return day  # refused by the API's own check, in its words
    return parsed.isoformat()


@page_handler("user")
async def create_key(page: Page) -> Response:
    from authgate.pages.account import render_account

    body: dict[str, Any] = {"name": page.value("name"), "expires": _expiry(page.value("expires"))}
    try:
        record, secret = await _keys(page).create(page.accountability, None, body)
    except AuthError as error:
        return await render_account(
            page, status=error.status, key_error=messages.describe(error, "account")
        )
    return page.render("key_created.html", token=secret, key=record)


@page_handler("user")
async def revoke_key(page: Page) -> Response:
    try:
        await _keys(page).revoke(page.accountability, None, page.value("key"))
    except AuthError:
        return page.redirect("/admin/account", "key-gone")
    return page.redirect("/admin/account", "key-revoked")
