"""Passkey (WebAuthn) settings: the relying party's id and name, and the origins it accepts.

The relying party id is the host of ``PUBLIC_URL`` unless ``AUTH_WEBAUTHN_RP_ID`` names a
parent domain of it (a passkey made for ``example.com`` works on ``auth.example.com``); the
accepted origins are ``PUBLIC_URL``'s and those of ``AUTH_ALLOWED_PUBLIC_URLS`` under the
same relying party id. With ``PUBLIC_URL`` unset (``/``), passkeys work at
``http://localhost:<PORT>`` only, the one address browsers allow without a real domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from authgate.config.env import ConfigError, Reader


@dataclass(frozen=True)
class WebAuthnSettings:
    rp_id: str = "localhost"
    rp_name: str = "authgate"
    origins: tuple[str, ...] = ("http://localhost:8055",)
    challenge_ttl: timedelta = timedelta(minutes=5)
    max_passkeys: int = 20  # per user (AUTH_WEBAUTHN_MAX_PASSKEYS)


def _origin(url: str) -> tuple[str, str]:
    """``(origin, host)`` of an absolute http(s) URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower(), (parts.hostname or "").lower()


def _under(host: str, rp_id: str) -> bool:
    return host == rp_id or host.endswith("." + rp_id)


def webauthn_settings(
    env: Reader, public_url: str, allowed_urls: tuple[str, ...]
) -> WebAuthnSettings:
    if public_url == "/":
        origin, host = f"http://localhost:{env.integer('PORT', 8055, minimum=0)}", "localhost"
    else:
        origin, host = _origin(public_url)
    rp_id = (env.optional_string("AUTH_WEBAUTHN_RP_ID") or host).strip().lower()
    if not rp_id or not _under(host, rp_id):
        raise ConfigError(
            "AUTH_WEBAUTHN_RP_ID", f'"{rp_id}" is not the host of PUBLIC_URL or a parent of it'
        )
    origins = [origin]
    for url in allowed_urls:
        other, other_host = _origin(url)
        if _under(other_host, rp_id) and other not in origins:
            origins.append(other)
    ttl = env.duration("AUTH_WEBAUTHN_CHALLENGE_TTL", "5m", bare_unit="s")
    if ttl <= timedelta(0):
        raise ConfigError("AUTH_WEBAUTHN_CHALLENGE_TTL", "must be a positive duration")
    return WebAuthnSettings(
        rp_id=rp_id,
        rp_name=env.optional_string("AUTH_WEBAUTHN_RP_NAME")
        or env.optional_string("PROJECT_NAME")
        or "authgate",
        origins=tuple(origins),
        challenge_ttl=ttl,
        max_passkeys=env.integer("AUTH_WEBAUTHN_MAX_PASSKEYS", 20, minimum=1),
    )
