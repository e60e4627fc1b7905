"""``GET /.well-known/jwks.json``: the public keys access tokens are signed with (authgate's own;
Directus has no such endpoint). Public, no token needed; an empty set with HS256 (the secret is
never published).

Cacheable, briefly: a verifier that keeps the set for ``max-age`` still learns a rotated-in key
before it signs, since a key is published ``AUTH_JWT_KEY_PUBLISH_DELAY`` before it signs and
every instance reads the keys again within ``REFRESH_INTERVAL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.sessions.service import SessionService
from authgate.signing.ring import REFRESH_INTERVAL
from authgate.web.responses import dumps

_LONGEST = timedelta(seconds=60)


@dataclass(frozen=True)
class JwksDeps:
    settings: Settings
    clock: Clock
    sessions: SessionService


def cache_seconds(publish_delay: timedelta) -> int:
    return int(max(timedelta(0), min(_LONGEST, publish_delay - REFRESH_INTERVAL)).total_seconds())


async def jwks(deps: JwksDeps, request: Request) -> Response:
    keys = deps.sessions.signing.keys.jwks(deps.clock.now())
    seconds = cache_seconds(deps.settings.signing.publish_delay)
    return Response(
        dumps(keys),
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={seconds}" if seconds else "no-cache"},
    )


def routes(deps: JwksDeps) -> list[Route]:
    return [Route("/.well-known/jwks.json", partial(jwks, deps), methods=["GET"])]
