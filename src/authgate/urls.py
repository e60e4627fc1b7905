"""Allow-lists for caller-supplied URLs, login redirects, and the links sent by mail."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


def _unsafe(url: str) -> bool:
    """Characters on which URL parsers disagree: a browser drops tabs and newlines, reads a
    backslash as a slash and trims spaces, so ``https://evil\\@app/`` is ``evil`` to it and
    ``app`` to Python. A candidate holding any of them is refused rather than interpreted."""
    return any(
        ch == "\\" or ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url
    )


def _origin_and_path(url: str) -> tuple[str, str] | None:
    """``(scheme://host[:port], path)`` with the host lower-cased and default ports dropped;
    ``None`` for anything that is not a plain http(s) URL: unsafe characters, userinfo (an
    ``@`` before the host), a percent-encoded host, no host, or a bad port."""
    if _unsafe(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc or "%" in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
    return origin, parts.path or "/"


def is_url_allowed(url: str, allow_list: Sequence[str]) -> bool:
    """Directus ``isUrlAllowed``: exactly listed (an app's own scheme too), or same origin and
    path as an entry (query and fragment ignored). An empty list allows nothing. A candidate a
    browser could read differently from Python (unsafe characters, userinfo) is refused even
    when it is listed verbatim."""
    if _unsafe(url):
        return False
    try:
        if "@" in urlsplit(url).netloc:
            return False
    except ValueError:
        return False
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
