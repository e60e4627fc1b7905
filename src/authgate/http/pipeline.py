"""The request pipeline, in Directus's order, as one pure-ASGI middleware:

CORS preflight -> body (bounded, JSON) -> token extraction -> client IP -> rate limiters ->
``/server/ping`` -> authentication -> routes; every error on the way is rendered once, in the
Directus envelope, and nothing unexpected ever reaches the client as a trace.

A NUL character in the path, the query string or any string of a JSON body is refused at the
edge (no database stores it, and PostgreSQL fails on it). The log of an unexpected error keeps
its stack but never a database error's message or parameters (they hold the written values:
password hashes, token hashes).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

import orjson
from sqlalchemy.exc import SQLAlchemyError, StatementError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.access.authenticate import RequestOrigin
from authgate.errors import AuthError, Code, invalid_payload, invalid_query, route_not_found
from authgate.http.errors import render_error, render_unexpected
from authgate.http.responses import clear_cookie
from authgate.http.services import Services
from authgate.netaddr import client_ip

log = logging.getLogger("authgate.http")
access_log = logging.getLogger("authgate.access")

_BODY_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE", "SEARCH"})
_BASE_HEADERS = [
    (b"x-powered-by", b"Directus"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
_TOO_MANY_TOKENS = "The request uses more than one method for including an access token"


@dataclass(frozen=True)
class PageArea:
    """Paths served as HTML pages (``/admin``): their errors render as pages (``None`` for an
    unexpected one), and a session cookie that no longer authenticates makes the request
    anonymous (the page offers to sign in again) instead of failing with a JSON error."""

    prefix: str
    render_error: Callable[[AuthError | None], Response]

    def owns(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


@dataclass
class RequestState:
    """What the pipeline learned about a request; handlers read it from ``scope["state"]``."""

    body: Any
    raw_body: bytes
    token: str | None
    token_source: str | None
    cookies: dict[str, str]
    ip: str | None
    user_agent: str | None
    origin: str | None
    stale_cookie: bool = False  # a page request whose session cookie failed; the page clears it


def parse_cookies(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        # Fall back to a plain split: a malformed neighbour must not hide our cookie.
        pairs = (part.split("=", 1) for part in header.split(";") if "=" in part)
        return {name.strip(): value.strip() for name, value in pairs}
    return {name: morsel.value for name, morsel in jar.items()}


class Pipeline:
    def __init__(self, app: ASGIApp, services: Services, pages: PageArea | None = None) -> None:
        self.app = app
        self.services = services
        self.settings = services.settings
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_box = [500]
        headers = Headers(scope=scope)
        extra: list[tuple[bytes, bytes]] = list(_BASE_HEADERS)
        extra += self.services.cors.response_headers(headers.get("origin"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                own = message.get("headers", [])
                # A response's own header wins (the pages send their own CSP).
                present = {name.lower() for name, _ in own}
                message["headers"] = [*own, *(h for h in extra if h[0] not in present)]
            await send(message)

        try:
            await self._handle(scope, receive, send_with_headers, headers)
        except AuthError as error:
            await self._respond(self._render(error, scope), scope, receive, send_with_headers)
        except Exception as exc:
            log.error(
                "unhandled error on %s %s\n%s", scope["method"], scope["path"], _redacted(exc)
            )
            await self._respond(self._render(None, scope), scope, receive, send_with_headers)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    scope["path"],
                    status_box[0],
                    (time.perf_counter() - started) * 1000,
                )

    async def _respond(
        self, response: Response, scope: Scope, receive: Receive, send: Send
    ) -> None:
        await response(scope, receive, send)

    def _render(self, error: AuthError | None, scope: Scope) -> Response:
        if self.pages is not None and self.pages.owns(scope["path"]):
            return self.pages.render_error(error)
        return render_unexpected() if error is None else render_error(error)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        method = scope["method"]
        if method == "OPTIONS" and self.services.cors.enabled and headers.get("origin"):
            await self._respond(self.services.cors.preflight(headers), scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query):
            raise invalid_query("Null characters are not allowed")
        raw_body = await self._read_body(receive, headers) if method in _BODY_METHODS else b""
        body = self._parse_body(raw_body, headers)
        cookies = parse_cookies(headers.get("cookie"))
        token, source = self._extract_token(query, headers, cookies)
        socket = scope.get("client")
        custom = (
            headers.get(self.settings.ip_custom_header) if self.settings.ip_custom_header else None
        )
        ip = client_ip(
            socket[0] if socket else None,
            headers.get("x-forwarded-for"),
            trust_proxy=self.settings.ip_trust_proxy,
            custom_header_value=custom,
        )
        user_agent = headers.get("user-agent")
        state = RequestState(
            body=body,
            raw_body=raw_body,
            token=token,
            token_source=source,
            cookies=cookies,
            ip=ip,
            user_agent=user_agent[:1024] if user_agent else None,
            origin=headers.get("origin"),
        )
        scope.setdefault("state", {})
        scope["state"]["request"] = state
        scope["state"]["services"] = self.services
        await self.services.limits.check_request(ip)
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
        if path == "/server/ping" and method in ("GET", "HEAD"):
            await self._respond(
                PlainTextResponse("pong", media_type="text/html"), scope, receive, send
            )
            return
        origin = RequestOrigin(ip=ip, user_agent=state.user_agent, origin=state.origin)
        try:
            accountability = await self.services.authenticator.authenticate(token, origin)
        except AuthError as error:
            refresh = source == "cookie" and path == "/auth/refresh" and token is not None
            if refresh and await self._refresh_judges(token or "", error):
                scope["state"]["accountability"] = self.services.authenticator.anonymous(origin)
                await self._route(scope, _replay(raw_body), send)
                return
            if source == "cookie" and self.pages is not None and self.pages.owns(path):
                state.stale_cookie = True
                scope["state"]["accountability"] = self.services.authenticator.anonymous(origin)
                await self._route(scope, _replay(raw_body), send)
                return
            response = render_error(error)
            if source == "cookie" and error.code in (Code.INVALID_CREDENTIALS, Code.INVALID_TOKEN):
                clear_cookie(response, self.settings.session_cookie)
            await self._respond(response, scope, receive, send)
            return
        scope["state"]["accountability"] = accountability
        await self._route(scope, _replay(raw_body), send)

    async def _refresh_judges(self, cookie: str, error: AuthError) -> bool:
        """A session cookie that no longer authenticates, sent to ``/auth/refresh``. Answered
        here as Directus does (the cookie cleared), but first a rotated one presented past
        its grace period is a reuse and revokes its chain, as in the other modes. A valid
        cookie of a session whose user changed role (``TOKEN_EXPIRED``) goes on to the
        refresh, which issues one of the new role."""
        if error.code == Code.INVALID_CREDENTIALS:
            await self.services.sessions.revoke_if_reused(cookie)
            return False
        return error.code == Code.TOKEN_EXPIRED and self.services.sessions.is_signed_session(cookie)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.app  # makes Starlette raise on a method mismatch instead of answering
        try:
            await self.app(scope, receive, send)
        except HTTPException as exc:
            if exc.status_code == 405 and scope["method"] == "OPTIONS":
                allowed = ",".join(self._allowed_methods(scope))
                await PlainTextResponse(allowed, headers={"Allow": allowed})(scope, receive, send)
                return
            if exc.status_code in (404, 405):
                raise route_not_found(scope["path"]) from None
            raise

    def _allowed_methods(self, scope: Scope) -> list[str]:
        """Every method some route answers on this path (Express's OPTIONS answer)."""
        methods: dict[str, None] = {}
        for route in getattr(self.app, "routes", []):
            match, _ = route.matches({**scope, "method": "GET"})
            if match != Match.NONE:
                for method in sorted(getattr(route, "methods", None) or ()):
                    if method != "HEAD":
                        methods.setdefault(method, None)
        return list(methods)

    async def _read_body(self, receive: Receive, headers: Headers) -> bytes:
        limit = self.settings.max_payload_size
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise invalid_payload("request entity too large")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise invalid_payload("request entity too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _parse_body(self, raw: bytes, headers: Headers) -> Any:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        if not is_json or not raw.strip():
            return {}
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = exc.msg if "utf-8" not in exc.msg.lower() else "Body is not valid UTF-8"
            raise invalid_payload(reason[:200]) from None
        if not isinstance(parsed, dict | list):
            # body-parser's strict mode: only objects and arrays are JSON bodies.
            raise invalid_payload("JSON body has to be an object or an array")
        if b"\\u0000" in raw and _holds_nul(parsed):
            raise invalid_payload("Null characters are not allowed")
        return parsed

    def _extract_token(
        self, query: bytes, headers: Headers, cookies: dict[str, str]
    ) -> tuple[str | None, str | None]:
        token: str | None = None
        source: str | None = None
        if query and b"access_token" in query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if name == "access_token" and value:
                    token, source = value, "query"
                    break
        authorization = headers.get("authorization")
        if authorization:
            parts = authorization.split(" ")
            if len(parts) == 2 and parts[0].lower() == "bearer":
                if token is not None:
                    raise invalid_payload(_TOO_MANY_TOKENS)
                token, source = parts[1], "header"
        if token is None:
            cookie = cookies.get(self.settings.session_cookie.name)
            if cookie:
                token, source = cookie, "cookie"
        return (token or None), (source if token else None)


def _holds_nul(value: Any) -> bool:
    """Whether a NUL is in any key or string of a parsed JSON value (no recursion: the
    nesting is the client's)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


_DRIVERS = ("sqlite3", "psycopg", "psycopg2", "redis")


def _redacted(exc: BaseException) -> str:
    """The exception chain with its stack, where a database error shows its kind and statement
    but neither its message nor its parameters (they may hold written values: a driver's
    message quotes them, e.g. ``Key (email)=(...)``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    drivers = {id(getattr(e, "orig", None)) for e in chain if isinstance(e, SQLAlchemyError)}
    parts = []
    for error in reversed(chain):
        lines = traceback.format_tb(error.__traceback__)
        kind = f"{type(error).__module__}.{type(error).__qualname__}"
        if isinstance(error, SQLAlchemyError):
            statement = error.statement if isinstance(error, StatementError) else None
            lines.append(f"{kind}: [SQL: {(statement or '')[:500]}]\n")
        elif id(error) in drivers or type(error).__module__.split(".")[0] in _DRIVERS:
            lines.append(f"{kind} (message withheld)\n")
        else:
            lines += traceback.format_exception_only(type(error), error)
        parts.append("".join(["Traceback (most recent call last):\n", *lines]))
    return "\nThe above led to:\n\n".join(parts)


def _replay(body: bytes) -> Callable[[], Awaitable[MutableMapping[str, Any]]]:
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
