"""SAML's XML: hardened parsing, the two metadata documents, and small value helpers.

Parsing never resolves entities, never loads a DTD, never touches the network and refuses any
document with a ``<!DOCTYPE``: SAML messages have none, and each of those features is an
attack (XXE, entity expansion). Documents are size-capped before parsing.

* ``IdpMetadata``: what the IdP's metadata says (entity id, the HTTP-Redirect single sign-on
  and logout endpoints, the signing certificates, whether requests must be signed).
* ``SpMetadata``: this service provider as configured (from ``SP_metadata`` or built from
  ``SP_entityID`` and the public URL), and ``sp_metadata_xml`` to publish it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from lxml.builder import ElementMaker

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NAMESPACES = {"md": NS_MD, "saml": NS_SAML, "samlp": NS_SAMLP, "ds": NS_DS}

BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"

MAX_DOCUMENT = 256 * 1024  # bytes; a SAML response is a few kilobytes


class XmlRefused(ValueError):
    """The document is not one we parse (too large, malformed, or with a DTD)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,  # comments inside signed text are a known trick (CVE-2017-11427)
        remove_pis=True,
    )


def parser() -> etree.XMLParser:
    """The hardened parser (also handed to signxml)."""
    return _parser()


def parse(document: bytes | str) -> etree._Element:
    """The root element of ``document``.

    Raises:
        XmlRefused: too large, not well-formed XML, or it declares a DTD or entities.
    """
    raw = document.encode() if isinstance(document, str) else document
    if len(raw) > MAX_DOCUMENT:
        raise XmlRefused("the document is too large")
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise XmlRefused("the document declares a DTD")
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"not well-formed XML ({exc.msg})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("the document declares a DTD")
    return root


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def text_of(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def instant(moment: datetime) -> str:
    """``xs:dateTime`` in UTC with a ``Z``, seconds precision (what IdPs expect)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: str | None) -> datetime | None:
    """An ``xs:dateTime`` (``Z`` or an offset, optional fraction); None when unusable."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SAML instants are UTC
    return moment.astimezone(UTC)


def certificate(value: str) -> x509.Certificate:
    """A certificate from PEM text or from the bare base64 DER that metadata carries.

    Raises:
        ValueError: it is neither.
    """
    text = value.strip()
    if "-----BEGIN" in text:
        return x509.load_pem_x509_certificate(text.encode())
    der = base64.b64decode("".join(text.split()), validate=True)
    return x509.load_der_x509_certificate(der)


# ------------------------------------------------------------------------------ metadata


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str  # HTTP-Redirect SingleSignOnService
    slo_url: str | None  # HTTP-Redirect SingleLogoutService
    signing_certs: tuple[x509.Certificate, ...]
    want_requests_signed: bool


@dataclass(frozen=True)
class SpMetadata:
    entity_id: str
    acs_url: str | None  # None: ``<public URL>/auth/login/<name>/acs`` for each request
    slo_url: str | None
    requests_signed: bool
    want_assertions_signed: bool
    name_id_format: str | None
    document: str | None  # the configured metadata XML, published as it is


def _descriptor(root: etree._Element, name: str) -> etree._Element:
    """The ``md:<name>`` of an ``EntityDescriptor`` (or of the first entity that has one)."""
    if root.tag == tag(NS_MD, "EntityDescriptor"):
        found = root.find(f"md:{name}", NAMESPACES)
    else:
        found = root.find(f".//md:EntityDescriptor/md:{name}", NAMESPACES)
    if found is None:
        raise ValueError(f"it has no {name}")
    return found


def _entity_id(descriptor: etree._Element) -> str:
    entity = descriptor.getparent()
    value = entity.get("entityID") if entity is not None else None
    if not value:
        raise ValueError("it has no entityID")
    return str(value)


def _endpoint(descriptor: etree._Element, service: str, binding: str) -> str | None:
    for element in descriptor.findall(f"md:{service}", NAMESPACES):
        if element.get("Binding") == binding and element.get("Location"):
            return str(element.get("Location"))
    return None


def _certificates(descriptor: etree._Element) -> tuple[x509.Certificate, ...]:
    found = []
    for key in descriptor.findall("md:KeyDescriptor", NAMESPACES):
        if key.get("use") not in (None, "signing"):
            continue
        for data in key.findall(".//ds:X509Certificate", NAMESPACES):
            value = text_of(data)
            if value:
                found.append(certificate(value))
    return tuple(found)


def parse_idp_metadata(document: str) -> IdpMetadata:
    """Raises ``ValueError`` (or ``XmlRefused``) saying what is missing."""
    descriptor = _descriptor(parse(document), "IDPSSODescriptor")
    sso = _endpoint(descriptor, "SingleSignOnService", BINDING_REDIRECT)
    if sso is None:
        raise ValueError("it has no SingleSignOnService with the HTTP-Redirect binding")
    certs = _certificates(descriptor)
    if not certs:
        raise ValueError("it has no signing certificate")
    return IdpMetadata(
        entity_id=_entity_id(descriptor),
        sso_url=sso,
        slo_url=_endpoint(descriptor, "SingleLogoutService", BINDING_REDIRECT),
        signing_certs=certs,
        want_requests_signed=is_true(descriptor.get("WantAuthnRequestsSigned")),
    )


def parse_sp_metadata(document: str) -> SpMetadata:
    """Raises ``ValueError`` (or ``XmlRefused``) saying what is missing."""
    descriptor = _descriptor(parse(document), "SPSSODescriptor")
    acs = _endpoint(descriptor, "AssertionConsumerService", BINDING_POST)
    if acs is None:
        raise ValueError("it has no AssertionConsumerService with the HTTP-POST binding")
    formats = [text_of(e) for e in descriptor.findall("md:NameIDFormat", NAMESPACES)]
    return SpMetadata(
        entity_id=_entity_id(descriptor),
        acs_url=acs,
        slo_url=_endpoint(descriptor, "SingleLogoutService", BINDING_REDIRECT),
        requests_signed=is_true(descriptor.get("AuthnRequestsSigned")),
        want_assertions_signed=is_true(descriptor.get("WantAssertionsSigned")),
        name_id_format=next((f for f in formats if f), None),
        document=document,
    )


def sp_metadata_xml(
    sp: SpMetadata, *, acs_url: str, slo_url: str, signing_cert: x509.Certificate | None
) -> bytes:
    """This service provider's metadata (the configured document when there is one)."""
    if sp.document is not None:
        return sp.document.encode()
    md = ElementMaker(namespace=NS_MD, nsmap={"md": NS_MD, "ds": NS_DS})
    ds = ElementMaker(namespace=NS_DS, nsmap={"ds": NS_DS})
    children: list[etree._Element] = []
    if signing_cert is not None:
        der = signing_cert.public_bytes(Encoding.DER)
        children.append(
            md.KeyDescriptor(
                ds.KeyInfo(ds.X509Data(ds.X509Certificate(base64.b64encode(der).decode()))),
                use="signing",
            )
        )
    children.append(md.SingleLogoutService(Binding=BINDING_REDIRECT, Location=slo_url))
    if sp.name_id_format:
        children.append(md.NameIDFormat(sp.name_id_format))
    children.append(md.AssertionConsumerService(Binding=BINDING_POST, Location=acs_url, index="0"))
    descriptor = md.SPSSODescriptor(
        *children,
        protocolSupportEnumeration=NS_SAMLP,
        AuthnRequestsSigned=_bool(sp.requests_signed),
        WantAssertionsSigned=_bool(sp.want_assertions_signed),
    )
    entity = md.EntityDescriptor(descriptor, entityID=sp.entity_id)
    return bytes(etree.tostring(entity, xml_declaration=True, encoding="UTF-8"))


def _bool(value: bool) -> str:
    return "true" if value else "false"
