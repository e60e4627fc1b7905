"""The account page's "Sign-in providers" card: the identities linked to the account, a Link
button per OAuth2/OpenID provider (``GET /auth/link/<provider>``, which needs the session the
page runs in) and an Unlink form per identity (the API's own rule: never the last way in).

A finished link comes back to ``/admin/account`` (``?reason=<CODE>`` when it was refused).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from authgate.errors import AuthError, Code
from authgate.identities.service import Identities
from authgate.pages.web import Page, page_handler
from authgate.providers.oauth_flow import OAuthFlow

ACCOUNT = "/admin/account"

_REASONS = {
    Code.RECORD_NOT_UNIQUE.value: "That sign-in already belongs to another account.",
    Code.INVALID_CREDENTIALS.value: "The provider did not confirm the link. Try again.",
    Code.SERVICE_UNAVAILABLE.value: "The provider is not answering right now. Try again later.",
    Code.INVALID_PAYLOAD.value: (
        "This is your last way to sign in: set a password or link another provider first."
    ),
    Code.FORBIDDEN.value: "This sign-in is not linked to your account.",
}


def _identities(page: Page) -> Identities:
    services = page.services
    return Identities(
        db=services.db,
        keys=services.keys,
        clock=services.clock,
        local_sign_in=not services.settings.auth_disable_default,
    )


async def identities_card(page: Page) -> dict[str, Any]:
    """What ``_identities.html`` shows."""
    assert page.viewer is not None
    linked = await _identities(page).list(page.viewer.user.id)
    providers = page.services.providers.by_name
    linkable = [
        {
            "name": provider.name,
            "label": provider.settings.label or provider.name,
            "href": f"/auth/link/{quote(provider.name)}?redirect={quote(ACCOUNT)}",
        }
        for provider in providers.values()
        if isinstance(provider, OAuthFlow)
    ]
    reason = page.query("reason")
    error = _REASONS.get(reason, "The link was not completed.") if reason else None
    return {
        "linked": [
            {
                **identity.public(),
                "label": (
                    providers[identity.provider].settings.label or identity.provider
                    if identity.provider in providers
                    else identity.provider
                ),
            }
            for identity in linked
        ],
        "linkable": linkable,
        "error": error,
    }


@page_handler("user")
async def unlink(page: Page) -> Response:
    """The API's ``DELETE /users/me/identities/:id``; a refusal comes back as ``?reason=``."""
    assert page.viewer is not None
    try:
        await _identities(page).unlink(page.viewer.user.id, page.request.path_params["key"])
    except AuthError as error:
        return page.redirect(f"{ACCOUNT}?reason={error.code.value}")
    return page.redirect(ACCOUNT, "identity-unlinked")
