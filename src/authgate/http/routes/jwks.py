"""``GET /.well-known/jwks.json``: the public keys access tokens are signed with (authgate's own;
Directus has no such endpoint). Public, no token needed; an empty set with HS256 (the secret is
never published).

Cacheable, briefly: a verifier that keeps the set for ``max-age`` still learns a rotated-in key
before it signs, since a key is published ``AUTH_JWT_KEY_PUBLISH_DELAY`` before it signs and
every instance reads the keys again within ``REFRESH_INTERVAL``.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.http import context
from authgate.http.responses import dumps
from authgate.signing.ring import REFRESH_INTERVAL

_LONGEST = timedelta(seconds=60)


def cache_seconds(publish_delay: timedelta) -> int:
    return int(max(timedelta(0), min(_LONGEST, publish_delay - REFRESH_INTERVAL)).total_seconds())


async def jwks(request: Request) -> Response:
    services = context.services(request)
    keys = services.sessions.signing.keys.jwks(services.clock.now())
    seconds = cache_seconds(services.settings.signing.publish_delay)
    return Response(
        dumps(keys),
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={seconds}" if seconds else "no-cache"},
    )


routes = [Route("/.well-known/jwks.json", jwks, methods=["GET"])]
