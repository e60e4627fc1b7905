"""A raw HTTP/1.1 client: sends exactly the bytes a case describes (paths, repeated headers,
invalid bodies) and keeps every response header, repeated ones included (Set-Cookie)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 30.0


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, sent as given
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lower-cased
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def cookies(self) -> dict[str, str]:
        """Name -> value of every Set-Cookie (the last one of a name wins)."""
        out: dict[str, str] = {}
        for raw in self.all("set-cookie"):
            pair = raw.split(";", 1)[0]
            name, _, value = pair.partition("=")
            out[name.strip()] = value.strip()
        return out


def send(base: str, request: Request) -> Response:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=TIMEOUT)
    try:
        conn.putrequest(request.method, request.target, skip_accept_encoding=True)
        names = {name.lower() for name, _ in request.headers}
        for name, value in request.headers:
            conn.putheader(name, value)
        if request.body is not None and "content-length" not in names:
            conn.putheader("Content-Length", str(len(request.body)))
        conn.endheaders(request.body)
        answer = conn.getresponse()
        body = answer.read()
        headers = [(k.lower(), v) for k, v in answer.getheaders()]
        return Response(answer.status, headers, body)
    except (OSError, http.client.HTTPException) as exc:
        # A closed connection is an answer too (e.g. a header too large): compare it as such.
        return Response(0, [("x-conformance-error", type(exc).__name__)], b"")
    finally:
        conn.close()
