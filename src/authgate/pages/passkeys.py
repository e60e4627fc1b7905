"""Passkeys on ``/admin/account`` (listed and removed here; added by ``static/passkeys.js``
with the browser's WebAuthn API and the JSON API) and on ``/admin/login`` (the passkey
button, also ``passkeys.js``). Removing one is a plain form: it works without JavaScript."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from authgate.errors import AuthError
from authgate.pages import messages
from authgate.pages.web import Page, page_handler


async def passkeys_of(page: Page) -> list[dict[str, Any]]:
    """The viewer's passkeys, as ``GET /users/me/passkeys`` lists them."""
    service = page.services.passkeys
    if service is None or page.viewer is None:
        return []
    return await service.read_all(page.accountability)


@page_handler("user")
async def remove_passkey(page: Page) -> Response:
    """``DELETE /users/me/passkeys/:id``, confirmed with the password."""
    from authgate.pages.account import render_account

    service = page.services.passkeys
    assert service is not None
    try:
        await service.remove(
            page.accountability,
            page.value("id"),
            password=page.raw("password") or None,
            otp=None,
            passkey=None,
        )
    except AuthError as error:
        problem = messages.describe(error, "tfa")
        return await render_account(page, status=error.status, passkey_error=problem)
    return page.redirect("/admin/account", "passkey-removed")
