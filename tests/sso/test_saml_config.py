"""The SAML driver without an IdP: configuration errors name the variable, metadata is read as
the IdP publishes it, request ids are ours and expire, and HTTP-Redirect signatures verify."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from authgate.clock import Clock
from authgate.config.env import ConfigError
from authgate.config.settings import ProviderSettings, Settings
from authgate.crypto import Keys
from authgate.identities.service import Identities
from authgate.providers.accounts import Accounts
from authgate.providers.base import ProviderContext
from authgate.providers.saml import SamlProvider
from authgate.providers.saml_protocol import (
    Rejected,
    Signer,
    inflate,
    redirect_url,
    verify_redirect_signature,
)
from authgate.providers.saml_xml import XmlRefused, certificate, parse, parse_idp_metadata
from authgate.ratelimit.store import MemoryStore
from authgate.signing.ring import KeyRing
from authgate.storage.db import Database, create_db_engine
from tests.conftest import settings_for_tests
from tests.sso.peers.saml_idp.peer import KeyPair, make_key_pair

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class _Fixed:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return make_key_pair("unit IdP")


def idp_metadata(keys: KeyPair, *, want_signed: bool = False) -> str:
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'WantAuthnRequestsSigned="{"true" if want_signed else "false"}">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{keys.cert_base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example.com/sso?tenant=1"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _context(settings: Settings, clock: Clock) -> ProviderContext:
    """The context the app builds; these tests never reach the database, the HTTP client or
    the store (nothing connects until it is used)."""
    keys = Keys.from_secret("unit-test-secret-unit-test-secret")
    db = Database(create_db_engine(settings.database))
    return ProviderContext(
        settings=settings,
        clock=clock,
        keys=keys,
        accounts=Accounts(db=db, keys=keys, identities=Identities(db=db, keys=keys, clock=clock)),
        http=httpx.AsyncClient(),
        store=MemoryStore(),
        signing=KeyRing(db, settings),  # HS256 under SECRET; not started, never reached
    )


def provider(tmp_path: Path, clock: Clock | None = None, **options: Any) -> SamlProvider:
    settings = settings_for_tests(tmp_path, {"PUBLIC_URL": "https://auth.example.com"})
    context = _context(settings, clock or _Fixed(NOW))
    values = {k: v for k, v in options.items() if v is not None}
    return SamlProvider(ProviderSettings("corp", "saml", options=values), context)


# ------------------------------------------------------------------------ configuration


def test_idp_metadata_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AUTH_CORP_IDP_metadata"):
        provider(tmp_path)


@pytest.mark.parametrize(
    "document",
    [
        "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'/>",
        "<not xml",
        '<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>',
    ],
)
def test_unusable_idp_metadata_names_the_variable(tmp_path: Path, document: str) -> None:
    with pytest.raises(ConfigError, match="AUTH_CORP_IDP_metadata"):
        provider(tmp_path, IDP_metadata=document)


def test_signed_requests_need_a_private_key(tmp_path: Path, idp_keys: KeyPair) -> None:
    with pytest.raises(ConfigError, match="AUTH_CORP_SP_privateKey"):
        provider(tmp_path, IDP_metadata=idp_metadata(idp_keys, want_signed=True))
    with pytest.raises(ConfigError, match="AUTH_CORP_SP_privateKey"):
        provider(tmp_path, IDP_metadata=idp_metadata(idp_keys), SP_authnRequestsSigned="true")


def test_a_broken_private_key_names_the_variable(tmp_path: Path, idp_keys: KeyPair) -> None:
    with pytest.raises(ConfigError, match="AUTH_CORP_SP_privateKey"):
        provider(tmp_path, IDP_metadata=idp_metadata(idp_keys), SP_privateKey="-----BEGIN nope")


def test_sp_names_are_matched_without_case_or_underscores(
    tmp_path: Path, idp_keys: KeyPair
) -> None:
    built = provider(tmp_path, IDP_metadata=idp_metadata(idp_keys), SP_ENTITY_ID="urn:corp:sp")

    assert built.sp.entity_id == "urn:corp:sp"
    assert built.idp.entity_id == "https://idp.example.com/"
    assert built.idp.sso_url == "https://idp.example.com/sso?tenant=1"


def test_the_public_url_must_be_absolute(tmp_path: Path, idp_keys: KeyPair) -> None:
    settings = settings_for_tests(tmp_path, {"PUBLIC_URL": "/"})
    context = _context(settings, _Fixed(NOW))
    options = {"IDP_metadata": idp_metadata(idp_keys)}
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        SamlProvider(ProviderSettings("corp", "saml", options=options), context)


def test_metadata_certificates_are_read_from_pem_or_base64(idp_keys: KeyPair) -> None:
    parsed = parse_idp_metadata(idp_metadata(idp_keys))

    assert parsed.signing_certs == (certificate(idp_keys.cert_pem),)
    assert certificate(idp_keys.cert_base64) == certificate(idp_keys.cert_pem)


def test_documents_with_a_dtd_are_refused() -> None:
    with pytest.raises(XmlRefused):
        parse(b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.com/x.dtd"><r/>')
    with pytest.raises(XmlRefused):
        parse(b"<r>" + b"x" * 300_000 + b"</r>")


# ------------------------------------------------------------------------------ request ids


def test_request_ids_are_ours_and_expire(tmp_path: Path, idp_keys: KeyPair) -> None:
    built = provider(tmp_path, IDP_metadata=idp_metadata(idp_keys))
    other = provider(tmp_path, IDP_metadata=idp_metadata(idp_keys), SP_entityID="urn:x")
    request_id = built.new_request_id(NOW)

    assert re.fullmatch(r"_[A-Za-z0-9_.-]+", request_id)  # an xs:ID (NCName)
    assert built._expiry_of(request_id) == int((NOW + timedelta(minutes=10)).timestamp())
    assert other._expiry_of(request_id) is not None  # same name and SECRET: any instance
    assert built._expiry_of(request_id[:-2] + "AA") is None  # tampered
    assert built._expiry_of("_" + "A" * 40) is None


# ------------------------------------------------------------------- HTTP-Redirect binding


def test_a_signed_redirect_verifies_and_a_changed_one_does_not() -> None:
    keys = make_key_pair("unit SP")
    key = load_pem_private_key(keys.key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signer = Signer(key)
    url = redirect_url(
        "https://idp.example.com/sso?tenant=1",
        "SAMLRequest",
        b"<samlp:AuthnRequest/>",
        relay_state="/app?x=1&y=~z",
        signer=signer,
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    changed = {**query, "RelayState": "https://evil.example/"}

    assert url.startswith("https://idp.example.com/sso?tenant=1&SAMLRequest=")
    assert inflate(query["SAMLRequest"]) == b"<samlp:AuthnRequest/>"
    assert verify_redirect_signature(query, "SAMLRequest", [certificate(keys.cert_pem)]) is True
    assert verify_redirect_signature(changed, "SAMLRequest", [certificate(keys.cert_pem)]) is False
    unsigned = {k: v for k, v in query.items() if k not in ("Signature", "SigAlg")}
    assert verify_redirect_signature(unsigned, "SAMLRequest", []) is None


def test_inflate_refuses_garbage_and_bombs() -> None:
    compressor = zlib.compressobj(wbits=-15)
    bomb = base64.b64encode(compressor.compress(b"a" * 2_000_000) + compressor.flush()).decode()

    with pytest.raises(Rejected):
        inflate("%%% not base64")
    with pytest.raises(Rejected, match="too large"):
        inflate(bomb)
