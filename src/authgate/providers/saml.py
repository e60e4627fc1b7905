"""The ``saml`` driver: SAML 2.0 Web Browser SSO as a service provider (spec §6.7.5, §7.5).

Routes (all under ``/auth/login/<name>``):

* ``GET /metadata``: this SP's metadata (``SP_metadata`` as configured, else generated).
* ``GET /?redirect=<url>``: an ``AuthnRequest`` to the IdP (HTTP-Redirect binding, signed when
  the SP or the IdP metadata asks for it); the checked ``redirect`` rides as ``RelayState``; the
  request's id is sealed into the browser's ``saml.<name>`` cookie.
* ``POST /acs``: the IdP's ``SAMLResponse`` (checks in ``saml_protocol.read_response``). The
  ``InResponseTo`` must name a request this server made (its id is sealed with ``SECRET``, so
  any instance can recognise it) that is still fresh, for this browser (the ``saml.<name>``
  cookie: a response cannot be posted from another browser, login CSRF), and it is consumed
  in the shared store: a replayed response is refused on every instance. Then the user is
  found by ``LOWER(external_identifier)`` (the ``IDENTIFIER_KEY`` attribute, never the NameID)
  or created (``ALLOW_PUBLIC_REGISTRATION``, identifier stored lower-cased), never updated.
  With ``RelayState``: cookie and redirect (plus the sealed ``saml.<name>.session`` record of
  the NameID), errors as ``?reason=``; without: the tokens as JSON.
* ``POST /logout``: ends the session of the browser's cookie, clears the cookies and, as
  Directus, always sends a ``LogoutRequest`` to the IdP's logout endpoint (``RelayState`` from
  ``SP_relayState``); ``GET /logout``: the IdP's ``LogoutResponse`` (back to the
  ``RelayState``), or an IdP-initiated ``LogoutRequest``: signed, fresh, used once, naming the
  browser's session user (session ended, ``LogoutResponse`` sent back).

Configuration as in Directus (``AUTH_<NAME>_SP_*`` and ``AUTH_<NAME>_IDP_*``, matched without
regard to case or underscores): ``IDP_metadata`` (required), ``SP_metadata`` or ``SP_entityID``,
``SP_privateKey`` (+ ``SP_privateKeyPass``) to sign requests, ``SP_signingCert`` to publish,
``SP_authnRequestsSigned``, ``SP_wantAssertionsSigned``, ``SP_nameIDFormat``, ``SP_relayState``; and
``IDENTIFIER_KEY``, ``EMAIL_KEY``, ``GIVEN_NAME_KEY``, ``FAMILY_NAME_KEY``,
``ALLOW_PUBLIC_REGISTRATION``, ``DEFAULT_ROLE_ID``, ``REDIRECT_ALLOW_LIST``, ``MODE``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import select

from authgate import crypto
from authgate.clock import to_epoch
from authgate.config.env import ConfigError
from authgate.config.settings import ProviderSettings
from authgate.errors import AuthError, Code, service_unavailable
from authgate.providers import redirects
from authgate.providers.accounts import AccountPolicy, Identity
from authgate.providers.base import (
    Document,
    Outcome,
    ProviderContext,
    Redirect,
    RedirectProvider,
    SignIn,
    SignOut,
    SsoRequest,
)
from authgate.providers.options import Options
from authgate.providers.saml_cookies import SamlCookies
from authgate.providers.saml_protocol import (
    LOGOUT_SKEW,
    LOGOUT_WINDOW,
    Assertion,
    Expected,
    Rejected,
    Signer,
    authn_request,
    check_logout_fresh,
    logout_request,
    logout_response,
    read_logout_message,
    read_response,
    redirect_url,
    verify_redirect_signature,
)
from authgate.providers.saml_xml import (
    NAMESPACES,
    NS_SAMLP,
    IdpMetadata,
    SpMetadata,
    certificate,
    is_true,
    parse_idp_metadata,
    parse_sp_metadata,
    sp_metadata_xml,
    tag,
    text_of,
)
from authgate.storage.tables import users

log = logging.getLogger("authgate.providers")

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
DEFAULT_IDENTIFIER_KEY = CLAIMS + "nameidentifier"
REQUEST_LIFETIME = timedelta(minutes=10)  # time to sign in at the IdP
_ID_PREFIX = "_"  # an xs:ID must not start with a digit


def _grouped(options: Options, prefix: str) -> dict[str, tuple[str, Any]]:
    """``<prefix>_*`` keys by their lower-cased name without underscores
    (``SP_entityID``, ``SP_ENTITY_ID`` -> ``entityid``) -> (key, value)."""
    found: dict[str, tuple[str, Any]] = {}
    for key, value in options.values.items():
        head, _, rest = key.partition("_")
        if head.upper() == prefix and rest:
            found[rest.replace("_", "").lower()] = (key, value)
    return found


def _text(value: Any) -> str:
    # Directus's env casting turns text with commas into a list; XML and PEM are text.
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


class SamlProvider(RedirectProvider):
    actions = frozenset(
        {("GET", ""), ("GET", "metadata"), ("POST", "acs"), ("POST", "logout"), ("GET", "logout")}
    )

    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        super().__init__(settings, context)
        options = Options(settings)
        if context.settings.public_url == "/":
            raise ConfigError(
                "PUBLIC_URL", f"must be an absolute URL for the saml provider {self.name}"
            )
        sp_options = _grouped(options, "SP")
        idp_options = _grouped(options, "IDP")
        self.idp = self._idp(options, idp_options)
        self.sp = self._sp(options, sp_options)
        self.signer = self._signer(options, sp_options)
        self.signing_cert = None
        if "signingcert" in sp_options:
            key, value = sp_options["signingcert"]
            try:
                self.signing_cert = certificate(_text(value))
            except ValueError:
                raise ConfigError(options.variable(key), "is not a certificate") from None
        # Directus (samlify) sends the SP's configured relayState with its LogoutRequest.
        relay = sp_options.get("relaystate")
        self.logout_relay_state = _text(relay[1]) if relay else None
        self.cookies = SamlCookies(context.keys, context.settings, self.name)
        self.identifier_key = options.string("IDENTIFIER_KEY", DEFAULT_IDENTIFIER_KEY) or ""
        self.email_key = options.string("EMAIL_KEY", CLAIMS + "emailaddress") or ""
        self.given_name_key = options.string("GIVEN_NAME_KEY", CLAIMS + "givenname") or ""
        self.family_name_key = options.string("FAMILY_NAME_KEY", CLAIMS + "surname") or ""
        self.allow_list = options.url_list("REDIRECT_ALLOW_LIST")
        self.policy = AccountPolicy(
            allow_public_registration=options.boolean("ALLOW_PUBLIC_REGISTRATION"),
            default_role=options.string("DEFAULT_ROLE_ID"),
            update_existing=False,  # Directus never updates a known SAML user
            lower_identifier=True,
            store_auth_data=False,
        )

    # ------------------------------------------------------------------- configuration

    def _idp(self, options: Options, idp_options: dict[str, tuple[str, Any]]) -> IdpMetadata:
        if "metadata" not in idp_options:
            raise options.error("IDP_metadata", "is required (the IdP's metadata XML)")
        key, value = idp_options["metadata"]
        try:
            return parse_idp_metadata(_text(value))
        except ValueError as exc:
            raise ConfigError(options.variable(key), f"is not usable IdP metadata: {exc}") from None

    def _sp(self, options: Options, sp_options: dict[str, tuple[str, Any]]) -> SpMetadata:
        if "metadata" in sp_options:
            key, value = sp_options["metadata"]
            try:
                return parse_sp_metadata(_text(value))
            except ValueError as exc:
                raise ConfigError(
                    options.variable(key), f"is not usable SP metadata: {exc}"
                ) from None

        def flag(name: str) -> bool:
            return name in sp_options and is_true(_text(sp_options[name][1]))

        entity = sp_options.get("entityid")
        base = self.context.settings.public_url.rstrip("/")
        name_id_format = sp_options.get("nameidformat")
        return SpMetadata(
            entity_id=_text(entity[1]) if entity else f"{base}/auth/login/{self.name}/metadata",
            acs_url=None,
            slo_url=None,
            requests_signed=flag("authnrequestssigned"),
            want_assertions_signed=flag("wantassertionssigned"),
            name_id_format=_text(name_id_format[1]) if name_id_format else None,
            document=None,
        )

    def _signer(self, options: Options, sp_options: dict[str, tuple[str, Any]]) -> Signer | None:
        must_sign = self.sp.requests_signed or self.idp.want_requests_signed
        if "privatekey" not in sp_options:
            if must_sign:
                raise options.error("SP_privateKey", "is required to sign authentication requests")
            return None
        key_name, value = sp_options["privatekey"]
        password = sp_options.get("privatekeypass")
        try:
            key = load_pem_private_key(
                _text(value).encode(), password=_text(password[1]).encode() if password else None
            )
        except (ValueError, TypeError):
            raise ConfigError(
                options.variable(key_name), "is not a usable PEM private key"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ConfigError(options.variable(key_name), "must be an RSA or EC key")
        return Signer(key)

    # ----------------------------------------------------------------------- addresses

    def _endpoint(self, request: SsoRequest, action: str) -> str:
        return redirects.callback_url(self.context.settings, request.origin, self.name, action)

    def _acs_urls(self, request: SsoRequest) -> tuple[str, ...]:
        if self.sp.acs_url is not None:
            return (self.sp.acs_url,)
        return (self._endpoint(request, "acs"),)

    def _redirect(self, value: str | None) -> str:
        return redirects.login_redirect(
            value, public_url=self.context.settings.public_url, allow_list=self.allow_list
        )

    # ---------------------------------------------------------------------- request ids

    def _request_context(self) -> str:
        return f"saml-request/{self.name}"

    def new_request_id(self, now: datetime) -> str:
        """An id that proves, to any instance, that this provider issued it and until when."""
        expires = to_epoch(now + REQUEST_LIFETIME)
        sealed = self.context.keys.encrypt(str(expires), context=self._request_context())
        return _ID_PREFIX + sealed.removeprefix("enc1.").rstrip("=")

    def _expiry_of(self, request_id: str) -> int | None:
        body = request_id.removeprefix(_ID_PREFIX)
        if not request_id.startswith(_ID_PREFIX) or not body or len(body) > 200:
            return None
        stored = "enc1." + body + "=" * (-len(body) % 4)
        opened = self.context.keys.decrypt(stored, context=self._request_context())
        return int(opened) if opened is not None and opened.isdigit() else None

    async def _consume(self, request_id: str, now: datetime) -> None:
        """Accept the answer to ``request_id`` once.

        Raises:
            Rejected: not one of our requests, too old, or already answered.
        """
        expires = self._expiry_of(request_id)
        if expires is None:
            raise Rejected("InResponseTo is not a request of this provider")
        left = expires - to_epoch(now)
        if left <= 0:
            raise Rejected("the authentication request is too old")
        digest = hashlib.sha256(request_id.encode()).hexdigest()
        key = f"saml-request:{self.name}:{digest}"
        if not await self._claim(key, timedelta(seconds=left + 1), now):
            raise Rejected("the response was already used (replay)")

    async def _claim(self, key: str, ttl: timedelta, now: datetime) -> bool:
        """True the first time ``key`` is claimed (on any instance) within ``ttl``.

        Raises:
            AuthError: ``SERVICE_UNAVAILABLE`` when the shared store fails.
        """
        try:
            return await self.context.store.claim(key, ttl=ttl, now=now)
        except Exception as exc:
            log.warning("%s (saml): the shared store failed: %s", self.name, type(exc).__name__)
            raise service_unavailable("saml", "the shared store is unavailable") from None

    def _secure(self, request: SsoRequest) -> bool:
        base = redirects.public_base(self.context.settings, request.origin)
        return base.lower().startswith("https://")

    # ------------------------------------------------------------------------ handling

    async def handle(self, request: SsoRequest) -> Outcome:
        if request.action == "metadata":
            return self._metadata(request)
        if request.action == "acs":
            return await self._acs(request)
        if request.action == "logout":
            if request.method == "POST":
                return await self._logout(request)
            return await self._logout_return(request)
        return self._start(request)

    def _metadata(self, request: SsoRequest) -> Document:
        body = sp_metadata_xml(
            self.sp,
            acs_url=self._acs_urls(request)[0],
            slo_url=self.sp.slo_url or self._endpoint(request, "logout"),
            signing_cert=self.signing_cert,
        )
        return Document(body, "text/xml")

    def _start(self, request: SsoRequest) -> Redirect:
        wanted = request.query.get("redirect")
        relay_state = self._redirect(wanted) if wanted else None
        now = self.context.clock.now()
        request_id = self.new_request_id(now)
        message = authn_request(
            request_id=request_id,
            issuer=self.sp.entity_id,
            destination=self.idp.sso_url,
            acs_url=self._acs_urls(request)[0],
            now=now,
            name_id_format=self.sp.name_id_format,
        )
        location = redirect_url(
            self.idp.sso_url,
            "SAMLRequest",
            message,
            relay_state=relay_state,
            signer=self.signer,
        )
        binding = self.cookies.request(request_id, secure=self._secure(request))
        return Redirect(location, set_cookies=(binding,))

    async def _acs(self, request: SsoRequest) -> Outcome:
        relay = request.form.get("RelayState") or None
        relay_state = self._redirect(relay) if relay else None  # 400 when not allowed
        now = self.context.clock.now()
        clear = self.cookies.request_cleared(secure=self._secure(request))
        try:
            assertion = read_response(
                request.form.get("SAMLResponse", ""),
                Expected(
                    idp_entity_id=self.idp.entity_id,
                    sp_entity_id=self.sp.entity_id,
                    acs_urls=self._acs_urls(request),
                    certs=self.idp.signing_certs,
                    want_assertions_signed=self.sp.want_assertions_signed,
                    now=now,
                ),
            )
            self.cookies.check_request(request.cookies, assertion.in_response_to)
            await self._consume(assertion.in_response_to, now)
            user_id = await self.context.accounts.sign_in(
                self.identity(assertion), self.policy, provider=self.name
            )
        except (Rejected, AuthError) as failure:
            error = failure if isinstance(failure, AuthError) else self._refused(failure)
            if relay_state is None:
                raise error from None
            return Redirect(
                redirects.with_reason(relay_state, error.code.value), clear_cookies=(clear,)
            )
        return SignIn(
            user_id=user_id,
            redirect=relay_state,
            otp=None,
            clear_cookies=(clear,),
            set_cookies=(self.cookies.session(user_id, assertion, self.session_mode),),
        )

    def _refused(self, rejected: Rejected) -> AuthError:
        log.warning("%s (saml): response refused: %s", self.name, rejected.reason)
        return AuthError(Code.INVALID_CREDENTIALS)

    def identity(self, assertion: Assertion) -> Identity:
        # Only the attribute named by IDENTIFIER_KEY identifies the user, as in Directus: the
        # subject's NameID is not a fallback (a response without the attribute signs nobody
        # in; point IDENTIFIER_KEY at the attribute that carries the identity).
        return Identity(
            identifier=assertion.first(self.identifier_key),
            email=assertion.first(self.email_key),
            first_name=assertion.first(self.given_name_key),
            last_name=assertion.first(self.family_name_key),
        )

    # -------------------------------------------------------------------------- logout

    async def _signed_in_user(self, request: SsoRequest) -> tuple[str, str | None] | None:
        """(user id, external identifier if the user is this provider's) of the session
        cookie, when it holds a valid session JWT."""
        settings = self.context.settings
        token = request.cookies.get(settings.session_cookie.name)
        if not token:
            return None
        try:
            claims = self.context.signing.keys.verify(token, now=self.context.clock.now())
        except AuthError:
            return None
        user_id = claims.get("id")
        if not isinstance(user_id, str):
            return None
        row = await self.context.accounts.db.read(
            lambda conn: conn.execute(
                select(users.c.provider, users.c.external_identifier).where(users.c.id == user_id)
            ).first()
        )
        if row is None or row.provider != self.name or not row.external_identifier:
            return user_id, None
        return user_id, str(row.external_identifier)

    async def _logout(self, request: SsoRequest) -> SignOut:
        """SP-initiated logout, as Directus does it: end the session, then always on to the
        IdP's SingleLogoutService with a ``LogoutRequest`` (``RelayState``: ``SP_relayState``
        when configured; ``redirect`` is not carried, Directus ignores it)."""
        clear = self.cookies.to_clear()
        if self.idp.slo_url is None:
            # Directus fails here (its IdP has no logout endpoint); authgate ends the session
            # and goes to the checked ``redirect``.
            wanted = request.form.get("redirect") or request.query.get("redirect")
            return SignOut(location=self._redirect(wanted), clear_cookies=clear)
        name_id, name_id_format = await self._logout_subject(request)
        message = logout_request(
            request_id=_ID_PREFIX + secrets.token_hex(20),
            issuer=self.sp.entity_id,
            destination=self.idp.slo_url,
            name_id=name_id,
            name_id_format=name_id_format,
            now=self.context.clock.now(),
        )
        location = redirect_url(
            self.idp.slo_url,
            "SAMLRequest",
            message,
            relay_state=self.logout_relay_state,
            signer=self.signer,
        )
        return SignOut(location=location, clear_cookies=clear)

    async def _logout_subject(self, request: SsoRequest) -> tuple[str, str | None]:
        """The NameID (and its format) the IdP gave this browser's session, else the user's
        identifier, else empty (no SAML session here: the IdP still ends its own)."""
        recorded = self.cookies.signed_in_as(request.cookies)
        user = await self._signed_in_user(request)
        if (
            recorded is not None
            and recorded.name_id
            and (user is None or user[0] == recorded.user_id)
        ):
            return recorded.name_id, recorded.name_id_format
        if user is not None and user[1]:
            return user[1], None
        return "", None

    async def _logout_return(self, request: SsoRequest) -> Outcome:
        relay = request.query.get("RelayState") or None
        target = (
            relay
            if relay
            and redirects.is_redirect_allowed(
                relay, public_url=self.context.settings.public_url, allow_list=self.allow_list
            )
            else "/"
        )
        if "SAMLRequest" in request.query:
            return await self._idp_logout(request, relay)
        if "SAMLResponse" in request.query:
            try:
                message = read_logout_message(request.query["SAMLResponse"])
                code = message.find("samlp:Status/samlp:StatusCode", NAMESPACES)
                if message.tag != tag(NS_SAMLP, "LogoutResponse") or code is None:
                    raise Rejected("not a LogoutResponse")
                log.info("%s (saml): IdP logout answered %s", self.name, code.get("Value"))
            except Rejected as rejected:
                log.warning("%s (saml): logout response refused: %s", self.name, rejected.reason)
        return Redirect(self._redirect(target))

    async def _idp_logout(self, request: SsoRequest, relay: str | None) -> Outcome:
        """An IdP-initiated logout. Ends a session only when the request is signed by our
        IdP, fresh (``IssueInstant`` within ``LOGOUT_WINDOW``), seen for the first time (its
        ID is consumed in the shared store: a replay is refused on every instance) and names
        the user of this browser's session."""
        query = request.query
        now = self.context.clock.now()
        try:
            message = read_logout_message(query["SAMLRequest"])
            if message.tag != tag(NS_SAMLP, "LogoutRequest"):
                raise Rejected("not a LogoutRequest")
            issuer = text_of(message.find("saml:Issuer", NAMESPACES))
            if issuer != self.idp.entity_id:
                raise Rejected("the logout request comes from another issuer")
            if verify_redirect_signature(query, "SAMLRequest", self.idp.signing_certs) is not True:
                raise Rejected("the logout request is not signed by the IdP")
            request_id = str(message.get("ID") or "")
            if not request_id or len(request_id) > 256:
                raise Rejected("the logout request has no usable ID")
            check_logout_fresh(message, now)
            name_id = text_of(message.find("saml:NameID", NAMESPACES))
            if not name_id:
                raise Rejected("the logout request names no subject")
            if not await self._is_session_of(request, name_id):
                raise Rejected("the logout request names another user than this session's")
            digest = hashlib.sha256(request_id.encode()).hexdigest()
            if not await self._claim(
                f"saml-logout:{self.name}:{digest}", LOGOUT_WINDOW + 2 * LOGOUT_SKEW, now
            ):
                raise Rejected("the logout request was already used (replay)")
        except Rejected as rejected:
            log.warning("%s (saml): logout request refused: %s", self.name, rejected.reason)
            raise AuthError(Code.INVALID_CREDENTIALS) from None
        clear = self.cookies.to_clear()
        if self.idp.slo_url is None:
            return SignOut(location="/", clear_cookies=clear)
        answer = logout_response(
            response_id=_ID_PREFIX + secrets.token_hex(20),
            in_response_to=request_id,
            issuer=self.sp.entity_id,
            destination=self.idp.slo_url,
            now=now,
        )
        location = redirect_url(
            self.idp.slo_url, "SAMLResponse", answer, relay_state=relay, signer=self.signer
        )
        return SignOut(location=location, clear_cookies=clear)

    async def _is_session_of(self, request: SsoRequest, name_id: str) -> bool:
        """Whether ``name_id`` is the user of the session this browser holds (a browser
        without any session has nothing to end: the IdP is answered all the same)."""
        recorded = self.cookies.signed_in_as(request.cookies)
        user = await self._signed_in_user(request)
        if recorded is not None and recorded.name_id and crypto.equal(recorded.name_id, name_id):
            return user is None or user[0] == recorded.user_id
        if user is not None:
            return bool(user[1]) and crypto.equal(str(user[1]), name_id.lower())
        settings = self.context.settings
        return recorded is None and not request.cookies.get(settings.refresh_cookie.name)


def build(provider: ProviderSettings, context: ProviderContext) -> SamlProvider:
    return SamlProvider(provider, context)
