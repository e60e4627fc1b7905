"""``/auth/login/<provider>[/<action>]`` for redirect-flow providers (OAuth2, OpenID, SAML).

The edge is generic: it turns the request into a ``providers.base.SsoRequest``, lets the
provider's driver answer, and renders the outcome. A ``SignIn`` is finished here, the same for
every driver: ``login_verified`` (active user of this provider, two-factor with the ``otp``
given at the start), then the session cookie (``MODE=session``, the default) or the refresh
cookie, and a redirect; an error on the way is reported on the redirect target as
``?reason=<CODE>`` (spec §6.7.3).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.errors import AuthError, route_not_found
from authgate.http.routes.sso_accounts import SsoDeps, link_identity
from authgate.identities.service import Identities
from authgate.providers import redirects
from authgate.providers.base import (
    Cookie,
    Document,
    LinkIdentity,
    Outcome,
    Redirect,
    RedirectProvider,
    SignIn,
    SignOut,
    SsoRequest,
)
from authgate.sessions.delivery import presented_refresh_token
from authgate.sessions.service import Mode, SessionBinder
from authgate.web import context
from authgate.web.responses import cookie_header, data, set_cookie

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store"}


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def _sso_request(request: Request, action: str) -> SsoRequest:
    state = context.state(request)
    form: dict[str, str] = {}
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method == "POST" and content_type == _FORM:
        text = state.raw_body.decode("utf-8", errors="replace")
        form = _first_values(parse_qsl(text, keep_blank_values=True))
    host = request.headers.get("host", "")
    return SsoRequest(
        provider=request.path_params["provider"],
        action=action,
        method=request.method,
        query=_first_values(request.query_params.multi_items()),
        form=form,
        cookies=state.cookies,
        origin=f"{request.url.scheme}://{host}" if host else "",
        client=context.client(request),
    )


async def sso(deps: SsoDeps, request: Request) -> Response:
    name = request.path_params["provider"]
    action = request.path_params.get("action", "")
    provider = deps.providers.redirect(name)
    method = "GET" if request.method == "HEAD" else request.method
    if provider is None or (method, action) not in provider.actions:
        raise route_not_found(request.url.path)
    outcome = await provider.handle(_sso_request(request, action))
    return await _render(deps, request, provider, outcome)


async def _render(
    deps: SsoDeps, request: Request, provider: RedirectProvider, outcome: Outcome
) -> Response:
    if isinstance(outcome, Redirect):
        response = _redirect(outcome.location, outcome.status)
        now = deps.clock.now()
        for cookie in outcome.set_cookies:
            _add_cookie(response, cookie, now)
        _clear(response, outcome.clear_cookies)
        return response
    if isinstance(outcome, SignOut):
        await _end_session(deps, request)
        response = _redirect(outcome.location)
        _clear(response, outcome.clear_cookies)
        return response
    if isinstance(outcome, LinkIdentity):
        response = _redirect(await link_identity(deps, request, provider.name, outcome))
        _clear(response, outcome.clear_cookies)
        return response
    if isinstance(outcome, Document):
        response = Response(
            outcome.body, status_code=outcome.status, media_type=outcome.content_type
        )
        _clear(response, outcome.clear_cookies)
        return response
    return await _sign_in(deps, request, provider, outcome)


async def _sign_in(
    deps: SsoDeps, request: Request, provider: RedirectProvider, outcome: SignIn
) -> Response:
    settings = deps.settings
    mode: Mode = provider.session_mode if outcome.redirect is not None else "json"
    try:
        tokens = await deps.sessions.login_verified(
            outcome.user_id,
            otp=outcome.otp,
            mode=mode,
            client=context.client(request),
            provider=provider.name,
            mfa=outcome.mfa,
            linked=outcome.linked,
            bind=_binder(deps, provider, outcome),
        )
    except AuthError as error:
        if outcome.redirect is None:
            raise
        response = _redirect(redirects.with_reason(outcome.redirect, error.code.value))
        _clear(response, outcome.clear_cookies)
        return response
    if outcome.redirect is None:
        payload: dict[str, Any] = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires": tokens.expires_ms,
        }
        response = data(payload)
        _clear(response, outcome.clear_cookies)
        return response
    now = deps.clock.now()
    claims = deps.sessions.verify_access(tokens.access_token, now)
    location = outcome.redirect
    if claims.get("enforce_tfa") and not outcome.mfa:
        location = redirects.tfa_setup(settings, outcome.redirect, provider.name)
    response = _redirect(location)
    _clear(response, outcome.clear_cookies)
    for cookie in outcome.set_cookies:
        _add_cookie(response, cookie, now)
    if mode == "session":
        set_cookie(response, settings.session_cookie, tokens.access_token, now)
    else:
        set_cookie(response, settings.refresh_cookie, tokens.refresh_token, now)
    return response


def _binder(deps: SsoDeps, provider: RedirectProvider, outcome: SignIn) -> SessionBinder | None:
    """What an OpenID sign-in keeps with its session (back-channel and RP-initiated logout)."""
    facts = outcome.sso
    if facts is None:
        return None
    identities = Identities(db=deps.db, keys=deps.keys, clock=deps.clock)
    return identities.binder(
        user=outcome.user_id,
        provider=provider.name,
        subject=facts.subject,
        sid=facts.sid,
        id_token=facts.id_token,
    )


render_outcome = _render


async def _end_session(deps: SsoDeps, request: Request) -> None:
    """Log out the session of the session cookie (or of the refresh cookie), if any; a stale
    or forged cookie ends nothing."""
    settings = deps.settings
    cookies = context.state(request).cookies
    for mode in ("session", "cookie"):
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
            await deps.sessions.logout(token, mode=mode, client=context.client(request))


def _redirect(location: str, status: int = 302) -> Response:
    return Response(status_code=status, headers={"Location": location, **_NO_STORE})


def _add_cookie(response: Response, cookie: Cookie, now: datetime) -> None:
    header = cookie_header(
        cookie.name,
        cookie.value,
        max_age=cookie.max_age,
        domain=cookie.domain,
        secure=cookie.secure,
        same_site=cookie.same_site or "lax",
        now=now,
    )
    if cookie.same_site is None:  # the browser's default applies
        header = header.removesuffix("; SameSite=Lax")
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))


def _clear(response: Response, cookies: tuple[Cookie, ...]) -> None:
    epoch = format_datetime(datetime(1970, 1, 1, tzinfo=UTC), usegmt=True)
    for cookie in cookies:
        parts = [f"{cookie.name}=", "Max-Age=0"]
        if cookie.domain:
            parts.append(f"Domain={cookie.domain}")
        parts += ["Path=/", f"Expires={epoch}", "HttpOnly"]
        if cookie.secure:
            parts.append("Secure")
        if cookie.same_site is not None:
            parts.append(f"SameSite={cookie.same_site.capitalize()}")
        response.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))


def routes(deps: SsoDeps) -> list[Route]:
    """(``SsoDeps`` is declared in ``sso_accounts.py``, which this module imports.)"""
    return [
        Route("/auth/login/{provider}", partial(sso, deps), methods=["GET"]),
        Route("/auth/login/{provider}/{action}", partial(sso, deps), methods=["GET", "POST"]),
    ]
