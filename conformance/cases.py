"""The case model: one request described once, built for each server from its own world
(fixture ids and tokens), and scripted flows for what depends on state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from conformance.client import Request, Response, send
from conformance.servers import Server

ACTORS = ("admin", "app", "api", "roleless", "anon")
TRANSPORTS = ("header", "cookie", "query")
PLACEHOLDER = re.compile(r"<<(\w+)>>")
JSON = "application/json"


@dataclass
class World:
    """One server and what the fixtures created on it (``values``: ``<<name>>`` substitutions)."""

    server: Server
    values: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # generated value -> placeholder

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self.values.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def send(self, request: Request) -> Response:
        return send(self.server.base, request)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    actor: str = "anon"
    transport: str = "header"  # header | cookie | query (ignored for anon)
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = None  # a JSON body (placeholders resolved), or
    raw: bytes | None = None  # raw body bytes, sent as given
    unordered: bool = False  # the answer's lists have no defined order (compared sorted)

    def request(self, world: World) -> Request:
        headers = [(k, world.resolve(v)) for k, v in self.headers]
        query = [(k, world.resolve(v)) for k, v in self.query]
        if self.actor != "anon":
            token = world.values[f"token_{self.actor}"]
            if self.transport == "header":
                headers.append(("Authorization", f"Bearer {token}"))
            elif self.transport == "cookie":
                session = world.values[f"session_{self.actor}"]
                headers.append(("Cookie", f"directus_session_token={session}"))
            elif self.transport == "query":
                query.append(("access_token", token))
        target = world.resolve(self.path)
        if query:
            target += ("&" if "?" in target else "?") + urlencode(query, quote_via=quote)
        body = self.raw
        if self.json is not None:
            body = json.dumps(world.resolve(self.json)).encode()
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", JSON))
        return Request(self.method, target, tuple(headers), body)


# A flow runs the same script on each server and returns its named steps' responses.
FlowScript = Callable[[World], list[tuple[str, Response]]]


@dataclass(frozen=True)
class Flow:
    name: str
    script: FlowScript


def call(
    world: World,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    cookie: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    """A JSON request for flows and fixtures."""
    hdrs = list(headers)
    if token:
        hdrs.append(("Authorization", f"Bearer {token}"))
    if cookie:
        hdrs.append(("Cookie", cookie))
    raw = None
    if body is not None:
        raw = json.dumps(world.resolve(body)).encode()
        hdrs.append(("Content-Type", JSON))
    return world.send(Request(method, world.resolve(path), tuple(hdrs), raw))
