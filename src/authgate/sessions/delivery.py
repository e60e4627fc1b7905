"""How tokens travel, by mode, for every transport (REST ``/auth/*`` and GraphQL ``auth_*``):
which refresh token a request presents, and what an answer carries in its body and cookie.

Only the *default* mode differs between transports (REST refresh/logout: ``json`` when the
body has a token, else ``cookie``; GraphQL: always ``json``); the rest is here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from authgate.config.settings import Settings
from authgate.sessions.service import IssuedTokens, Mode

MODES: tuple[Mode, ...] = ("cookie", "json", "session")
MISSING_REFRESH = "The refresh token is required in either the payload or cookie"


def presented_refresh_token(
    mode: str,
    given: Any,
    cookies: Mapping[str, str],
    settings: Settings,
    now: datetime,
    *,
    verify: Callable[[str, datetime], dict[str, Any]],
) -> str | None:
    """json: the token given in the request; cookie: the refresh cookie; session: the
    ``session`` claim of the session cookie's JWT (verified by ``verify``, the session
    service's: ``TOKEN_EXPIRED`` / ``INVALID_TOKEN``). Any other mode presents nothing."""
    token: Any = None
    if mode == "json":
        token = given
    elif mode == "cookie":
        token = cookies.get(settings.refresh_cookie.name)
    elif mode == "session":
        session_cookie = cookies.get(settings.session_cookie.name)
        if session_cookie:
            claims = verify(session_cookie, now)
            token = claims.get("session")
    if token is not None and not isinstance(token, str):
        token = str(token)
    return token or None


@dataclass(frozen=True)
class Delivery:
    """An answer's body fields, and the cookie (refresh or session) it sets, if any."""

    payload: dict[str, Any]
    cookie: Literal["refresh", "session"] | None
    cookie_value: str = ""


def deliver(tokens: IssuedTokens, mode: Mode, *, always_access: bool = False) -> Delivery:
    """json: everything in the body; cookie: the refresh token in its cookie; session: the
    access token in the session cookie (LDAP logins also return it in the body)."""
    payload: dict[str, Any] = {"expires": tokens.expires_ms}
    if mode == "json":
        payload["refresh_token"] = tokens.refresh_token
    if mode != "session" or always_access:
        payload["access_token"] = tokens.access_token
    if mode == "cookie":
        return Delivery(payload, "refresh", tokens.refresh_token)
    if mode == "session":
        return Delivery(payload, "session", tokens.access_token)
    return Delivery(payload, None)
