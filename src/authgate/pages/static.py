"""The pages' stylesheet and their few lines of script, served from the package."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from authgate.errors import route_not_found

_FOLDER = Path(__file__).parent / "static"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _load() -> dict[str, tuple[bytes, str, str]]:
    files = {}
    for path in sorted(_FOLDER.iterdir()):
        if path.suffix in _TYPES:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            files[path.name] = (body, _TYPES[path.suffix], etag)
    return files


# Read once: a fixed set of names, so no request can reach another file.
FILES = _load()


async def static_file(request: Request) -> Response:
    found = FILES.get(request.path_params["name"])
    if found is None:
        raise route_not_found(request.url.path)
    body, media_type, etag = found
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
