"""What the pipeline tells the outside about each request: its id, its log line, its metrics.

The request id is the caller's ``X-Request-Id`` when it is a plausible id (a proxy or a
client may set one to follow a request across services), else a new random one; it is echoed
in the response and carried by every log line written while the request runs.

The log line names the route's template (``/users/{id}``), never the query string: queries
carry ``access_token``, mailed links carry their token there, and neither belongs in a log.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import Token
from typing import Any, Protocol

from starlette.types import Scope

from authgate.logs import current_request_id

access_log = logging.getLogger("authgate.access")

# Letters, digits and a few separators, as proxies and tracing systems generate them; anything
# else (spaces, quotes, control characters, a forged JSON fragment) is replaced.
_VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


class RequestMetrics(Protocol):
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None: ...
    def count(self, name: str, label: str, amount: float = 1) -> None: ...


# A login's outcome, by the error it answered (a wrong password and an unknown address are
# one outcome, as they are one answer).
_LOGIN_ROUTES = frozenset({"/auth/login", "/auth/login/{provider}"})
_LOGIN_OUTCOMES = {
    "INVALID_CREDENTIALS": "invalid_credentials",
    "USER_SUSPENDED": "locked",
    "INVALID_OTP": "otp",
}
# Label values come from a fixed set: a client inventing methods must not invent time series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "SEARCH"})
ERROR_CODE = "authgate.error_code"  # the scope key where the pipeline notes an error's code


def route_template(scope: Scope) -> str | None:
    """The template of the route that answered (``None``: none matched)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


class RequestObserver:
    def __init__(self, metrics: RequestMetrics | None = None) -> None:
        self.metrics = metrics

    @staticmethod
    def begin(incoming: str | None) -> tuple[str, Token[str | None]]:
        """The request's id (the caller's when valid), bound for the log lines of the request."""
        request_id = (
            incoming if incoming is not None and _VALID_ID.fullmatch(incoming) else None
        ) or secrets.token_hex(8)
        return request_id, current_request_id.set(request_id)

    def finish(
        self, scope: Scope, status: int, seconds: float, request_id: str, bound: Token[str | None]
    ) -> None:
        route = route_template(scope)
        if self.metrics is not None:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.observe_request(method, route or "unmatched", status, seconds)
            if route in _LOGIN_ROUTES:
                code = scope.get(ERROR_CODE)
                outcome = "success" if status == 200 else _LOGIN_OUTCOMES.get(code or "", "error")
                self.metrics.count("login", outcome)
        if access_log.isEnabledFor(logging.INFO):
            state: dict[str, Any] = scope.get("state") or {}
            accountability = state.get("accountability")
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                route or scope["path"],
                status,
                seconds * 1000,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "user": getattr(accountability, "user", None),
                },
            )
        current_request_id.reset(bound)
