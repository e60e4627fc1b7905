"""Allow-lists for caller-supplied URLs, login redirects, and the links sent by mail."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


def _origin_and_path(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
    return origin, parts.path or "/"


def is_url_allowed(url: str, allow_list: Sequence[str]) -> bool:
    """Directus ``isUrlAllowed``: exactly listed, or same origin and path as an entry (query and
    fragment ignored). An empty list allows nothing."""
    if url in allow_list:
        return True
    target = _origin_and_path(url)
    if target is None:
        return False
    return any(_origin_and_path(entry) == target for entry in allow_list)


def resolve_login_redirect(
    redirect: str | None, *, public_url: str, allow_list: Sequence[str]
) -> str | None:
    """Where to send the browser after an SSO login, or ``None`` when ``redirect`` is refused.

    Relative paths stay on this site (``//evil.example`` and ``/\\evil`` are refused); absolute
    URLs need the origin of ``PUBLIC_URL`` or a match in the provider's allow-list."""
    if not redirect:
        return "/"
    if any(ch in redirect for ch in "\r\n\t\\") or any(ord(ch) < 0x20 for ch in redirect):
        return None
    try:
        parts = urlsplit(redirect)
        if not parts.scheme and not parts.netloc:
            dummy = "http://authgate.invalid"
            resolved = urlsplit(urljoin(dummy + "/", redirect))
            if f"{resolved.scheme}://{resolved.netloc}" != dummy:
                return None
            # "////evil.com" and "/a/..//evil.com" resolve to paths starting with "//", which a
            # browser would read as another host: one leading slash only.
            path = "/" + resolved.path.lstrip("/")
            return urlunsplit(("", "", path, resolved.query, resolved.fragment))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if allow_list and is_url_allowed(redirect, [*allow_list, public_url]):
        return redirect
    public = _origin_and_path(public_url)
    target = _origin_and_path(redirect)
    if public is None or target is None:
        return None
    return redirect if public[0] == target[0] else None


def with_token(base: str, token: str) -> str:
    """``base`` with ``?token=`` set (other query parameters kept), as Directus builds links."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    query.append(("token", token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def public_link(public_url: str, path: str) -> str:
    """``PUBLIC_URL`` joined with a path; root-relative when ``PUBLIC_URL`` is ``/``."""
    return public_url.rstrip("/") + path


def is_absolute_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path)
