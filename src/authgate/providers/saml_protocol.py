"""SAML 2.0 Web Browser SSO, the service provider's side: the messages it sends (HTTP-Redirect
binding), and the checks on the ``<Response>`` the IdP posts back (HTTP-POST binding).

``read_response`` is the pure core of the assertion consumer service: the posted
``SAMLResponse`` and what is expected (IdP, audience, ACS URLs, certificates, ``now``) in, an
``Assertion`` or a ``Rejected`` with a reason out. In order:

1. the document: base64, hardened XML (``saml_xml.parse``), a ``samlp:Response`` holding exactly
   one ``saml:Assertion`` (no encrypted ones) and nothing that looks like a second one;
2. the status is ``Success``;
3. the signature: on the whole response or on the assertion (on the assertion itself when the
   SP metadata says ``WantAssertionsSigned``), by one of the IdP's certificates, RSA/ECDSA with
   SHA-2. From here on only the *signed* copy that signxml returns is read, so nothing
   unsigned wrapped around it (XML signature wrapping) is ever looked at;
4. the issuer is the IdP; the response's ``Destination`` (when present) is our ACS URL;
5. ``AudienceRestriction`` names this SP; ``NotBefore``/``NotOnOrAfter`` hold at ``now`` (with
   ``skew``);
6. a bearer ``SubjectConfirmation`` whose data has our ACS URL as ``Recipient``, a
   ``NotOnOrAfter`` still ahead, and an ``InResponseTo`` (unsolicited responses are refused;
   the caller checks that this request is one of ours, and consumes it once).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from authgate.providers.saml_xml import (
    NAMESPACES,
    NS_SAML,
    NS_SAMLP,
    XmlRefused,
    instant,
    parse,
    parse_instant,
    parser,
    tag,
    text_of,
)

SIG_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SIG_ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
MAX_INFLATED = 256 * 1024
LOGOUT_WINDOW = timedelta(minutes=5)  # how old an IdP's LogoutRequest may be
LOGOUT_SKEW = timedelta(seconds=60)


class Rejected(Exception):
    """The message is not accepted; ``reason`` is for the log, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------ sending messages


@dataclass(frozen=True)
class Signer:
    """The SP's private key, for HTTP-Redirect binding signatures (RSA or ECDSA, SHA-256)."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @property
    def algorithm(self) -> str:
        return SIG_RSA_SHA256 if isinstance(self.key, rsa.RSAPrivateKey) else SIG_ECDSA_SHA256

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


def _samlp(name: str, **attributes: str) -> etree._Element:
    element = etree.Element(tag(NS_SAMLP, name), nsmap={"samlp": NS_SAMLP, "saml": NS_SAML})
    for key, value in attributes.items():
        element.set(key, value)
    return element


def _issuer(parent: etree._Element, issuer: str) -> None:
    etree.SubElement(parent, tag(NS_SAML, "Issuer")).text = issuer


def authn_request(
    *,
    request_id: str,
    issuer: str,
    destination: str,
    acs_url: str,
    now: datetime,
    name_id_format: str | None,
) -> bytes:
    request = _samlp(
        "AuthnRequest",
        ID=request_id,
        Version="2.0",
        IssueInstant=instant(now),
        Destination=destination,
        ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        AssertionConsumerServiceURL=acs_url,
    )
    _issuer(request, issuer)
    policy = etree.SubElement(request, tag(NS_SAMLP, "NameIDPolicy"), AllowCreate="true")
    if name_id_format:
        policy.set("Format", name_id_format)
    return bytes(etree.tostring(request))


def logout_request(
    *,
    request_id: str,
    issuer: str,
    destination: str,
    name_id: str,
    name_id_format: str | None,
    now: datetime,
) -> bytes:
    request = _samlp(
        "LogoutRequest",
        ID=request_id,
        Version="2.0",
        IssueInstant=instant(now),
        Destination=destination,
    )
    _issuer(request, issuer)
    element = etree.SubElement(request, tag(NS_SAML, "NameID"))
    element.text = name_id
    if name_id_format:
        element.set("Format", name_id_format)
    return bytes(etree.tostring(request))


def logout_response(
    *, response_id: str, in_response_to: str, issuer: str, destination: str, now: datetime
) -> bytes:
    response = _samlp(
        "LogoutResponse",
        ID=response_id,
        Version="2.0",
        IssueInstant=instant(now),
        Destination=destination,
        InResponseTo=in_response_to,
    )
    _issuer(response, issuer)
    status = etree.SubElement(response, tag(NS_SAMLP, "Status"))
    etree.SubElement(status, tag(NS_SAMLP, "StatusCode"), Value=STATUS_SUCCESS)
    return bytes(etree.tostring(response))


def redirect_url(
    endpoint: str,
    parameter: str,
    message: bytes,
    *,
    relay_state: str | None,
    signer: Signer | None,
) -> str:
    """``endpoint?SAMLRequest=...[&RelayState=...][&SigAlg=...&Signature=...]``: the message
    deflated and base64-encoded; the signature covers the query in that order (SAML bindings
    §3.4.4.1)."""
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(message) + compressor.flush()
    pairs = [(parameter, base64.b64encode(deflated).decode())]
    if relay_state:
        pairs.append(("RelayState", relay_state))
    if signer is not None:
        pairs.append(("SigAlg", signer.algorithm))
    query = urlencode(pairs)
    if signer is not None:
        signature = base64.b64encode(signer.sign(query.encode())).decode()
        query += "&" + urlencode({"Signature": signature})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def inflate(value: str) -> bytes:
    """A message of the HTTP-Redirect binding (base64 of raw DEFLATE), size-bounded.

    Raises:
        Rejected: not base64, not DEFLATE, or too large.
    """
    try:
        raw = base64.b64decode(value, validate=False)
        decompressor = zlib.decompressobj(wbits=-15)
        inflated = decompressor.decompress(raw, MAX_INFLATED)
    except (binascii.Error, zlib.error, ValueError):
        raise Rejected("the message is not deflated base64") from None
    if decompressor.unconsumed_tail:
        raise Rejected("the message is too large")
    return inflated


def verify_redirect_signature(
    query: Mapping[str, str], parameter: str, certs: Sequence[x509.Certificate]
) -> bool | None:
    """Whether the HTTP-Redirect signature of ``query`` is by one of ``certs`` (None when the
    message is not signed). The signed text is rebuilt from the decoded values with the
    encoding SAML implementations use (``application/x-www-form-urlencoded``)."""
    signature, algorithm = query.get("Signature"), query.get("SigAlg")
    if not signature or not algorithm:
        return None
    if algorithm not in (SIG_RSA_SHA256, SIG_ECDSA_SHA256):
        return False
    pairs = [(parameter, query.get(parameter, ""))]
    if "RelayState" in query:
        pairs.append(("RelayState", query["RelayState"]))
    pairs.append(("SigAlg", algorithm))
    signed = urlencode(pairs).encode()
    try:
        raw = base64.b64decode(signature, validate=False)
    except (binascii.Error, ValueError):
        return False
    for cert in certs:
        key = cert.public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey) and algorithm == SIG_RSA_SHA256:
                key.verify(raw, signed, padding.PKCS1v15(), hashes.SHA256())
                return True
            if isinstance(key, ec.EllipticCurvePublicKey) and algorithm == SIG_ECDSA_SHA256:
                key.verify(raw, signed, ec.ECDSA(hashes.SHA256()))
                return True
        except InvalidSignature:
            continue
    return False


# -------------------------------------------------------------------- reading a response


@dataclass(frozen=True)
class Expected:
    idp_entity_id: str
    sp_entity_id: str
    acs_urls: tuple[str, ...]  # where this response may have been sent
    certs: tuple[x509.Certificate, ...]
    want_assertions_signed: bool
    now: datetime
    skew: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class Assertion:
    in_response_to: str
    name_id: str | None
    name_id_format: str | None
    session_index: str | None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.attributes.get(name)
        return values[0] if values else None


def decode_post(value: str) -> bytes:
    """The XML of an HTTP-POST binding message (plain base64).

    Raises:
        Rejected: not base64.
    """
    try:
        return base64.b64decode(value.encode("ascii", "strict"), validate=False)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Rejected("the response is not base64") from None


def _verified(
    document: bytes, location: str, certs: Sequence[x509.Certificate], now: datetime
) -> etree._Element | None:
    """The element the signature at ``location`` covers, as signxml verified it (a copy that
    holds only signed content), or None when there is no signature there.

    Raises:
        Rejected: there is a signature, but it is not valid for any of ``certs``.
    """
    root = parse(document)
    if root.find(location + "ds:Signature", NAMESPACES) is None:
        return None
    config = SignatureConfiguration(location=location, expect_references=1, verification_time=now)
    problem = "no certificate"
    for cert in certs:
        try:
            result = XMLVerifier().verify(
                document, x509_cert=cert, parser=parser(), expect_config=config
            )
        except (SignXMLException, InvalidSignature, ValueError) as exc:
            problem = str(exc) or type(exc).__name__
            continue
        signed = result.signed_xml  # type: ignore[union-attr]
        if not isinstance(signed, etree._Element):
            raise Rejected("the signature does not cover an element")
        return signed
    raise Rejected(f"the signature is not valid ({problem[:120]})")


def _one(parent: etree._Element, path: str, what: str) -> etree._Element:
    found = parent.findall(path, NAMESPACES)
    if len(found) != 1:
        raise Rejected(f"expected one {what}, found {len(found)}")
    element: etree._Element = found[0]
    return element


def _check_document(root: etree._Element) -> None:
    if root.tag != tag(NS_SAMLP, "Response"):
        raise Rejected("the message is not a samlp:Response")
    if root.findall(".//saml:EncryptedAssertion", NAMESPACES):
        raise Rejected("encrypted assertions are not supported")
    # Exactly one assertion anywhere in the document: a second one (say, inside an
    # Extensions or an Advice element) is how signature wrapping attacks smuggle content.
    if len(root.findall(".//saml:Assertion", NAMESPACES)) != 1:
        raise Rejected("the response does not hold exactly one assertion")
    _one(root, "saml:Assertion", "assertion in the response")
    status = root.find("samlp:Status/samlp:StatusCode", NAMESPACES)
    value = status.get("Value") if status is not None else None
    if value != STATUS_SUCCESS:
        raise Rejected(f"the IdP answered status {value}")


def _signed_assertion(document: bytes, expected: Expected) -> tuple[etree._Element, bool]:
    """The signed assertion, and whether the whole response was signed."""
    certs, now = expected.certs, expected.now
    response = _verified(document, "./", certs, now)
    # Clark notation: signxml resolves the location with its own prefixes, which lack saml:.
    assertion = _verified(document, f"./{{{NS_SAML}}}Assertion/", certs, now)
    if assertion is None:
        if response is None:
            raise Rejected("neither the response nor the assertion is signed")
        if expected.want_assertions_signed:
            raise Rejected("the assertion is not signed (WantAssertionsSigned)")
        assertion = _one(response, "saml:Assertion", "assertion in the signed response")
    if assertion.tag != tag(NS_SAML, "Assertion"):
        raise Rejected("the signature does not cover the assertion")
    return assertion, response is not None


def _check_times(
    not_before: str | None, not_on_or_after: str | None, expected: Expected, what: str
) -> None:
    now, skew = expected.now, expected.skew
    if not_before is not None:
        start = parse_instant(not_before)
        if start is None or now + skew < start:
            raise Rejected(f"the {what} is not valid yet")
    if not_on_or_after is not None:
        end = parse_instant(not_on_or_after)
        if end is None or now - skew >= end:
            raise Rejected(f"the {what} has expired")


def _check_conditions(assertion: etree._Element, expected: Expected) -> None:
    conditions = _one(assertion, "saml:Conditions", "Conditions")
    _check_times(conditions.get("NotBefore"), conditions.get("NotOnOrAfter"), expected, "assertion")
    restrictions = conditions.findall("saml:AudienceRestriction", NAMESPACES)
    if not restrictions:
        raise Rejected("the assertion has no audience restriction")
    for restriction in restrictions:  # each restriction must be met (SAML core §2.5.1.4)
        audiences = [text_of(a) for a in restriction.findall("saml:Audience", NAMESPACES)]
        if expected.sp_entity_id not in audiences:
            raise Rejected(f"the assertion is meant for another audience ({audiences[:3]})")


def _subject(assertion: etree._Element, expected: Expected) -> tuple[etree._Element, str]:
    """The subject and the ``InResponseTo`` of its bearer confirmation."""
    subject = _one(assertion, "saml:Subject", "Subject")
    for confirmation in subject.findall("saml:SubjectConfirmation", NAMESPACES):
        if confirmation.get("Method") != BEARER:
            continue
        data = confirmation.find("saml:SubjectConfirmationData", NAMESPACES)
        if data is None:
            continue
        if data.get("Recipient") not in expected.acs_urls:
            raise Rejected("the assertion is for another recipient")
        if data.get("NotOnOrAfter") is None:
            raise Rejected("the subject confirmation has no NotOnOrAfter")
        _check_times(data.get("NotBefore"), data.get("NotOnOrAfter"), expected, "confirmation")
        in_response_to = data.get("InResponseTo")
        if not in_response_to:
            raise Rejected("unsolicited responses are not accepted (no InResponseTo)")
        return subject, str(in_response_to)
    raise Rejected("the assertion has no bearer subject confirmation")


def _attributes(assertion: etree._Element) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NAMESPACES):
        name = attribute.get("Name")
        if not name:
            continue
        values = [text_of(v) for v in attribute.findall("saml:AttributeValue", NAMESPACES)]
        found.setdefault(str(name), []).extend(v for v in values if v is not None)
    return {name: tuple(values) for name, values in found.items()}


def read_response(saml_response: str, expected: Expected) -> Assertion:
    """The assertion of a posted ``SAMLResponse``, once every check passed.

    Raises:
        Rejected: the first check that failed, with a reason for the log.
    """
    document = decode_post(saml_response)
    try:
        root = parse(document)
    except XmlRefused as exc:
        raise Rejected(str(exc)) from None
    _check_document(root)
    assertion, response_signed = _signed_assertion(document, expected)
    # Issuer, Destination and InResponseTo of the response element are only trusted when the
    # response itself was signed; otherwise the assertion's own values are what counts.
    if response_signed:
        issuer = text_of(root.find("saml:Issuer", NAMESPACES))
        if issuer is not None and issuer != expected.idp_entity_id:
            raise Rejected("the response comes from another issuer")
    destination = root.get("Destination")
    if destination is not None and destination not in expected.acs_urls:
        raise Rejected("the response was sent to another destination")
    if text_of(assertion.find("saml:Issuer", NAMESPACES)) != expected.idp_entity_id:
        raise Rejected("the assertion comes from another issuer")
    _check_conditions(assertion, expected)
    subject, in_response_to = _subject(assertion, expected)
    response_to = root.get("InResponseTo")
    if response_to is not None and response_to != in_response_to:
        raise Rejected("the response and its assertion answer different requests")
    if assertion.find("saml:AuthnStatement", NAMESPACES) is None:
        raise Rejected("the assertion has no authentication statement")
    statement = assertion.find("saml:AuthnStatement", NAMESPACES)
    session_end = statement.get("SessionNotOnOrAfter") if statement is not None else None
    _check_times(None, session_end, expected, "IdP session")
    name_id = subject.find("saml:NameID", NAMESPACES)
    return Assertion(
        in_response_to=in_response_to,
        name_id=text_of(name_id),
        name_id_format=name_id.get("Format") if name_id is not None else None,
        session_index=statement.get("SessionIndex") if statement is not None else None,
        attributes=_attributes(assertion),
    )


def read_logout_message(value: str) -> etree._Element:
    """A ``LogoutRequest``/``LogoutResponse`` of the HTTP-Redirect binding.

    Raises:
        Rejected: not decodable or not XML we accept.
    """
    try:
        return parse(inflate(value))
    except XmlRefused as exc:
        raise Rejected(str(exc)) from None


def check_logout_fresh(message: etree._Element, now: datetime) -> None:
    """An IdP's ``LogoutRequest`` must be recent: a captured one cannot be used much later.

    Raises:
        Rejected: not issued within ``LOGOUT_WINDOW`` (with ``LOGOUT_SKEW``), or its
            ``NotOnOrAfter`` has passed.
    """
    issued = parse_instant(message.get("IssueInstant"))
    if issued is None:
        raise Rejected("the logout request has no IssueInstant")
    if issued > now + LOGOUT_SKEW:
        raise Rejected("the logout request is issued in the future")
    if now - issued > LOGOUT_WINDOW + LOGOUT_SKEW:
        raise Rejected("the logout request is too old")
    until = message.get("NotOnOrAfter")
    if until is not None:
        end = parse_instant(until)
        if end is None or now - LOGOUT_SKEW >= end:
            raise Rejected("the logout request has expired")
