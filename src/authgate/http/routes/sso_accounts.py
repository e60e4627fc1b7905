"""Logout at the identity provider, back-channel logout, and linked identities (issue 15).

* ``GET /auth/logout/<provider>?redirect=``: the redirect is checked first (the provider's
  ``REDIRECT_ALLOW_LIST`` and ``PUBLIC_URL``; refused: ``400 INVALID_PAYLOAD``, nothing
  ended); then every session the request carries (session cookie, refresh cookie, bearer
  token) ends, its cookies are cleared, and the browser goes to the provider's
  ``end_session_endpoint`` with ``id_token_hint`` (the ID token of the sign-in that opened
  the session), ``post_logout_redirect_uri`` (the checked redirect) and ``client_id``; without
  that endpoint, or when the session was not opened by this provider, straight to the redirect.
* ``POST /auth/login/<provider>/backchannel-logout``: a logout token from the provider
  (``logout_token`` form field) ends the sessions it names; ``200``, or ``400`` with nothing
  said about why.
* ``GET /auth/link/<provider>?redirect=``: a signed-in user starts the provider's flow; the
  state is bound to the session, and the callback (``/auth/login/<provider>/callback``)
  links the provider's subject to that account (``link_identity``).
* ``GET /users/me/identities``, ``DELETE /users/me/identities/:id``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.errors import AuthError, Code, forbidden, invalid_payload, route_not_found
from authgate.identities.service import Identities
from authgate.providers import redirects
from authgate.providers.base import LinkIdentity, SsoRequest
from authgate.providers.logout_token import LogoutTokenRefused
from authgate.providers.oauth_flow import OAuthFlow
from authgate.providers.openid import OpenIDProvider
from authgate.providers.registry import Providers
from authgate.sessions.delivery import presented_refresh_token
from authgate.sessions.service import Mode, SessionService
from authgate.storage.db import Database
from authgate.users.notices import SecurityNotices
from authgate.web import context
from authgate.web.responses import clear_cookie, data, no_content

log = logging.getLogger("authgate.providers")

_NO_STORE = {"Cache-Control": "no-store"}
_BAD_LOGOUT_TOKEN = "The logout token can't be accepted"


@dataclass(frozen=True)
class SsoDeps:
    """What the single sign-on routes use, here and in ``sso.py`` (the two finish each
    other's flows: a link ends in the sign-in callback, which renders a link's outcome)."""

    settings: Settings
    clock: Clock
    db: Database
    keys: Keys
    sessions: SessionService
    providers: Providers
    notices: SecurityNotices | None  # mails about linked identities


def _identities(deps: SsoDeps) -> Identities:
    return Identities(
        db=deps.db,
        keys=deps.keys,
        clock=deps.clock,
        notices=deps.notices,
        local_sign_in=not deps.settings.auth_disable_default,
    )


def _flow_provider(deps: SsoDeps, request: Request) -> OAuthFlow:
    provider = deps.providers.redirect(request.path_params["provider"])
    if not isinstance(provider, OAuthFlow):
        raise route_not_found(request.url.path)
    return provider


def _presented(deps: SsoDeps, request: Request) -> list[tuple[str, Mode]]:
    """The sessions a request carries: ``(token, mode)`` as ``SessionService.logout`` takes
    them (a session key is its own token in ``session`` mode)."""
    settings = deps.settings
    cookies = context.state(request).cookies
    found: list[tuple[str, Mode]] = []
    modes: tuple[Mode, ...] = ("session", "cookie")
    for mode in modes:
        try:
            token = presented_refresh_token(
                mode,
                None,
                cookies,
                settings,
                deps.clock.now(),
                verify=deps.sessions.verify_access,
            )
        except AuthError:
            continue
        if token:
            found.append((token, mode))
    sid = context.accountability(request).sid
    if sid and all(deps.sessions.session_key(t, m) != sid for t, m in found):
        found.append((sid, "session"))
    return found


def _session_keys(deps: SsoDeps, request: Request) -> list[str]:
    sessions = deps.sessions
    return [sessions.session_key(token, mode) for token, mode in _presented(deps, request)]


def _checked_redirect(deps: SsoDeps, request: Request, provider: OAuthFlow) -> str:
    """The ``redirect`` asked for, checked, as an absolute URL (a provider needs one)."""
    settings = deps.settings
    redirect = redirects.login_redirect(
        request.query_params.get("redirect"),
        public_url=settings.public_url,
        allow_list=provider.allow_list,
    )
    if redirect.startswith("/"):
        origin = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return redirects.public_base(settings, origin) + redirect
    return redirect


# ------------------------------------------------------------------------------- logout


async def logout(deps: SsoDeps, request: Request) -> Response:
    provider = _flow_provider(deps, request)
    redirect = _checked_redirect(deps, request, provider)
    presented = _presented(deps, request)
    hint = None
    for token, mode in presented:
        key = deps.sessions.session_key(token, mode)
        hint = hint or await _identities(deps).id_token_hint(key, provider.name)
    for token, mode in presented:
        await deps.sessions.logout(token, mode=mode, client=context.client(request))
    location = redirect
    endpoint = await _end_session_endpoint(provider) if hint else None
    if endpoint is not None and hint is not None:
        params = {
            "id_token_hint": hint,
            "post_logout_redirect_uri": redirect,
            "client_id": provider.client_id,
        }
        location = endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)
    response = Response(status_code=302, headers={"Location": location, **_NO_STORE})
    cookies = context.state(request).cookies
    for config in (deps.settings.refresh_cookie, deps.settings.session_cookie):
        if config.name in cookies:
            clear_cookie(response, config)
    return response


async def _end_session_endpoint(provider: OAuthFlow) -> str | None:
    try:
        return await provider.end_session_endpoint()
    except AuthError:
        # The provider cannot be discovered now: the local session has ended all the same.
        log.warning("%s: no end_session_endpoint now; logged out locally", provider.name)
        return None


async def backchannel_logout(deps: SsoDeps, request: Request) -> Response:
    provider = _flow_provider(deps, request)
    if not isinstance(provider, OpenIDProvider):
        raise route_not_found(request.url.path)
    form = _form(request)
    try:
        ended = await provider.backchannel_logout(form.get("logout_token"))
    except LogoutTokenRefused:
        raise invalid_payload(_BAD_LOGOUT_TOKEN) from None
    log.info("%s: back-channel logout ended %d session(s)", provider.name, ended)
    return Response(status_code=200, headers=_NO_STORE)


def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    text = context.state(request).raw_body.decode("utf-8", errors="replace")
    values: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        values.setdefault(name, value)
    return values


# -------------------------------------------------------------------------------- link


# A browser names where a navigation comes from; a link starts only from this origin or from an
# address the person typed (a client that sends no such header is not a browser's navigation).
_LINK_STARTS_FROM = frozenset({"same-origin", "none"})


async def link(deps: SsoDeps, request: Request) -> Response:
    provider = _flow_provider(deps, request)
    accountability = context.accountability(request)
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _LINK_STARTS_FROM:
        log.info("%s: link refused: started from another site (%s)", provider.name, fetch_site)
        raise forbidden()  # link CSRF: another site must not start a link in the victim's browser
    keys = _session_keys(deps, request)
    if accountability.user is None or accountability.api_key is not None or not keys:
        raise forbidden()
    host = request.headers.get("host", "")
    outcome = await provider.begin(
        SsoRequest(
            provider=provider.name,
            action="",
            method="GET",
            query={"redirect": request.query_params.get("redirect") or "/admin/account"},
            form={},
            cookies=context.state(request).cookies,
            origin=f"{request.url.scheme}://{host}" if host else "",
            client=context.client(request),
        ),
        link_user=accountability.user,
        link_session=keys[0],
    )
    # (Imported here: the SSO edge imports this module to finish a link.)
    from authgate.http.routes.sso import render_outcome

    return await render_outcome(deps, request, provider, outcome)


async def link_identity(
    deps: SsoDeps, request: Request, provider: str, outcome: LinkIdentity
) -> str:
    """Link the identity of a finished flow; where the browser goes next."""
    try:
        await _identities(deps).link(
            user=outcome.user,
            bound_session=outcome.session,
            current_sessions=_session_keys(deps, request),
            provider=provider,
            subject=outcome.subject,
            identifier=outcome.identifier,
        )
    except AuthError as error:
        return redirects.with_reason(outcome.redirect, error.code.value)
    return outcome.redirect


# ------------------------------------------------------------------------------ identities


def _me(request: Request) -> str:
    accountability = context.accountability(request)
    if accountability.user is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    if accountability.api_key is not None:  # as for sessions and keys (sessions/manage.py)
        raise forbidden()
    return accountability.user


async def list_identities(deps: SsoDeps, request: Request) -> Response:
    found = await _identities(deps).list(_me(request))
    return data([identity.public() for identity in found])


async def unlink(deps: SsoDeps, request: Request) -> Response:
    await _identities(deps).unlink(_me(request), request.path_params["id"])
    return no_content()


def routes(deps: SsoDeps) -> list[Route]:
    return [
        Route("/auth/logout/{provider}", partial(logout, deps), methods=["GET"]),
        Route("/auth/link/{provider}", partial(link, deps), methods=["GET"]),
        Route(
            "/auth/login/{provider}/backchannel-logout",
            partial(backchannel_logout, deps),
            methods=["POST"],
        ),
        Route("/users/me/identities", partial(list_identities, deps), methods=["GET"]),
        Route("/users/me/identities/{id}", partial(unlink, deps), methods=["DELETE"]),
    ]
