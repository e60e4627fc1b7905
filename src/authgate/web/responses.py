"""JSON responses in Directus's envelope, and its cookies (exact attribute order)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import orjson
from starlette.responses import Response

from authgate.config.settings import CookieSettings

JSON_TYPE = "application/json; charset=utf-8"
_NO_CACHE = {"Cache-Control": "no-cache", "Vary": "Origin, Cache-Control"}


def dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    all_headers = dict(_NO_CACHE)
    if headers:
        all_headers.update(headers)
    return Response(dumps(payload), status_code=status, headers=all_headers, media_type=JSON_TYPE)


def data(payload: Any, **extra: Any) -> Response:
    return json_response({"data": payload, **extra})


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    response = Response(status_code=204, headers=dict(_NO_CACHE))
    if headers:
        response.headers.update(headers)
    return response


def cookie_header(
    name: str,
    value: str,
    *,
    max_age: timedelta | None,
    domain: str | None,
    secure: bool,
    same_site: str,
    now: datetime,
    expires: datetime | None = None,
) -> str:
    """``Set-Cookie`` text in Express's attribute order (Max-Age, Domain, Path, Expires,
    HttpOnly, Secure, SameSite)."""
    parts = [f"{name}={value}"]
    if max_age is not None:
        seconds = int(max_age.total_seconds())
        parts.append(f"Max-Age={seconds}")
    if domain:
        parts.append(f"Domain={domain}")
    parts.append("Path=/")
    if max_age is not None:
        parts.append(f"Expires={format_datetime((now + max_age).astimezone(UTC), usegmt=True)}")
    elif expires is not None:
        parts.append(f"Expires={format_datetime(expires, usegmt=True)}")
    parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    parts.append(f"SameSite={same_site.capitalize()}")
    return "; ".join(parts)


def set_cookie(response: Response, config: CookieSettings, value: str, now: datetime) -> None:
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie_header(
                config.name,
                value,
                max_age=config.max_age,
                domain=config.domain,
                secure=config.secure,
                same_site=config.same_site,
                now=now,
            ).encode("latin-1"),
        )
    )


def clear_cookie(response: Response, config: CookieSettings) -> None:
    """An expired, empty cookie. (Directus re-sends it empty with the full Max-Age, an Express
    quirk; an expired cookie is what every browser and client actually deletes.)"""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    parts = [f"{config.name}=", "Max-Age=0"]
    if config.domain:
        parts.append(f"Domain={config.domain}")
    parts += ["Path=/", f"Expires={format_datetime(epoch, usegmt=True)}", "HttpOnly"]
    if config.secure:
        parts.append("Secure")
    parts.append(f"SameSite={config.same_site.capitalize()}")
    response.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))
