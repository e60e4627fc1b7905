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
import re
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

from sqlalchemy.exc import SQLAlchemyError, StatementError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.access import enforcement
from authgate.config.settings import Settings
from authgate.errors import AuthError, Code, invalid_payload, invalid_query, route_not_found
from authgate.metrics.registry import Metrics
from authgate.netaddr import client_ip
from authgate.ratelimit.requests import RequestLimits
from authgate.requester import RequestOrigin
from authgate.sessions.authenticate import Authenticator
from authgate.sessions.service import SessionService
from authgate.web import body
from authgate.web.cors import Cors
from authgate.web.errors import render_error, render_unexpected
from authgate.web.observe import ERROR_CODE, RequestObserver
from authgate.web.responses import clear_cookie

log = logging.getLogger("authgate.http")

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
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class _Unusable:
    """A token that was sent but cannot be one (an array or object from the query string)."""


UNUSABLE = _Unusable()


@dataclass(frozen=True)
class PipelineDeps:
    """What the pipeline runs on, and nothing else (``http/build.py`` builds it)."""

    settings: Settings
    cors: Cors
    limits: RequestLimits
    authenticator: Authenticator
    sessions: SessionService  # a refresh cookie that no longer authenticates (reuse)
    metrics: Metrics | None


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
    """The cookies of a ``Cookie`` header as Express's cookie-parser reads them: the FIRST of
    two cookies with one name wins, names and values are trimmed, one pair of surrounding
    quotes is dropped, and a value with ``%`` escapes is decoded when it decodes. A malformed
    neighbour never hides another cookie."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for pair in header.split(";"):
        name, equals, value = pair.partition("=")
        name = name.strip(" \t")
        if not equals or name in cookies:
            continue
        value = value.strip(" \t")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = _decode_cookie(value)
    return cookies


def _decode_cookie(value: str) -> str:
    # decodeURIComponent, or the raw value when that throws (a stray ``%``, invalid UTF-8).
    if "%" not in value or _STRAY_PERCENT.search(value):
        return value
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return value


def _query_token(query: bytes) -> str | _Unusable | None:
    """``access_token`` as Directus's ``qs`` parser reads it: absent or empty is no token; one
    value is the token; repeated (``a=1&a=2``) or bracketed (``a[]=1``, ``a[k]=1``) it is an
    array or object, which is still a token, and never a valid one."""
    found: list[tuple[str, str]] = []
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == "access_token" or name.startswith("access_token["):
            found.append((name, value))
    if not found:
        return None
    if len(found) > 1 or found[0][0] != "access_token":
        return UNUSABLE
    return found[0][1] or None


class Pipeline:
    def __init__(self, app: ASGIApp, deps: PipelineDeps, pages: PageArea | None = None) -> None:
        self.app = app
        self.deps = deps
        self.settings = deps.settings
        self.pages = pages
        self.observer = RequestObserver(deps.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_box = [500]
        headers = Headers(scope=scope)
        request_id, bound = self.observer.begin(headers.get("x-request-id"))
        extra: list[tuple[bytes, bytes]] = [*_BASE_HEADERS, (b"x-request-id", request_id.encode())]
        extra += self.deps.cors.response_headers(headers.get("origin"))

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
            scope[ERROR_CODE] = error.code.value
            await self._respond(self._render(error, scope), scope, receive, send_with_headers)
        except Exception as exc:
            log.error(
                "unhandled error on %s %s\n%s", scope["method"], scope["path"], _redacted(exc)
            )
            await self._respond(self._render(None, scope), scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            self.observer.finish(scope, status_box[0], elapsed, request_id, bound)

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
        # As Express's cors middleware: with CORS on, every OPTIONS is a preflight (204, no
        # body, read or not), Origin or none; the CORS headers only go to an allowed origin.
        if method == "OPTIONS" and self.deps.cors.enabled:
            await self._respond(self.deps.cors.preflight(headers), scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query):
            raise invalid_query("Null characters are not allowed")
        raw_body, parsed_body = await self._read_body(method, receive, headers)
        # Node joins repeated Cookie headers with "; " (and the first cookie of a name wins).
        cookies = parse_cookies("; ".join(headers.getlist("cookie")))
        presented, source = self._extract_token(query, headers, cookies)
        token = presented if isinstance(presented, str) else None
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
            body=parsed_body,
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
        await self.deps.limits.check_request(ip)
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
        if raw_path(scope).lower() == "/server/ping" and method in ("GET", "HEAD"):
            await self._respond(
                PlainTextResponse("pong", media_type="text/html"), scope, receive, send
            )
            return
        origin = RequestOrigin(ip=ip, user_agent=state.user_agent, origin=state.origin)
        try:
            if presented is UNUSABLE:
                raise AuthError(Code.INVALID_CREDENTIALS)
            accountability = await self.deps.authenticator.authenticate(token, origin)
        except AuthError as error:
            refresh = source == "cookie" and path == "/auth/refresh" and token is not None
            if refresh and await self._refresh_judges(token or "", error):
                scope["state"]["accountability"] = self.deps.authenticator.anonymous(origin)
                await self._route(scope, _replay(raw_body), send)
                return
            if source == "cookie" and self.pages is not None and self.pages.owns(path):
                state.stale_cookie = True
                scope["state"]["accountability"] = self.deps.authenticator.anonymous(origin)
                await self._route(scope, _replay(raw_body), send)
                return
            response = render_error(error)
            if source == "cookie" and error.code in (Code.INVALID_CREDENTIALS, Code.INVALID_TOKEN):
                clear_cookie(response, self.settings.session_cookie)
            await self._respond(response, scope, receive, send)
            return
        scope["state"]["accountability"] = accountability
        if accountability.tfa_setup_required and not self._open_before_enrolment(scope):
            raise AuthError(Code.TFA_SETUP_REQUIRED)
        await self._route(scope, _replay(raw_body), send)

    def _open_before_enrolment(self, scope: Scope) -> bool:
        """Two-factor enforced and not set up (``access/enforcement.py``): the enrolment
        routes stay open; GraphQL judges its operations itself (``graphql/enforcement.py``),
        the pages lead to enrolment themselves."""
        path = scope["path"]
        if path.lower() in ("/graphql", "/graphql/system"):
            return True
        if self.pages is not None and self.pages.owns(path):
            return True
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        return enforcement.rest_is_open(scope["method"], raw_path(scope), query)

    async def _refresh_judges(self, cookie: str, error: AuthError) -> bool:
        """A session cookie that no longer authenticates, sent to ``/auth/refresh``. Answered
        here as Directus does (the cookie cleared), but first a rotated one presented past
        its grace period is a reuse and revokes its chain, as in the other modes. A valid
        cookie of a session whose user changed role (``TOKEN_EXPIRED``) goes on to the
        refresh, which issues one of the new role."""
        if error.code == Code.INVALID_CREDENTIALS:
            await self.deps.sessions.revoke_if_reused(cookie)
            return False
        return error.code == Code.TOKEN_EXPIRED and self.deps.sessions.is_signed_session(cookie)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.app  # makes Starlette raise on a method mismatch instead of answering
        raw = raw_path(scope)
        try:
            if "%" in raw:
                await self._route_as_sent(raw, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        except HTTPException as exc:
            if exc.status_code == 405 and scope["method"] == "OPTIONS":
                allowed = ",".join(self._allowed_methods(scope))
                # Express's answer: the list as an HTML string (``res.send``)
                answer = PlainTextResponse(
                    allowed, headers={"Allow": allowed}, media_type="text/html"
                )
                await answer(scope, receive, send)
                return
            if exc.status_code in (404, 405):
                raise route_not_found(raw) from None
            raise

    async def _route_as_sent(self, raw: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Express matches routes on the path as sent and percent-decodes the parameters it
        took: ``/%75sers/me`` is no route there (nor for a proxy rule written for ``/users``),
        ``/users/%6de`` is ``/users/:id`` with the id ``me``, ``/items/a%20b`` the collection
        ``a b``."""
        sent = {**scope, "path": raw}
        partial = False
        for route in getattr(self.app, "routes", []):
            match, child = route.matches(sent)
            if match == Match.FULL:
                params = {
                    k: unquote(v) if isinstance(v, str) else v
                    for k, v in child.get("path_params", {}).items()
                }
                scope.update({**child, "path_params": params})
                scope.setdefault("router", self.app)  # as Starlette's router leaves it
                await route.handle(scope, receive, send)
                return
            partial = partial or match == Match.PARTIAL
        if not partial:
            raise route_not_found(raw)
        await self.app(scope, receive, send)  # a method no route takes here: Starlette's 405

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

    async def _read_body(
        self, method: str, receive: Receive, headers: Headers
    ) -> tuple[bytes, Any]:
        """The raw body and the parsed one. A JSON body is read on every method, as Directus
        does (``web/body.py``); any other body only where a route may read it."""
        limit = self.settings.max_payload_size
        if body.is_json(headers):
            if method not in _BODY_METHODS and not body.has_body(headers):
                return b"", {}
            codec = body.json_codec(headers)
            raw = await body.read(receive, headers, limit, body.content_coding(headers))
            parsed = body.parse_json(raw, codec)
            # (only an escape puts a NUL in JSON; in UTF-8 it can be looked for in the bytes)
            if (codec != "utf-8" or b"\\u0000" in raw) and _holds_nul(parsed):
                raise invalid_payload("Null characters are not allowed")
            return raw, parsed
        if method in _BODY_METHODS:
            return await body.read(receive, headers, limit), {}
        return b"", {}

    def _extract_token(
        self, query: bytes, headers: Headers, cookies: dict[str, str]
    ) -> tuple[str | _Unusable | None, str | None]:
        """Directus's extract-token: ``?access_token=``, then ``Authorization: Bearer`` (both
        at once is 400), then the session cookie only when neither gave a token."""
        token: str | _Unusable | None = None
        source: str | None = None
        if query and (b"access_token" in query or b"%" in query):
            token = _query_token(query)
            source = "query" if token is not None else None
        authorization = headers.get("authorization")
        if authorization:
            # Node trims the whitespace around a header value: "Bearer " is "Bearer", no token.
            parts = authorization.strip(" \t").split(" ")
            if len(parts) == 2 and parts[0].lower() == "bearer":
                if token is not None:
                    raise invalid_payload(_TOO_MANY_TOKENS)
                token, source = parts[1], "header"
        if token is None:
            cookie = cookies.get(self.settings.session_cookie.name)
            if cookie:
                token, source = cookie, "cookie"
        return token, source


def raw_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded; no trailing slash, as ``path``)."""
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"])
    text: str = raw.decode("latin-1")
    return (text.rstrip("/") or "/") if len(text) > 1 else text


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
