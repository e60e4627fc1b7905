"""Where a browser may be sent around an SSO login, and how errors ride on that redirect.

* ``login_redirect``: the ``redirect`` (or SAML ``RelayState``) a caller asked for, checked
  against ``PUBLIC_URL`` and ``AUTH_<NAME>_REDIRECT_ALLOW_LIST`` (Directus
  ``resolveLoginRedirect``): relative paths stay on this site; protocol-relative
  (``//evil.example``), backslash, control-character and other-scheme URLs are refused;
  absolute URLs need the origin of ``PUBLIC_URL`` or an allow-list match (a lookalike such as
  ``https://app.example.com.evil.example`` or ``https://app.example.com@evil.example`` matches
  neither). A refusal is ``400 INVALID_PAYLOAD``.
* ``callback_url``: ``<base>/auth/login/<name>/<action>``, where ``<base>`` is the entry of
  ``AUTH_ALLOWED_PUBLIC_URLS`` with the request's origin, else ``PUBLIC_URL``.
* ``with_reason``: ``<redirect without its query>?reason=<CODE>``, how the flow reports errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

from authgate.config.settings import Settings
from authgate.errors import AuthError, invalid_payload
from authgate.urls import public_link, resolve_login_redirect


def login_redirect(redirect: str | None, *, public_url: str, allow_list: Sequence[str]) -> str:
    """The checked redirect (``/`` when none was given).

    Raises:
        AuthError: ``INVALID_PAYLOAD`` when the URL may not be used.
    """
    resolved = resolve_login_redirect(redirect, public_url=public_url, allow_list=allow_list)
    if resolved is None:
        raise invalid_payload(f'URL "{redirect}" can\'t be used to redirect after login')
    return resolved


def is_redirect_allowed(
    redirect: str | None, *, public_url: str, allow_list: Sequence[str]
) -> bool:
    return (
        resolve_login_redirect(redirect, public_url=public_url, allow_list=allow_list) is not None
    )


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port and port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{suffix}"


def public_base(settings: Settings, request_origin: str | None) -> str:
    """The public address this request reached: an ``AUTH_ALLOWED_PUBLIC_URLS`` entry with the
    request's origin, else ``PUBLIC_URL`` (sub-paths kept, no trailing slash)."""
    wanted = _origin(request_origin) if request_origin else None
    if wanted is not None:
        for candidate in settings.auth_allowed_public_urls:
            if _origin(candidate) == wanted:
                return candidate.rstrip("/")
    return settings.public_url.rstrip("/")


def callback_url(
    settings: Settings, request_origin: str | None, provider: str, action: str = "callback"
) -> str:
    return f"{public_base(settings, request_origin)}/auth/login/{provider}/{action}"


def with_reason(redirect: str, code: str) -> str:
    """``redirect`` without its query (and fragment), with ``?reason=<code>``."""
    parts = urlsplit(redirect)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({"reason": code}), ""))


def admin_login(settings: Settings, code: str) -> str:
    """``<PUBLIC_URL>/admin/login?reason=<code>``, where OpenID reports a broken flow."""
    return public_link(settings.public_url, "/admin/login?" + urlencode({"reason": code}))


def tfa_setup(settings: Settings, redirect: str, provider: str) -> str:
    """Where a user whose role enforces two-factor but who has none yet is sent."""
    query = urlencode({"redirect": redirect, "provider": provider})
    return public_link(settings.public_url, f"/admin/tfa-setup?{query}")


def error_code(error: BaseException) -> str:
    """The code reported as ``?reason=``; anything that is not ours is ``UNKNOWN_EXCEPTION``."""
    return error.code.value if isinstance(error, AuthError) else "UNKNOWN_EXCEPTION"
