"""Second factors beyond Directus's TOTP: recovery codes (``users/recovery_codes.py``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.http import context
from authgate.http.responses import data


async def recovery_codes_left(request: Request) -> Response:
    services = context.services(request)
    left = await services.recovery_codes.remaining(context.accountability(request))
    return data({"remaining": left})


async def recovery_codes_make(request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    codes = await context.services(request).recovery_codes.regenerate(
        context.accountability(request), body.get("password"), body.get("otp")
    )
    return data({"codes": codes})


routes = [
    Route("/users/me/tfa/recovery-codes", recovery_codes_left, methods=["GET"]),
    Route("/users/me/tfa/recovery-codes", recovery_codes_make, methods=["POST"]),
]
