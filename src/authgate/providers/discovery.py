"""OpenID Provider metadata (OpenID Connect Discovery 1.0 §3-4), parsed and checked (pure).

``ISSUER_URL`` may be the bare issuer or the discovery document's own URL (decision 13).
The provider must support the authorization code flow; anything else is a configuration error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

WELL_KNOWN = "/.well-known/openid-configuration"
# Asymmetric algorithms PyJWT verifies, plus HMAC with the client secret (OpenID Core §10.1).
SUPPORTED_ALGORITHMS = frozenset(
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None
    userinfo_endpoint: str | None
    id_token_algorithms: tuple[str, ...]
    end_session_endpoint: str | None = None  # RP-initiated logout


def discovery_url(issuer_url: str) -> str:
    if issuer_url.rstrip("/").endswith(WELL_KNOWN):
        return issuer_url
    return issuer_url.rstrip("/") + WELL_KNOWN


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_metadata(document: Mapping[str, Any]) -> Metadata | str:
    """The metadata, or a sentence saying what is wrong with the document."""
    issuer = document.get("issuer")
    if not _is_url(issuer):
        return "the discovery document has no issuer"
    for key in ("authorization_endpoint", "token_endpoint"):
        if not _is_url(document.get(key)):
            return f"the discovery document has no {key}"
    response_types = document.get("response_types_supported")
    if not isinstance(response_types, list) or "code" not in response_types:
        return 'the provider does not support the "code" response type'
    jwks_uri = document.get("jwks_uri")
    userinfo = document.get("userinfo_endpoint")
    algorithms = document.get("id_token_signing_alg_values_supported")
    if not isinstance(algorithms, list) or not algorithms:
        algorithms = ["RS256"]
    usable = tuple(a for a in algorithms if isinstance(a, str) and a in SUPPORTED_ALGORITHMS)
    if not usable:
        return "the provider signs ID tokens with no algorithm authgate supports"
    if not _is_url(jwks_uri) and not all(a.startswith("HS") for a in usable):
        return "the discovery document has no jwks_uri"
    return Metadata(
        issuer=str(issuer),
        authorization_endpoint=str(document["authorization_endpoint"]),
        token_endpoint=str(document["token_endpoint"]),
        jwks_uri=str(jwks_uri) if _is_url(jwks_uri) else None,
        userinfo_endpoint=str(userinfo) if _is_url(userinfo) else None,
        id_token_algorithms=usable,
        end_session_endpoint=(
            str(document["end_session_endpoint"])
            if _is_url(document.get("end_session_endpoint"))
            else None
        ),
    )
