"""``GET /metrics``: the Prometheus text, as Directus serves it when ``METRICS_ENABLED``.

An admin may read it, and so may a scraper that sends ``Authorization: Metrics <token>`` with
one of ``METRICS_TOKENS`` (compared in constant time); anyone else gets 403. With metrics off
the route does not exist (404, as in Directus).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate import crypto
from authgate.errors import forbidden, route_not_found
from authgate.metrics.registry import Metrics
from authgate.web import context


@dataclass(frozen=True)
class MetricsDeps:
    metrics: Metrics | None  # None: METRICS_ENABLED is off


def _scraper_token(request: Request, tokens: tuple[str, ...]) -> bool:
    parts = (request.headers.get("authorization") or "").split(" ")
    if len(parts) != 2 or parts[0] != "Metrics" or not tokens:
        return False
    # Every listed token is compared, so the time taken says nothing about which one matched.
    matched = False
    for token in tokens:
        matched |= crypto.equal(parts[1], token)
    return matched


async def scrape(deps: MetricsDeps, request: Request) -> Response:
    metrics = deps.metrics
    if metrics is None:
        raise route_not_found(request.url.path)
    if not context.accountability(request).admin and not _scraper_token(
        request, metrics.settings.tokens
    ):
        raise forbidden()
    from authgate.metrics.registry import CONTENT_TYPE

    return Response(
        metrics.render(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-cache"}
    )


def routes(deps: MetricsDeps) -> list[Route]:
    return [Route("/metrics", partial(scrape, deps), methods=["GET"])]
