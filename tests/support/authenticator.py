"""A software WebAuthn authenticator for the API tests: a real P-256 key, real
``authenticatorData``, a ``none`` attestation object in CBOR (py_webauthn's encoder) and real ECDSA signatures over
``authenticatorData || SHA-256(clientDataJSON)`` (WebAuthn §6.1, §6.3.3, §8.7). What it
produces is checked by py_webauthn as a browser's would be; its knobs make the tampered
variants (another origin, another RP id, a counter, no user verification, a bad signature).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import encode_cbor

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(
        self,
        rp_id: str = "authgate.test",
        origin: str = "http://authgate.test",
        *,
        backup_eligible: bool = False,
        backup_state: bool = False,
    ) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0
        self.user_handle: str | None = None
        self.backup_eligible = backup_eligible
        self.backup_state = backup_state

    @classmethod
    def from_chromium(
        cls, credential: dict[str, Any], rp_id: str, origin: str
    ) -> SoftAuthenticator:
        """The same credential as one of Chromium's virtual authenticator
        (``WebAuthn.getCredentials``: its id, PKCS#8 private key, counter and user handle)."""
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        copy = cls(rp_id, origin)
        key = load_der_private_key(base64.b64decode(credential["privateKey"]), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        copy.key = key
        copy.credential_id = base64.b64decode(credential["credentialId"])
        copy.sign_count = int(credential["signCount"])
        copy.user_handle = b64(base64.b64decode(credential["userHandle"]))
        return copy

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _flags(self, uv: bool, attested: bool) -> int:
        flags = UP | (UV if uv else 0) | (AT if attested else 0)
        flags |= BE if self.backup_eligible else 0
        flags |= BS if self.backup_state else 0
        return flags

    def _auth_data(self, rp_id: str | None, flags: int, counter: int, attested: bool) -> bytes:
        data = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        data += bytes([flags]) + counter.to_bytes(4, "big")
        if attested:
            data += bytes(16)  # AAGUID: none
            data += len(self.credential_id).to_bytes(2, "big") + self.credential_id
            data += self._cose_key()
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """``navigator.credentials.create()``'s answer (``PublicKeyCredential.toJSON()``)."""
        self.user_handle = options["user"]["id"]
        client_data = self._client_data(
            "webauthn.create", options["challenge"], origin or self.origin
        )
        auth_data = self._auth_data(rp_id, self._flags(True, True), self.sign_count, True)
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        uv: bool = True,
        bad_signature: bool = False,
    ) -> dict[str, Any]:
        """``navigator.credentials.get()``'s answer; the counter grows by one unless given."""
        self.sign_count = self.sign_count + 1 if counter is None else counter
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        auth_data = self._auth_data(rp_id, self._flags(uv, False), self.sign_count, False)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if bad_signature:
            signature = self.key.sign(signed + b"x", ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": self.user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
