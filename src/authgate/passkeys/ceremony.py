"""The two WebAuthn ceremonies, checked by py_webauthn (pure: data in, a result or None out).

Everything here reads what a browser (or anyone) sent: any defect in it is a refusal (None),
never an exception that would become a 500.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from authgate.config.webauthn import WebAuthnSettings

_DEFECTS = (Exception,)  # the library raises its own errors, but also ValueError, KeyError, ...


@dataclass(frozen=True)
class Registered:
    credential_id: str  # base64url
    public_key: str  # base64url
    sign_count: int
    backup_eligible: bool
    backup_state: bool
    aaguid: str
    transports: list[str] | None


@dataclass(frozen=True)
class Asserted:
    sign_count: int
    backup_state: bool
    user_verified: bool


def _descriptor(credential_id: str, transports: list[str] | None) -> PublicKeyCredentialDescriptor:
    known = {t.value: t for t in AuthenticatorTransport}
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential_id),
        transports=[known[t] for t in transports or () if t in known] or None,
    )


def registration_options(
    settings: WebAuthnSettings,
    *,
    challenge: bytes,
    handle: bytes,
    user_name: str,
    display_name: str,
    exclude: list[tuple[str, list[str] | None]],
) -> dict[str, Any]:
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.rp_name,
        user_id=handle,
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=int(settings.challenge_ttl.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(c, t) for c, t in exclude],
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def authentication_options(
    settings: WebAuthnSettings, *, challenge: bytes, allow: list[tuple[str, list[str] | None]]
) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        challenge=challenge,
        timeout=int(settings.challenge_ttl.total_seconds() * 1000),
        allow_credentials=[_descriptor(c, t) for c, t in allow],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _field(credential: Any, *path: str) -> Any:
    value = credential
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def client_challenge(credential: Any) -> bytes | None:
    """The challenge a response signed (from its ``clientDataJSON``), or None."""
    data = _field(credential, "response", "clientDataJSON")
    if not isinstance(data, str):
        return None
    try:
        return parse_client_data_json(base64url_to_bytes(data)).challenge
    except _DEFECTS:
        return None


def credential_id(credential: Any) -> str | None:
    """The credential id (base64url) a response names, or None."""
    value = _field(credential, "id")
    raw = _field(credential, "rawId")
    if not isinstance(value, str) or not value or raw != value or len(value) > 1400:
        return None
    return value


def user_handle(credential: Any) -> str | None:
    value = _field(credential, "response", "userHandle")
    return value if isinstance(value, str) and value else None


def verify_registration(
    settings: WebAuthnSettings, credential: Any, challenge: bytes
) -> Registered | None:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
        )
    except _DEFECTS:
        return None
    transports = _field(credential, "response", "transports")
    if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
        transports = None
    return Registered(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
        aaguid=verified.aaguid,
        transports=[t[:32] for t in transports[:8]] if transports else None,
    )


def verify_assertion(
    settings: WebAuthnSettings,
    credential: Any,
    challenge: bytes,
    *,
    public_key: str,
    sign_count: int,
    require_user_verification: bool,
) -> Asserted | None:
    """The assertion checked against the stored key: challenge, origin, RP id hash, user
    presence (and verification when asked), signature, and a signature counter that grows
    (WebAuthn §6.1.1: one that stands still or goes back, when not zero, means a clone)."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=require_user_verification,
        )
    except _DEFECTS:
        return None
    return Asserted(verified.new_sign_count, verified.credential_backed_up, verified.user_verified)
