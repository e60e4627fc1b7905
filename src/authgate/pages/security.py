"""What keeps the pages safe, as pure functions: the CSRF token, the same-origin check, the
response headers, and the sealed "password verified, code pending" state of a two-step login.

CSRF is a signed double submit: a random value lives in an httpOnly ``SameSite=Lax`` cookie,
and every form carries ``HMAC(key, value | session id)``. A cross-site page can neither read the
cookie nor compute the HMAC, and the token stops working when the session it was made for ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authgate import crypto

CSRF_COOKIE = "authgate_csrf"
CSRF_FIELD = "csrf"
# The cookies that hold a one-shot link token between its first use and the form's answer, and
# the pending two-step login; all of them are scoped to the pages' path.
RESET_COOKIE = "authgate_reset"
INVITE_COOKIE = "authgate_invite"
PENDING_COOKIE = "authgate_pending"
PAGES_PATH = "/admin"
LINK_TTL = timedelta(minutes=30)
PENDING_TTL = timedelta(minutes=5)


def new_csrf_value() -> str:
    return secrets.token_urlsafe(32)


def csrf_key(secret: str) -> bytes:
    return crypto.derive_key(secret, "pages-csrf")


def csrf_token(key: bytes, cookie_value: str, session: str | None) -> str:
    """The form token for a browser's CSRF cookie and (when signed in) its session id."""
    message = f"{cookie_value}|{session or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, cookie_value: str | None, session: str | None, submitted: str) -> bool:
    if not cookie_value or not submitted:
        return False
    return crypto.equal(csrf_token(key, cookie_value, session), submitted)


def same_origin(
    origin: str | None, fetch_site: str | None, host: str | None, public_url: str
) -> bool:
    """Whether a form post may come from where the browser says it comes from.

    Browsers send ``Origin`` on every POST and ``Sec-Fetch-Site`` on requests they make; a
    missing header (an older client, a test client) leaves the decision to the CSRF token."""
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    if origin is None:
        return True
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False  # "null" (sandboxed frames, some redirects) is never ours
    if host is not None and parts.netloc.lower() == host.lower():
        return True
    public = urlsplit(public_url)
    return bool(public.netloc) and (parts.scheme, parts.netloc.lower()) == (
        public.scheme,
        public.netloc.lower(),
    )


def content_security_policy(extra_form_targets: Sequence[str] = ()) -> str:
    """No inline script or style anywhere; forms post to this site (and ``PUBLIC_URL``)."""
    form_action = " ".join(["'self'", *extra_form_targets])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )


def page_headers(public_url: str) -> dict[str, str]:
    public = urlsplit(public_url)
    targets = [f"{public.scheme}://{public.netloc}"] if public.netloc else []
    return {
        "Content-Security-Policy": content_security_policy(targets),
        # Not "no-referrer": with it browsers send "Origin: null" on every form post, and the
        # origin check could not tell our own forms from a forged one. "same-origin" still
        # sends nothing to any other site.
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


# ------------------------------------------------------------------ pending two-step login


@dataclass(frozen=True)
class PendingLogin:
    """A login whose password was right and which now waits for the one-time code. Sealed
    (AES-GCM) into a short-lived cookie so that neither the page nor the browser's history
    ever holds the password."""

    email: str
    password: str
    provider: str
    redirect: str
    expires: int


_PENDING_CONTEXT = "pages:pending-login"


def seal_pending(keys: crypto.Keys, pending: PendingLogin) -> str:
    payload = json.dumps(pending.__dict__, separators=(",", ":"))
    return keys.encrypt(payload, context=_PENDING_CONTEXT)


def open_pending(keys: crypto.Keys, sealed: str | None, now: datetime) -> PendingLogin | None:
    if not sealed:
        return None
    plain = keys.decrypt(sealed, context=_PENDING_CONTEXT)
    if plain is None:
        return None
    try:
        data: Any = json.loads(plain)
        pending = PendingLogin(**data)
    except (ValueError, TypeError):
        return None
    return pending if pending.expires > now.timestamp() else None


def pending_expiry(now: datetime) -> int:
    return int((now + PENDING_TTL).timestamp())
