"""Passkeys (WebAuthn, authgate's own): enrolment under ``/users/me/passkeys`` and the
passwordless sign-in under ``/auth/passkey``."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.errors import AuthError, invalid_payload, route_not_found
from authgate.http import context
from authgate.http.responses import data, no_content
from authgate.http.routes.auth import tokens_response
from authgate.http.validate import Rule, validate
from authgate.passkeys.service import Passkeys
from authgate.sessions.delivery import MODES
from authgate.sessions.service import Mode

_LOGIN = {"credential": Rule(kind="any", required=True), "mode": Rule(choices=MODES)}


def _passkeys(request: Request) -> Passkeys:
    passkeys = context.services(request).passkeys
    assert passkeys is not None  # always built by create_app
    return passkeys


def _body(request: Request) -> dict[str, Any]:
    body = context.body(request)
    return body if isinstance(body, dict) else {}


async def registration_options(request: Request) -> Response:
    body = _body(request)
    options = await _passkeys(request).registration_options(
        context.accountability(request), body.get("password")
    )
    return data(options)


async def register(request: Request) -> Response:
    body = _body(request)
    created = await _passkeys(request).register(
        context.accountability(request), body.get("credential"), body.get("name")
    )
    return data(created)


async def read_all(request: Request) -> Response:
    return data(await _passkeys(request).read_all(context.accountability(request)))


async def remove(request: Request) -> Response:
    body = _body(request)
    await _passkeys(request).remove(
        context.accountability(request),
        request.path_params["key"],
        password=body.get("password"),
        otp=body.get("otp"),
        passkey=body.get("passkey"),
    )
    return no_content()


def _refuse_when_disabled(request: Request) -> None:
    """Passkeys sign in users of the built-in provider: off with ``AUTH_DISABLE_DEFAULT``."""
    if context.services(request).settings.auth_disable_default:
        raise route_not_found(request.url.path)


async def authentication_options(request: Request) -> Response:
    _refuse_when_disabled(request)
    body = _body(request)
    return data(await _passkeys(request).authentication_options(body.get("email") or None))


async def login(request: Request) -> Response:
    """``POST /auth/passkey/login``: ``{credential, mode?}``, answered as ``/auth/login``."""
    _refuse_when_disabled(request)
    services = context.services(request)
    body = context.body(request)
    try:
        validate(body, _LOGIN)
        if not isinstance(body["credential"], dict):
            raise invalid_payload('"credential" must be of type object')
    except AuthError:
        await asyncio.sleep(services.settings.login_stall_time.total_seconds())
        raise
    mode: Mode = body.get("mode", "json")
    passkeys = _passkeys(request)
    credential = body["credential"]
    tokens = await services.sessions.login_passwordless(
        lambda: passkeys.owner_of(credential),
        lambda user, now: passkeys.accept(user, credential, now=now, user_verification=True),
        mode=mode,
        client=context.client(request),
    )
    return tokens_response(request, tokens, mode)


routes = [
    Route("/users/me/passkeys/options", registration_options, methods=["POST"]),
    Route("/users/me/passkeys", register, methods=["POST"]),
    Route("/users/me/passkeys", read_all, methods=["GET"]),
    Route("/users/me/passkeys/{key}", remove, methods=["DELETE"]),
    Route("/auth/passkey/options", authentication_options, methods=["POST"]),
    Route("/auth/passkey/login", login, methods=["POST"]),
]
