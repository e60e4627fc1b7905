"""Second factors beyond Directus's TOTP: recovery codes (``users/recovery_codes.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.users.recovery_codes import RecoveryCodes
from authgate.web import context
from authgate.web.responses import data


@dataclass(frozen=True)
class FactorsDeps:
    recovery_codes: RecoveryCodes


async def recovery_codes_left(deps: FactorsDeps, request: Request) -> Response:
    left = await deps.recovery_codes.remaining(context.accountability(request))
    return data({"remaining": left})


async def recovery_codes_make(deps: FactorsDeps, request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    codes = await deps.recovery_codes.regenerate(
        context.accountability(request), body.get("password"), body.get("otp")
    )
    return data({"codes": codes})


def routes(deps: FactorsDeps) -> list[Route]:
    return [
        Route("/users/me/tfa/recovery-codes", partial(recovery_codes_left, deps), methods=["GET"]),
        Route("/users/me/tfa/recovery-codes", partial(recovery_codes_make, deps), methods=["POST"]),
    ]
