"""Passkeys (WebAuthn, authgate's own): enrolment under ``/users/me/passkeys`` and the
passwordless sign-in under ``/auth/passkey``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.errors import AuthError, invalid_payload, route_not_found
from authgate.http.routes.auth import tokens_response
from authgate.passkeys.service import Passkeys
from authgate.sessions.delivery import MODES
from authgate.sessions.service import Mode, SessionService
from authgate.validate import Rule, validate
from authgate.web import context
from authgate.web.responses import data, no_content

_LOGIN = {"credential": Rule(kind="any", required=True), "mode": Rule(choices=MODES)}


@dataclass(frozen=True)
class PasskeysDeps:
    settings: Settings
    clock: Clock
    sessions: SessionService
    passkeys: Passkeys | None  # always built by create_app


def _passkeys(deps: PasskeysDeps) -> Passkeys:
    assert deps.passkeys is not None  # always built by create_app
    return deps.passkeys


def _body(request: Request) -> dict[str, Any]:
    body = context.body(request)
    return body if isinstance(body, dict) else {}


async def registration_options(deps: PasskeysDeps, request: Request) -> Response:
    body = _body(request)
    options = await _passkeys(deps).registration_options(
        context.accountability(request), body.get("password")
    )
    return data(options)


async def register(deps: PasskeysDeps, request: Request) -> Response:
    body = _body(request)
    created = await _passkeys(deps).register(
        context.accountability(request), body.get("credential"), body.get("name")
    )
    return data(created)


async def read_all(deps: PasskeysDeps, request: Request) -> Response:
    return data(await _passkeys(deps).read_all(context.accountability(request)))


async def remove(deps: PasskeysDeps, request: Request) -> Response:
    body = _body(request)
    await _passkeys(deps).remove(
        context.accountability(request),
        request.path_params["key"],
        password=body.get("password"),
        otp=body.get("otp"),
        passkey=body.get("passkey"),
    )
    return no_content()


def _refuse_when_disabled(deps: PasskeysDeps, request: Request) -> None:
    """Passkeys sign in users of the built-in provider: off with ``AUTH_DISABLE_DEFAULT``."""
    if deps.settings.auth_disable_default:
        raise route_not_found(request.url.path)


async def authentication_options(deps: PasskeysDeps, request: Request) -> Response:
    _refuse_when_disabled(deps, request)
    body = _body(request)
    return data(await _passkeys(deps).authentication_options(body.get("email") or None))


async def login(deps: PasskeysDeps, request: Request) -> Response:
    """``POST /auth/passkey/login``: ``{credential, mode?}``, answered as ``/auth/login``."""
    _refuse_when_disabled(deps, request)
    body = context.body(request)
    try:
        validate(body, _LOGIN)
        if not isinstance(body["credential"], dict):
            raise invalid_payload('"credential" must be of type object')
    except AuthError:
        await asyncio.sleep(deps.settings.login_stall_time.total_seconds())
        raise
    mode: Mode = body.get("mode", "json")
    passkeys = _passkeys(deps)
    credential = body["credential"]
    tokens = await deps.sessions.login_passwordless(
        lambda: passkeys.owner_of(credential),
        lambda user, now: passkeys.accept(user, credential, now=now, user_verification=True),
        mode=mode,
        client=context.client(request),
    )
    return tokens_response(deps.settings, deps.clock, tokens, mode)


def routes(deps: PasskeysDeps) -> list[Route]:
    return [
        Route("/users/me/passkeys/options", partial(registration_options, deps), methods=["POST"]),
        Route("/users/me/passkeys", partial(register, deps), methods=["POST"]),
        Route("/users/me/passkeys", partial(read_all, deps), methods=["GET"]),
        Route("/users/me/passkeys/{key}", partial(remove, deps), methods=["DELETE"]),
        Route("/auth/passkey/options", partial(authentication_options, deps), methods=["POST"]),
        Route("/auth/passkey/login", partial(login, deps), methods=["POST"]),
    ]
