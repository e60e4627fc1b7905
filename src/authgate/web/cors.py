"""CORS as Directus configures it (``CORS_*``): off by default.

``CORS_ORIGIN=*`` answers a literal ``*`` and never allows credentials (a browser refuses
credentials with ``*``; reflecting the caller's origin instead would let every site make
credentialed requests). Only ``CORS_ORIGIN=true`` or an origin on the list is reflected.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response

from authgate.config.cors import CorsSettings


class Cors:
    def __init__(self, config: CorsSettings) -> None:
        self.config = config
        self.enabled = config.enabled

    def allowed_origin(self, origin: str | None) -> str | None:
        if not self.enabled or not origin:
            return None
        if self.config.reflect_origin:
            return origin
        if "*" in self.config.origins:
            return "*"
        return origin if origin in self.config.origins else None

    def response_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return []
        headers = [(b"access-control-allow-origin", allowed.encode("latin-1"))]
        if allowed != "*":
            headers.append((b"vary", b"Origin"))
        if self.config.credentials and allowed != "*":
            headers.append((b"access-control-allow-credentials", b"true"))
        if self.config.exposed_headers:
            exposed = ",".join(self.config.exposed_headers)
            headers.append((b"access-control-expose-headers", exposed.encode("latin-1")))
        return headers

    def preflight(self, request_headers: Headers) -> Response:
        response = Response(status_code=204)
        if self.allowed_origin(request_headers.get("origin")) is None:
            return response
        response.headers["Access-Control-Allow-Methods"] = ",".join(self.config.methods)
        requested = request_headers.get("access-control-request-headers")
        allowed_headers = (
            ",".join(self.config.allowed_headers)
            if self.config.allowed_headers
            else (requested or "")
        )
        if allowed_headers:
            response.headers["Access-Control-Allow-Headers"] = allowed_headers
        response.headers["Access-Control-Max-Age"] = str(self.config.max_age)
        return response
