"""SAML against a real IdP (Debian's SimpleSAMLphp, run by ``peers/saml_idp/peer.py``), signing
with its own freshly generated RSA key: the SP metadata, the redirect to the IdP, login of a
new and of a returning user, RelayState, tokens as JSON, logout through the IdP; and what is
refused: a tampered or foreign signature, an expired assertion, a replayed response, another
audience, an unsolicited response, a wrapped second assertion, XML with a DTD."""

from __future__ import annotations

import base64
import dataclasses
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from lxml import etree
from signxml.signer import XMLSigner
from sqlalchemy import select
from starlette.testclient import TestClient

from authgate import totp
from authgate.app import create_app
from authgate.config.env import read_environment
from authgate.mail.outbox import MemoryOutbox
from authgate.providers.saml import SamlProvider
from authgate.storage.tables import users
from tests.sso.conftest import APP_ORIGIN, SsoApp, sso_app
from tests.sso.peers.saml_idp.browser import (
    NS,
    Later,
    Person,
    assertion_of,
    attribute_value,
)
from tests.sso.peers.saml_idp.peer import (
    EMAIL,
    GIVEN_NAME,
    IDENTIFIER,
    SURNAME,
    KeyPair,
    SamlIdp,
    make_key_pair,
)
from tests.support.backends import BACKENDS

DEFAULT_ROLE = "6c2d8e4f-1a3b-4c5d-9e0f-000000000001"
PASSWORD = "idp-Passw0rd"
ALLOWED = "http://app.example.com/after"
PROVIDERS = (
    "saml",
    "closed",
    "cookies",
    "respsigned",
    "wantsigned",
    "signing",
    "nameid",
    "other",
)
EMAIL_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
OTHER_ENTITY = f"{APP_ORIGIN}/other-sp"
SECURE_ORIGIN = "https://secure.authgate.test"
SIGNED_OUT = "/signed-out"


# ------------------------------------------------------------------------------ the peer


@pytest.fixture(scope="session")
def sp_keys() -> KeyPair:
    return make_key_pair("authgate test SP")


def entity(name: str) -> str:
    return f"{APP_ORIGIN}/auth/login/{name}/metadata"


def endpoint(name: str, action: str) -> str:
    return f"{APP_ORIGIN}/auth/login/{name}/{action}"


def other_sp_metadata() -> str:
    """SP metadata given as XML (``SP_metadata``): an SP whose ACS is the "saml" provider's."""
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{OTHER_ENTITY}"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{endpoint("saml", "acs")}" index="0"/>'
        "</md:SPSSODescriptor><md:Organization>"
        '<md:OrganizationName xml:lang="en">Example, Inc.</md:OrganizationName>'
        '<md:OrganizationDisplayName xml:lang="en">Example,  Inc.</md:OrganizationDisplayName>'
        '<md:OrganizationURL xml:lang="en">https://example.com/</md:OrganizationURL>'
        "</md:Organization></md:EntityDescriptor>"
    )


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest,
    idp: SamlIdp,
    sp_keys: KeyPair,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SsoApp]:
    for name in PROVIDERS[:-1]:
        idp.register_sp(
            entity(name),
            endpoint(name, "acs"),
            slo_url=endpoint(name, "logout"),
            sign_response=name in ("respsigned", "wantsigned"),
            sign_assertion=name not in ("respsigned", "wantsigned"),
            request_signing_cert=sp_keys.cert_base64 if name == "signing" else None,
            # "nameid": a lasting (not transient) NameID, the person's email.
            **(
                {"NameIDFormat": EMAIL_NAMEID, "simplesaml.nameidattribute": EMAIL}
                if name == "nameid"
                else {}
            ),
        )
    idp.register_sp(OTHER_ENTITY, endpoint("saml", "acs"))
    metadata = idp.metadata()
    env = {"AUTH_PROVIDERS": ",".join(PROVIDERS)}
    for name in PROVIDERS:
        prefix = f"AUTH_{name.upper()}_"
        env.update(
            {
                prefix + "DRIVER": "saml",
                prefix + "IDP_metadata": metadata,
                prefix + "ALLOW_PUBLIC_REGISTRATION": "true",
                prefix + "DEFAULT_ROLE_ID": DEFAULT_ROLE,
            }
        )
    env.update(
        {
            "AUTH_SAML_LABEL": "Company SAML",
            "AUTH_ALLOWED_PUBLIC_URLS": SECURE_ORIGIN,
            "AUTH_SAML_REDIRECT_ALLOW_LIST": ALLOWED,
            "AUTH_CLOSED_ALLOW_PUBLIC_REGISTRATION": "false",
            "AUTH_COOKIES_MODE": "cookie",
            "AUTH_COOKIES_SP_relayState": SIGNED_OUT,
            "AUTH_WANTSIGNED_SP_wantAssertionsSigned": "true",
            "AUTH_SIGNING_SP_privateKey": sp_keys.key_pem,
            "AUTH_SIGNING_SP_signingCert": sp_keys.cert_pem,
            "AUTH_SIGNING_SP_authnRequestsSigned": "true",
            "AUTH_OTHER_SP_metadata": other_sp_metadata(),
        }
    )
    tmp = tmp_path_factory.mktemp(f"saml-{request.param}")
    # One provider reads the IdP metadata from a file (``_FILE``), as a deployment would.
    (tmp / "idp.xml").write_text(metadata)
    del env["AUTH_COOKIES_IDP_metadata"]
    env["AUTH_COOKIES_IDP_metadata_FILE"] = str(tmp / "idp.xml")
    # As the server reads its environment: ``_FILE`` variables become their files' contents.
    with sso_app(read_environment(env, cwd=tmp), request.param, tmp) as running:
        running.create_role(DEFAULT_ROLE, "Default")
        yield running


# makes a person at the IdP (their attributes by name), removed when the test ends
People = Callable[..., Person]


@pytest.fixture
def people(idp: SamlIdp, app: SsoApp) -> Iterator[People]:
    made: list[Person] = []

    def make(**attributes: Any) -> Person:
        login = f"p{uuid.uuid4().hex[:10]}"
        values = {
            IDENTIFIER: attributes.pop("identifier", f"ID-{login}"),
            EMAIL: attributes.pop("email", f"{login}@example.com"),
            GIVEN_NAME: attributes.pop("given_name", "Grace"),
            SURNAME: attributes.pop("surname", "Hopper"),
            **attributes,
        }
        idp.add_user(login, PASSWORD, **{k: v for k, v in values.items() if v is not None})
        person = Person(app, login, PASSWORD)
        made.append(person)
        return person

    yield make
    for person in made:
        person.close()


def reason(response: httpx.Response) -> str | None:
    values = parse_qs(urlsplit(response.headers.get("location", "")).query).get("reason")
    return values[0] if values else None


def refusal_logged(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return any(words in record.getMessage() for record in caplog.records)


# ------------------------------------------------------------------- metadata and start


def test_the_sp_metadata_describes_this_service_provider(app: SsoApp) -> None:
    response = app.client.get("/auth/login/saml/metadata")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.get("entityID") == entity("saml")
    acs = root.find("md:SPSSODescriptor/md:AssertionConsumerService", NS)
    assert acs is not None
    assert acs.get("Location") == endpoint("saml", "acs")
    slo = root.find("md:SPSSODescriptor/md:SingleLogoutService", NS)
    assert slo is not None
    assert slo.get("Location") == endpoint("saml", "logout")


def test_configured_sp_metadata_is_published_as_it_is(app: SsoApp) -> None:
    response = app.client.get("/auth/login/other/metadata")

    assert response.text == other_sp_metadata()  # its commas survived the env casting


def test_a_signing_sp_publishes_its_certificate(app: SsoApp, sp_keys: KeyPair) -> None:
    root = etree.fromstring(app.client.get("/auth/login/signing/metadata").content)

    descriptor = root.find("md:SPSSODescriptor", NS)
    assert descriptor is not None
    assert descriptor.get("AuthnRequestsSigned") == "true"
    cert = descriptor.find("md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert cert is not None
    assert cert.text == sp_keys.cert_base64


def test_the_start_redirects_to_the_idp_with_an_authn_request(app: SsoApp, idp: SamlIdp) -> None:
    response = app.client.get("/auth/login/saml", params={"redirect": "/app"})

    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == idp.sso_url
    assert query["RelayState"] == "/app"
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15))
    assert request.tag == f"{{{NS['samlp']}}}AuthnRequest"
    assert request.get("AssertionConsumerServiceURL") == endpoint("saml", "acs")
    assert request.get("Destination") == idp.sso_url
    assert request.findtext("saml:Issuer", namespaces=NS) == entity("saml")


@pytest.mark.parametrize(
    "redirect", ["https://evil.example/x", "//evil.example", f"{ALLOWED}.evil.example"]
)
def test_a_disallowed_redirect_is_refused_at_the_start(app: SsoApp, redirect: str) -> None:
    response = app.client.get("/auth/login/saml", params={"redirect": redirect})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


# ------------------------------------------------------------------------------- login


def test_a_new_user_signs_in_and_is_created(app: SsoApp, people: People) -> None:
    person = people(identifier="Mixed-Case-ID", given_name="Ada", surname="Lovelace")

    response = person.post(person.start("saml", redirect="/app"))

    assert response.status_code == 302, response.text
    assert response.headers["location"] == "/app"
    cookie = app.settings.session_cookie.name
    assert cookie in response.cookies
    user = app.me({cookie: response.cookies[cookie]})
    assert user["external_identifier"] == "mixed-case-id"  # stored lower-cased, as Directus does
    assert (user["first_name"], user["last_name"]) == ("Ada", "Lovelace")
    assert user["email"] == f"{person.login}@example.com"
    assert (user["provider"], user["role"]) == ("saml", DEFAULT_ROLE)


def test_a_returning_user_is_the_same_user_and_is_not_updated(
    app: SsoApp, idp: SamlIdp, people: People
) -> None:
    person = people(given_name="First")
    cookie = app.settings.session_cookie.name
    first = person.post(person.start("saml", redirect="/app"))
    idp.users[person.login]["attributes"][GIVEN_NAME] = ["Changed"]
    idp.add_user(person.login, PASSWORD, **idp.users[person.login]["attributes"])

    again = person.post(person.start("saml", redirect="/app"))  # the IdP session answers

    before = app.me({cookie: first.cookies[cookie]})
    after = app.me({cookie: again.cookies[cookie]})
    assert before["id"] == after["id"]
    assert after["first_name"] == "First"  # SAML never updates a known user


def test_an_absolute_relay_state_on_the_allow_list_is_followed(app: SsoApp, people: People) -> None:
    person = people()

    response = person.post(person.start("saml", redirect=ALLOWED + "?x=1"))

    assert response.status_code == 302
    assert response.headers["location"] == ALLOWED + "?x=1"


def test_without_relay_state_the_tokens_are_answered_as_json(app: SsoApp, people: People) -> None:
    person = people()

    response = person.post(person.start("saml"))

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"access_token", "refresh_token", "expires"}
    refreshed = app.client.post("/auth/refresh", json={"refresh_token": data["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_cookie_mode_sets_the_refresh_cookie(app: SsoApp, people: People) -> None:
    person = people()

    response = person.post(person.start("cookies", redirect="/app"))

    assert response.status_code == 302
    assert app.settings.refresh_cookie.name in response.cookies
    assert app.settings.session_cookie.name not in response.cookies


def test_unknown_users_are_refused_without_public_registration(app: SsoApp, people: People) -> None:
    person = people()

    response = person.post(person.start("closed", redirect="/app"))

    assert response.status_code == 302
    assert response.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert app.user_by_identifier(f"id-{person.login}") is None


def test_an_email_of_another_account_is_invalid_provider(app: SsoApp, people: People) -> None:
    email = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    created = app.client.post(
        "/users", json={"email": email, "password": "Local-pw-1"}, headers=app.admin
    )
    assert created.status_code in (200, 204), created.text
    person = people(email=email)

    response = person.post(person.start("saml", redirect="/app"))

    assert reason(response) == "INVALID_PROVIDER"


def test_a_response_signed_as_a_whole_is_accepted(app: SsoApp, people: People) -> None:
    person = people()
    posted = person.start("respsigned", redirect="/app")
    root = etree.fromstring(posted.xml)

    response = person.post(posted)

    assert root.find("ds:Signature", NS) is not None
    assert root.find("saml:Assertion/ds:Signature", NS) is None
    assert response.status_code == 302
    assert reason(response) is None


def test_want_assertions_signed_refuses_an_unsignedassertion_of(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()

    response = person.post(person.start("wantsigned", redirect="/app"))

    assert reason(response) == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "WantAssertionsSigned")


def test_signed_authn_requests_are_accepted_by_the_idp(app: SsoApp, people: People) -> None:
    person = people()
    start = app.client.get("/auth/login/signing", params={"redirect": "/app"})
    query = parse_qs(urlsplit(start.headers["location"]).query)

    app.client.cookies.clear()
    posted = person.to_idp(start.headers["location"])

    response = person.post(dataclasses.replace(posted, cookies=dict(start.cookies)))

    assert "Signature" in query
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert response.status_code == 302
    assert reason(response) is None


# --------------------------------------------------------------------------- refused


def test_a_tampered_assertion_fails_its_signature(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")
    root, assertion = assertion_of(posted.xml)
    attribute_value(assertion, EMAIL).text = "admin@example.com"

    response = person.post(posted.with_xml(etree.tostring(root)))

    assert response.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "signature is not valid")
    assert app.user_by_identifier(f"id-{person.login}") is None


def test_an_assertion_signed_by_another_key_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")
    root, assertion = assertion_of(posted.xml)
    signature = assertion.find("ds:Signature", NS)
    assert signature is not None
    assertion.remove(signature)
    attacker = make_key_pair("not the IdP")
    signed = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    ).sign(
        assertion,
        key=attacker.key_pem.encode(),
        cert=attacker.cert_pem,
        reference_uri=assertion.get("ID"),
    )
    root.replace(assertion, signed)

    response = person.post(posted.with_xml(etree.tostring(root)))

    assert reason(response) == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "signature is not valid")


def test_a_second_unsigned_assertion_wrapped_in_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")
    root, assertion = assertion_of(posted.xml)
    evil = etree.fromstring(etree.tostring(assertion))
    evil.remove(evil.find("ds:Signature", NS))
    evil.set("ID", "_evil")
    attribute_value(evil, IDENTIFIER).text = "someone-else"
    root.insert(0, evil)

    response = person.post(posted.with_xml(etree.tostring(root)))

    assert reason(response) == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "exactly one assertion")


def test_an_expired_assertion_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")
    conditions = assertion_of(posted.xml)[1].find("saml:Conditions", NS)
    assert conditions is not None
    provider = app.app.services.providers.get("saml")
    assert isinstance(provider, SamlProvider)
    # Past the assertion's NotOnOrAfter (+ the allowed skew), within the request's lifetime.
    monkeypatch.setattr(
        provider,
        "context",
        dataclasses.replace(provider.context, clock=Later(timedelta(minutes=7))),
    )

    response = person.post(posted)

    assert reason(response) == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "has expired")


def test_a_replayed_response_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")

    first = person.post(posted)
    second = person.post(posted)

    assert first.status_code == 302
    assert reason(first) is None
    assert second.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "replay")


def test_another_instance_finishes_a_login_but_refuses_its_replay(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")  # started on the first instance
    # A second instance on the same database (and, for PostgreSQL, the same Redis).
    second = create_app(app.settings, outbox=MemoryOutbox())
    acs = posted.action.removeprefix(APP_ORIGIN)
    with TestClient(second, base_url=APP_ORIGIN, follow_redirects=False) as other:
        finished = other.post(acs, data=posted.fields, headers=posted.cookie_header)
    replayed = person.post(posted)  # back on the first instance

    assert finished.status_code == 302
    assert reason(finished) is None
    assert replayed.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "replay")


def test_a_response_for_another_audience_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    # "other" is another SP whose ACS is this provider's: the IdP sends its response here.
    posted = person.start("other", redirect="/app")

    response = person.post(posted)

    assert posted.action == endpoint("saml", "acs")
    assert reason(response) == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "another audience")


def test_an_unsolicited_response_is_refused(
    app: SsoApp, idp: SamlIdp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    initiated = f"{idp.sso_url}?spentityid={entity('saml')}&RelayState=/app"

    response = person.post(person.to_idp(initiated))

    assert response.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "unsolicited")


# ------------------------------------------------- the browser the request was made for


def test_the_start_binds_the_request_to_the_browser_with_a_sealed_cookie(
    app: SsoApp, idp: SamlIdp
) -> None:
    app.client.cookies.clear()
    plain = app.client.get("/auth/login/saml", params={"redirect": "/app"})
    secure = app.client.get(f"{SECURE_ORIGIN}/auth/login/saml", params={"redirect": "/app"})

    query = parse_qs(urlsplit(plain.headers["location"]).query)
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15))
    cookie = plain.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    assert name == "saml.saml"
    value = rest.split(";", 1)[0]
    assert value
    assert request.get("ID") not in value
    assert "; Path=/; HttpOnly" in cookie
    assert "Max-Age" not in cookie
    # The IdP posts cross-site: over plain HTTP the browser's default applies, over HTTPS
    # the cookie is SameSite=None; Secure (a Lax one would not come back).
    assert "SameSite" not in cookie
    assert "Secure" not in cookie
    assert secure.headers["set-cookie"].endswith("; HttpOnly; Secure; SameSite=None")


def test_a_response_posted_from_another_browser_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    # Login CSRF: someone signs in at the IdP as themselves and has the victim's browser
    # post the response, to sign the victim in to the attacker's account.
    attacker = people()
    posted = attacker.start("saml", redirect="/app")
    victim_browser = dataclasses.replace(posted, cookies={})

    refused = attacker.post(victim_browser)
    accepted = attacker.post(posted)  # in the browser that started it, it still works

    assert refused.status_code == 302
    assert refused.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert app.settings.session_cookie.name not in refused.cookies
    assert refusal_logged(caplog, "started in another browser")
    assert accepted.status_code == 302
    assert reason(accepted) is None
    assert app.settings.session_cookie.name in accepted.cookies


def test_a_response_to_another_request_than_the_browsers_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    victim, attacker = people(), people()
    started = victim.start("saml", redirect="/app")  # the victim's browser has its own cookie
    posted = attacker.start("saml", redirect="/app")

    refused = attacker.post(dataclasses.replace(posted, cookies=started.cookies))
    without_relay = attacker.post(
        dataclasses.replace(
            posted,
            fields={k: v for k, v in posted.fields.items() if k != "RelayState"},
            cookies=started.cookies,
        )
    )

    assert refused.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert without_relay.status_code == 401
    assert without_relay.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "started in another browser")
    assert app.user_by_identifier(f"id-{attacker.login}") is None


def test_the_acs_clears_the_binding_cookie(app: SsoApp, people: People) -> None:
    person = people()

    response = person.post(person.start("saml", redirect="/app"))

    assert response.status_code == 302
    assert reason(response) is None
    assert any(h.startswith("saml.saml=;") for h in response.headers.get_list("set-cookie"))


def test_a_relay_state_changed_to_a_foreign_site_is_refused(app: SsoApp, people: People) -> None:
    person = people()
    posted = person.start("saml", redirect="/app")

    response = person.post(
        dataclasses.replace(posted, fields={**posted.fields, "RelayState": "https://evil.example/"})
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


@pytest.mark.parametrize(
    "document",
    [
        b"not base64 at all!",
        base64.b64encode(b"<not-xml"),
        base64.b64encode(
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>'
        ),
        b"",
    ],
)
def test_garbage_is_refused_without_a_trace(app: SsoApp, document: bytes) -> None:
    app.client.cookies.clear()
    response = app.client.post(
        "/auth/login/saml/acs", data={"SAMLResponse": document.decode("latin-1")}
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert "root:" not in response.text


def test_two_factor_users_cannot_sign_in_through_saml(app: SsoApp, people: People) -> None:
    person = people()
    token = person.post(person.start("saml")).json()["data"]["access_token"]
    me = app.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    app.set_user(me.json()["data"]["id"], tfa_secret=totp.generate_secret())

    again = person.post(person.start("saml", redirect="/app"))

    assert reason(again) == "INVALID_OTP"  # no otp can ride through SAML (as in Directus)


# ------------------------------------------------------------------------------ logout


def message_of(url: str, parameter: str) -> etree._Element:
    """The SAML message an HTTP-Redirect binding URL carries."""
    value = parse_qs(urlsplit(url).query)[parameter][0]
    element: etree._Element = etree.fromstring(zlib.decompress(base64.b64decode(value), -15))
    return element


def signed_in(app: SsoApp, person: Person, provider: str = "saml") -> dict[str, str]:
    """The cookies of a browser ``person`` signed in to (session and SAML session record)."""
    posted = person.start(provider, redirect="/app")
    response = person.post(posted)
    assert response.status_code == 302, response.headers
    assert reason(response) is None, response.headers
    cookies = {name: value for name, value in response.cookies.items() if value}
    cookies["name_id"] = text(assertion_of(posted.xml)[1], "saml:Subject/saml:NameID")
    return cookies


def text(element: etree._Element, path: str) -> str:
    found: str | None = element.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items() if k != "name_id")}


def works(app: SsoApp, cookies: dict[str, str]) -> bool:
    cookie = app.settings.session_cookie.name
    app.client.cookies.clear()
    answer = app.client.get("/users/me", headers={"Cookie": f"{cookie}={cookies[cookie]}"})
    return answer.status_code == 200


def test_logout_ends_the_session_and_signs_out_at_the_idp(
    app: SsoApp, idp: SamlIdp, people: People
) -> None:
    person = people()
    cookies = signed_in(app, person)

    app.client.cookies.clear()
    logout = app.client.post(
        "/auth/login/saml/logout", data={"redirect": "/bye"}, headers=cookie_header(cookies)
    )
    returned = person.back_to_app(logout.headers["location"])
    back = app.client.get(returned.removeprefix(APP_ORIGIN))
    again = app.client.get("/auth/login/saml", params={"redirect": "/app"})
    login_page = person.web.get(again.headers["location"])

    assert logout.status_code == 302
    location = logout.headers["location"]
    assert location.startswith(idp.base_url + "/saml2/idp/SingleLogoutService.php?SAMLRequest=")
    request = message_of(location, "SAMLRequest")
    assert request.tag == f"{{{NS['samlp']}}}LogoutRequest"
    # The NameID the IdP gave this session (transient here), not the user's identifier.
    assert text(request, "saml:NameID") == cookies["name_id"]
    assert "RelayState" not in parse_qs(urlsplit(location).query)  # as Directus: no redirect
    cleared = logout.headers.get_list("set-cookie")
    for name in (app.settings.session_cookie.name, "saml.saml.session"):
        assert any(h.startswith(f"{name}=;") for h in cleared)
    assert returned.startswith(endpoint("saml", "logout") + "?SAMLResponse=")
    assert back.status_code == 302
    assert back.headers["location"] == "/"
    assert not works(app, cookies)  # the session is over, not only its cookie
    assert 'name="username"' in login_page.text  # and so is the one at the IdP


def test_logout_without_a_session_still_sends_a_logout_request(
    app: SsoApp, idp: SamlIdp, people: People
) -> None:
    app.client.cookies.clear()
    response = app.client.post("/auth/login/saml/logout", data={"redirect": "/bye"})
    returned = people().back_to_app(response.headers["location"])  # the IdP answers it
    back = app.client.get(returned.removeprefix(APP_ORIGIN))

    # Directus: always on to the IdP's SingleLogoutService, the redirect is not carried.
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(idp.base_url + "/saml2/idp/SingleLogoutService.php?")
    query = parse_qs(urlsplit(location).query)
    assert set(query) == {"SAMLRequest"}
    request = message_of(location, "SAMLRequest")
    assert request.tag == f"{{{NS['samlp']}}}LogoutRequest"
    assert request.get("Destination") == idp.base_url + "/saml2/idp/SingleLogoutService.php"
    assert text(request, "saml:Issuer") == entity("saml")
    assert returned.startswith(endpoint("saml", "logout") + "?SAMLResponse=")
    assert back.status_code == 302
    assert back.headers["location"] == "/"


def test_logout_sends_the_configured_relay_state(app: SsoApp, idp: SamlIdp) -> None:
    app.client.cookies.clear()
    response = app.client.post("/auth/login/cookies/logout", data={"redirect": "/bye"})

    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["RelayState"] == [SIGNED_OUT]


def test_a_forged_idp_logout_request_is_refused(app: SsoApp, idp: SamlIdp) -> None:
    message = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" '
        f'IssueInstant="2020-01-01T00:00:00Z"><saml:Issuer>{idp.entity_id}</saml:Issuer>'
        "<saml:NameID>x</saml:NameID></samlp:LogoutRequest>"
    ).encode()
    compressor = zlib.compressobj(wbits=-15)
    encoded = base64.b64encode(compressor.compress(message) + compressor.flush()).decode()

    response = app.client.get("/auth/login/saml/logout", params={"SAMLRequest": encoded})

    assert response.status_code == 401


def idp_logout_request(idp: SamlIdp, person: Person) -> str:
    """The signed LogoutRequest the IdP sends to authgate when ``person`` logs out there."""
    request = person.back_to_app(
        f"{idp.base_url}/saml2/idp/SingleLogoutService.php?ReturnTo={idp.base_url}/done"
    )
    assert request.startswith(endpoint("saml", "logout") + "?SAMLRequest=")
    return request.removeprefix(APP_ORIGIN)


def test_an_idp_initiated_logout_ends_the_session(
    app: SsoApp, idp: SamlIdp, people: People
) -> None:
    person = people()
    cookies = signed_in(app, person)

    request = idp_logout_request(idp, person)
    app.client.cookies.clear()
    answered = app.client.get(request, headers=cookie_header(cookies))
    finished = person.web.get(answered.headers["location"], follow_redirects=False)

    assert text(message_of(request, "SAMLRequest"), "saml:NameID") == cookies["name_id"]
    assert answered.status_code == 302
    assert answered.headers["location"].startswith(
        f"{idp.base_url}/saml2/idp/SingleLogoutService.php?SAMLResponse="
    )
    cookie = app.settings.session_cookie.name
    assert any(h.startswith(f"{cookie}=;") for h in answered.headers.get_list("set-cookie"))
    assert finished.status_code in (302, 303)
    assert "/done" in finished.headers["location"]
    assert not works(app, cookies)


def test_a_replayed_idp_logout_request_is_refused(
    app: SsoApp, idp: SamlIdp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    person = people()
    first_session = signed_in(app, person)
    request = idp_logout_request(idp, person)
    app.client.cookies.clear()
    used = app.client.get(request, headers=cookie_header(first_session))
    # The person signs in again; the NameID is transient, so the captured request is
    # replayed with the cookies of the new session re-labelled with the old NameID's record.
    second_session = signed_in(app, person)
    replay_cookies = {**second_session}
    if "saml.saml.session" in first_session:
        replay_cookies["saml.saml.session"] = first_session["saml.saml.session"]

    app.client.cookies.clear()
    replayed = app.client.get(request, headers=cookie_header(replay_cookies))

    assert used.status_code == 302
    assert replayed.status_code == 401
    assert replayed.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "already used")
    assert works(app, second_session)


def test_an_idp_logout_request_for_another_user_is_refused(
    app: SsoApp, idp: SamlIdp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    someone, victim = people(), people()
    signed_in(app, someone)
    victims = signed_in(app, victim)
    request = idp_logout_request(idp, someone)  # names someone, delivered to the victim

    app.client.cookies.clear()
    refused = app.client.get(request, headers=cookie_header(victims))

    assert refused.status_code == 401
    assert refusal_logged(caplog, "another user")
    assert works(app, victims)


def test_a_stale_idp_logout_request_is_refused(
    app: SsoApp,
    idp: SamlIdp,
    people: People,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = people()
    cookies = signed_in(app, person)
    request = idp_logout_request(idp, person)
    issued = message_of(request, "SAMLRequest").get("IssueInstant")
    provider = app.app.services.providers.get("saml")
    assert isinstance(provider, SamlProvider)
    # Delivered seven minutes after it was issued (the session JWT is still valid then).
    monkeypatch.setattr(
        provider,
        "context",
        dataclasses.replace(provider.context, clock=Later(timedelta(minutes=7))),
    )

    app.client.cookies.clear()
    refused = app.client.get(request, headers=cookie_header(cookies))

    assert issued is not None
    assert refused.status_code == 401
    assert refusal_logged(caplog, "too old")
    monkeypatch.undo()
    assert works(app, cookies)


def test_a_response_without_the_identifier_attribute_is_refused(
    app: SsoApp, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    # The subject's NameID is the email, lasting; still, without the attribute named by
    # IDENTIFIER_KEY nobody is signed in (Directus reads attributes only).
    person = people(identifier=None)
    posted = person.start("nameid", redirect="/app")
    name_id = assertion_of(posted.xml)[1].find("saml:Subject/saml:NameID", NS)

    response = person.post(posted)

    assert name_id is not None
    assert name_id.text == f"{person.login}@example.com"
    assert name_id.get("Format") == EMAIL_NAMEID

    assert response.status_code == 302
    assert response.headers["location"] == "/app?reason=INVALID_CREDENTIALS"
    assert refusal_logged(caplog, "no usable identifier")
    assert app.user_by_identifier(f"{person.login}@example.com") is None
    assert (
        app.db.read_sync(
            lambda conn: conn.execute(
                select(users.c.id).where(users.c.email == f"{person.login}@example.com")
            ).first()
        )
        is None
    )
