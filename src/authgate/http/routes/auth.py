"""``/auth``: login, refresh, logout, password reset and the provider list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import jsvalues
from authgate.clock import Clock, stalled
from authgate.config.settings import Settings
from authgate.errors import AuthError, Code, invalid_payload, route_not_found
from authgate.providers.registry import Providers
from authgate.sessions.delivery import MISSING_REFRESH, MODES, deliver, presented_refresh_token
from authgate.sessions.service import IssuedTokens, Mode, SessionService
from authgate.users.recovery import PasswordRecovery
from authgate.validate import Rule, validate
from authgate.web import context
from authgate.web.responses import clear_cookie, data, json_response, no_content, set_cookie


@dataclass(frozen=True)
class AuthDeps:
    settings: Settings
    clock: Clock
    sessions: SessionService
    recovery: PasswordRecovery
    providers: Providers


_MODES = MODES
_LOGIN = {
    "email": Rule("email", required=True),
    "password": Rule(required=True),
    "mode": Rule(choices=_MODES),
    "otp": Rule(),
    "passkey": Rule(kind="any"),  # a passkey assertion in place of ``otp`` (authgate's own)
}
_LDAP_LOGIN = {
    "identifier": Rule(required=True),
    "password": Rule(required=True),
    "mode": Rule(choices=_MODES),
    "otp": Rule(),
}
_MISSING_REFRESH = MISSING_REFRESH


def tokens_response(
    settings: Settings,
    clock: Clock,
    tokens: IssuedTokens,
    mode: Mode,
    *,
    always_access: bool = False,
) -> Response:
    """Login and refresh answers, by mode: the refresh token in the body (json), in the
    refresh cookie (cookie), or everything in the session cookie (session)."""
    delivery = deliver(tokens, mode, always_access=always_access)
    response = data(delivery.payload)
    if delivery.cookie is not None:
        config = (
            settings.refresh_cookie if delivery.cookie == "refresh" else settings.session_cookie
        )
        set_cookie(response, config, delivery.cookie_value, clock.now())
    return response


async def login(deps: AuthDeps, request: Request) -> Response:
    """``POST /auth/login`` (the built-in provider) and ``POST /auth/login/<name>`` for extra
    providers with the ``local`` driver (their users have ``provider = <name>``)."""
    name = request.path_params.get("provider")
    if name is None:
        if deps.settings.auth_disable_default:
            raise route_not_found(request.url.path)
        provider = "default"
    else:
        configured = {p.name: p for p in deps.settings.providers}.get(name)
        if configured is not None and configured.driver == "ldap":
            return await _ldap_login(deps, request, configured.name)
        if configured is None or configured.driver != "local":
            raise route_not_found(request.url.path)
        provider = configured.name
    body = context.body(request)
    try:
        validate(body, _LOGIN)
    except AuthError:
        await asyncio.sleep(deps.settings.login_stall_time.total_seconds())
        raise
    mode: Mode = body.get("mode", "json")
    tokens = await deps.sessions.login(
        email=body["email"],
        password=body["password"],
        otp=body.get("otp") or None,
        mode=mode,
        client=context.client(request),
        provider=provider,
        passkey=body.get("passkey"),
    )
    return tokens_response(deps.settings, deps.clock, tokens, mode)


async def _ldap_login(deps: AuthDeps, request: Request, name: str) -> Response:
    """``POST /auth/login/<name>`` of an ``ldap`` provider: ``identifier`` and ``password``
    checked against the directory, then the login pipeline (two-factor with ``otp``). The
    answer carries the access token in every mode (spec §6.7.4)."""
    provider = deps.providers.credentials(name)
    if provider is None:
        raise AuthError(Code.INVALID_PROVIDER_CONFIG)
    body = context.body(request)
    try:
        validate(body, _LDAP_LOGIN)
    except AuthError:
        await asyncio.sleep(deps.settings.login_stall_time.total_seconds())
        raise
    mode: Mode = body.get("mode", "json")

    async def work() -> IssuedTokens:
        user_id = await provider.authenticate(body["identifier"], body["password"])
        return await deps.sessions.login_verified(
            user_id,
            otp=body.get("otp") or None,
            mode=mode,
            client=context.client(request),
            provider=name,
        )

    # A refused directory login is stalled like any failed login.
    tokens = await stalled(deps.clock, deps.settings.login_stall_time, work)
    return tokens_response(deps.settings, deps.clock, tokens, mode, always_access=True)


def _refresh_source(deps: AuthDeps, request: Request) -> tuple[Any, str | None]:
    """Directus's mode rules: ``mode`` if given, else json when the body has a token, else
    cookie; the token comes from the body, the refresh cookie, or the session cookie's JWT.
    "Given" is JavaScript's truthiness: ``"mode": ""`` is no mode, and ``"refresh_token": []``
    is a token (that refreshes nothing)."""
    body = context.body(request)
    if not isinstance(body, dict):
        body = {}
    mode: Any = body.get("mode")
    if not jsvalues.truthy(mode):
        mode = "json" if jsvalues.truthy(body.get("refresh_token")) else "cookie"
    token = presented_refresh_token(
        mode,
        body.get("refresh_token"),
        context.state(request).cookies,
        deps.settings,
        deps.clock.now(),
        verify=deps.sessions.verify_access,
    )
    return mode, token


async def refresh(deps: AuthDeps, request: Request) -> Response:
    mode, token = _refresh_source(deps, request)
    if token is None:
        raise invalid_payload(_MISSING_REFRESH)
    if mode not in _MODES:
        raise invalid_payload(_MISSING_REFRESH)
    tokens = await deps.sessions.refresh(token, mode=mode, client=context.client(request))
    return tokens_response(deps.settings, deps.clock, tokens, mode)


async def logout(deps: AuthDeps, request: Request) -> Response:
    mode, token = _refresh_source(deps, request)
    if token is None or mode not in _MODES:
        raise invalid_payload(_MISSING_REFRESH)
    await deps.sessions.logout(token, mode=mode, client=context.client(request))
    response = no_content()
    cookies = context.state(request).cookies
    for config in (deps.settings.refresh_cookie, deps.settings.session_cookie):
        if config.name in cookies:
            clear_cookie(response, config)
    return response


async def password_request(deps: AuthDeps, request: Request) -> Response:
    body = context.body(request)
    if not isinstance(body, dict) or not isinstance(body.get("email"), str):
        raise invalid_payload('"email" field is required')
    reset_url = body.get("reset_url")
    if not jsvalues.truthy(reset_url):
        reset_url = None
    elif not isinstance(reset_url, str):
        # Directus puts whatever it was given, as JavaScript prints it, in its refusal.
        raise invalid_payload(
            f'URL "{jsvalues.string(reset_url)}" can\'t be used to reset passwords'
        )
    await deps.recovery.request(body["email"], reset_url)
    return no_content()


async def password_reset(deps: AuthDeps, request: Request) -> Response:
    body = context.body(request)
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise invalid_payload('"token" field is required')
    if not isinstance(body.get("password"), str):
        raise invalid_payload('"password" field is required')
    await deps.recovery.reset(body["token"], body["password"], context.client(request))
    return no_content()


async def providers(deps: AuthDeps, request: Request) -> Response:
    settings = deps.settings
    # Directus: `"" or Boolean(value)`, so any sessionOnly given (even "false") is on.
    session_only = "sessionOnly" in request.query_params
    listed = []
    for provider in settings.providers:
        if (
            session_only
            and provider.driver in ("oauth2", "openid", "saml")
            and provider.mode not in (None, "session")
        ):
            continue
        item: dict[str, Any] = {"name": provider.name}
        if provider.label is not None:
            item["label"] = provider.label
        item["driver"] = provider.driver
        if provider.icon is not None:
            item["icon"] = provider.icon
        listed.append(item)
    return json_response({"data": listed, "disableDefault": settings.auth_disable_default})


def routes(deps: AuthDeps) -> list[Route]:
    return [
        Route("/auth", partial(providers, deps), methods=["GET"]),
        Route("/auth/login", partial(login, deps), methods=["POST"]),
        Route("/auth/login/{provider}", partial(login, deps), methods=["POST"]),
        Route("/auth/refresh", partial(refresh, deps), methods=["POST"]),
        Route("/auth/logout", partial(logout, deps), methods=["POST"]),
        Route("/auth/password/request", partial(password_request, deps), methods=["POST"]),
        Route("/auth/password/reset", partial(password_reset, deps), methods=["POST"]),
    ]
