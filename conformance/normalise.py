"""Reduce a response to what must be equal on both servers.

What legitimately differs is replaced by placeholders: each server's own address, fixture ids
(named after the fixture: ``<user:api>``), other UUIDs, JWTs and opaque tokens, timestamps and
dates, cookie values and expiry dates. Everything else is kept as sent, so the differ sees it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conformance.client import Response

# Headers a client reads; the rest (X-Powered-By, ETag, Date, Vary, ...) are not compared.
COMPARED_HEADERS = (
    "content-type",
    "location",
    "cache-control",
    "www-authenticate",
    "retry-after",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "x-conformance-error",
)
SECRET_KEYS = frozenset({"access_token", "refresh_token"})
MEASURED_KEYS = frozenset({"observedValue"})  # /server/health's response times
MASK = "**********"

JWT_RE = re.compile(r"eyJ[\w-]+\.[\w-]*\.[\w-]*")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
HTTP_DATE_RE = re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
# Query-string secrets in links (reset/verify/invite tokens, access tokens)
LINK_TOKEN_RE = re.compile(r"((?:token|access_token|refresh_token)=)[^&#\s\"']+")


@dataclass
class Context:
    """What is specific to one server: its address and the values it generated."""

    base: str
    labels: dict[str, str] = field(default_factory=dict)  # generated value -> placeholder

    @property
    def host(self) -> str:
        return self.base.split("://", 1)[-1]


def norm_text(text: str, ctx: Context) -> str:
    text = text.replace(ctx.base, "<base>").replace(ctx.host, "<host>")
    for value in sorted(ctx.labels, key=len, reverse=True):
        if value:
            text = text.replace(value, ctx.labels[value])
    text = JWT_RE.sub("<jwt>", text)
    text = UUID_RE.sub("<uuid>", text)
    text = TIMESTAMP_RE.sub("<timestamp>", text)
    text = HTTP_DATE_RE.sub("<http-date>", text)
    return LINK_TOKEN_RE.sub(r"\1<token>", text)


PLACEHOLDER_RE = re.compile(r"<[\w:-]+>")


IDENTITY_KEYS = ("collection", "field", "action", "name", "role", "policy", "user", "email")


def _identity(item: Any) -> tuple[str, ...]:
    """Sort key of an unordered list's item: what names it first (so that the same row lines
    up on both servers and only its real differences show), then its whole text."""
    text = json.dumps(item, sort_keys=True)
    if isinstance(item, dict):
        return (*(str(item.get(k, "")) for k in IDENTITY_KEYS), text)
    return (text,)


def _keyed(rows: list[Any]) -> dict[str, Any]:
    """An unordered list of rows (sorted by ``_identity``) as a map from each row's identity
    ("<directus_users/email>", then "#2", "#3" for repeats): a row one server lacks is then
    one difference, not a shift of every row after it."""
    out: dict[str, Any] = {}
    for row in rows:
        name = "/".join(str(row[k]) for k in IDENTITY_KEYS if row.get(k) is not None) or "row"
        key, repeat = f"<{name}>", 1
        while key in out:
            repeat += 1
            key = f"<{name}#{repeat}>"
        out[key] = row
    return out


def _timed(value: dict[str, Any]) -> bool:
    """A health check (or a health answer) whose ok/warn depends on how fast the machine was:
    a response time, or the answer that sums up such checks."""
    return value.get("observedUnit") == "ms" or isinstance(value.get("checks"), dict)


def norm_json(value: Any, ctx: Context, key: str | None = None, unordered: bool = False) -> Any:
    if isinstance(value, dict):
        out = {k: norm_json(v, ctx, k, unordered) for k, v in value.items()}
        # ok and warn differ by load only; an error still differs
        if _timed(value) and out.get("status") in ("ok", "warn"):
            out["status"] = "<ok-or-warn>"
        return out
    if isinstance(value, list):
        items = [norm_json(v, ctx, key, unordered) for v in value]
        # Lists of generated ids (an o2m's keys) come in key order, which is random.
        if unordered or (
            items and all(isinstance(i, str) and PLACEHOLDER_RE.fullmatch(i) for i in items)
        ):
            items.sort(key=_identity)
        if unordered and items and all(isinstance(i, dict) for i in items):
            return _keyed(items)
        return items
    if key in MEASURED_KEYS and isinstance(value, int | float):
        return "<measured>"
    if isinstance(value, str):
        if key in SECRET_KEYS and value and value != MASK:
            return "<token>"
        return norm_text(value, ctx)
    return value


def norm_cookie(raw: str, ctx: Context) -> dict[str, Any]:
    pair, *attributes = raw.split(";")
    _, _, value = pair.partition("=")
    out: dict[str, Any] = {"value": "<value>" if value.strip() else ""}
    for attribute in attributes:
        name, has_value, val = attribute.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if not has_value:
            out[name] = True
        elif name == "expires":
            out[name] = "<epoch>" if "1970" in val else "<date>"
        elif name == "samesite":
            out[name] = val.strip().lower()
        else:
            out[name] = norm_text(val.strip(), ctx)
    return out


def cookie_name(raw: str) -> str:
    return raw.split(";", 1)[0].partition("=")[0].strip()


def norm_content_type(value: str) -> str:
    return ";".join(part.strip().lower() for part in value.split(";"))


def normalise(
    response: Response, ctx: Context, cors: bool = True, unordered: bool = False
) -> dict[str, Any]:
    """``{"status", "header:<name>", "cookie:<name>", "body"}``, comparable across servers.

    ``cors``: whether the request sent ``Origin``; without it, no browser reads the CORS
    headers, so they are not compared. ``unordered``: the answer's lists are compared sorted.
    """
    out: dict[str, Any] = {"status": response.status}
    # A redirect's body (Express writes "Found. Redirecting to ...") is read by no client.
    redirect = 300 <= response.status < 400 and response.header("location") is not None
    for name in COMPARED_HEADERS:
        values = response.all(name)
        if name.startswith("access-control-") and not cors:
            continue
        if redirect and name == "content-type":
            continue
        if not values:
            continue
        joined = ", ".join(values)
        out[f"header:{name}"] = (
            norm_content_type(joined) if name == "content-type" else norm_text(joined, ctx)
        )
    seen: dict[str, int] = {}
    for raw in response.all("set-cookie"):
        name = cookie_name(raw)
        seen[name] = seen.get(name, 0) + 1
        suffix = f"#{seen[name]}" if seen[name] > 1 else ""
        out[f"cookie:{name}{suffix}"] = norm_cookie(raw, ctx)
    out["body"] = None if redirect else norm_body(response, ctx, unordered)
    return out


def norm_body(response: Response, ctx: Context, unordered: bool = False) -> Any:
    if not response.body:
        return None
    ctype = (response.header("content-type") or "").lower()
    if "json" in ctype:
        try:
            return norm_json(json.loads(response.body), ctx, unordered=unordered)
        except ValueError:
            pass
    text = response.body.decode("utf-8", "replace")
    return {"<text>": norm_text(text, ctx)}
