"""The short-lived state of one OAuth2/OpenID login, kept in the browser's ``<driver>.<name>``
cookie between the start of the flow and the callback (spec §7.3 step 4).

Directus signs ``{verifier, redirect, prompt, otp, callbackUrl}`` as a JWT. authgate seals it
instead (AES-256-GCM under a key derived from ``SECRET``, bound to the provider's name): the
PKCE verifier and the one-time code are then unreadable as well as untamperable, and a state
made for one provider is refused by another. Like Directus, the PKCE challenge doubles as the
OAuth ``state`` and the OpenID ``nonce`` (RFC 7636 §4.2).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from authgate.crypto import Keys
from authgate.errors import AuthError, Code


@dataclass(frozen=True)
class FlowState:
    provider: str
    verifier: str
    redirect: str
    callback: str  # the redirect_uri sent to the provider, sent again with the code
    prompt: bool
    otp: str | None
    expires: int  # epoch seconds
    # A link (``GET /auth/link/<provider>``): the account and the session that started it.
    link_user: str | None = None
    link_session: str | None = None


def cookie_name(driver: str, provider: str) -> str:
    return f"{driver}.{provider}"


def new_verifier() -> str:
    """A PKCE code verifier: 43 characters of the unreserved set (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str, *, plain: bool = False) -> str:
    """``S256``: base64url(SHA-256(verifier)) without padding; ``plain``: the verifier."""
    if plain:
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _context(provider: str) -> str:
    return f"sso-state/{provider}"


def seal_state(keys: Keys, state: FlowState) -> str:
    payload = json.dumps(asdict(state), separators=(",", ":"))
    # Padding is dropped so that the value is a plain cookie token.
    return keys.encrypt(payload, context=_context(state.provider)).rstrip("=")


def open_state(keys: Keys, value: str | None, *, provider: str, now: datetime) -> FlowState:
    """The state in the cookie, if this server sealed it for ``provider`` and it is fresh.

    Raises:
        AuthError: ``INVALID_CREDENTIALS`` for a missing, tampered, foreign or expired state.
    """
    if not value:
        raise AuthError(Code.INVALID_CREDENTIALS)
    padded = value + "=" * (-len(value.removeprefix("enc1.")) % 4)
    plain = keys.decrypt(padded, context=_context(provider))
    if plain is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    try:
        state = FlowState(**json.loads(plain))
    except (ValueError, TypeError):
        raise AuthError(Code.INVALID_CREDENTIALS) from None
    if state.provider != provider or now.timestamp() >= state.expires:
        raise AuthError(Code.INVALID_CREDENTIALS)
    return state


def new_state(
    *,
    provider: str,
    redirect: str,
    callback: str,
    prompt: bool,
    otp: str | None,
    now: datetime,
    ttl: timedelta,
    link_user: str | None = None,
    link_session: str | None = None,
) -> FlowState:
    return FlowState(
        provider=provider,
        verifier=new_verifier(),
        redirect=redirect,
        callback=callback,
        prompt=prompt,
        otp=otp,
        expires=int(now.timestamp() + ttl.total_seconds()),
        link_user=link_user,
        link_session=link_session,
    )


def replay_key(state: FlowState) -> str:
    """The shared-store key that makes a state usable once (a replayed callback is refused
    before the provider is even asked)."""
    digest = hashlib.sha256(state.verifier.encode("ascii")).hexdigest()[:32]
    return f"sso-state:{state.provider}:{digest}"
