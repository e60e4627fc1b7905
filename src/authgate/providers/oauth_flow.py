"""The redirect flow OAuth2 and OpenID share (spec §7.3): start, form_post bounce, callback.

The drivers differ in where the endpoints come from (configured or discovered) and in how a
code becomes an ``Identity`` (profile URL, or a verified ID token merged with userinfo); the
rest is here, once:

* start: check ``redirect``, make a PKCE verifier, seal the state into the ``<driver>.<name>``
  cookie, send the browser to the authorization endpoint with ``state`` (and ``nonce``) set to
  the code challenge;
* callback: open the state (refused: OAuth2 ``401``, OpenID a redirect to ``/admin/login``),
  use it once (a replayed callback is refused before the provider is asked, and answered as
  the provider's ``invalid_grant`` for the used code would be), check the returned ``state``
  against the challenge, turn the code into an identity, find or create the user; an answer
  without a code (``error=access_denied``, ...) is ``INVALID_CREDENTIALS``; an
  ``invalid_grant`` restarts the flow once with ``prompt=consent``, every other error goes
  back to the redirect target as ``?reason=<CODE>``;
* session refresh: the stored upstream refresh token is used at the token endpoint, and a
  rotated one is kept.
"""

from __future__ import annotations

import logging
import uuid
from abc import abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from authgate import crypto
from authgate.config.env import ConfigError
from authgate.config.settings import ProviderSettings
from authgate.errors import AuthError, Code
from authgate.providers import redirects
from authgate.providers.accounts import AccountPolicy, Identity
from authgate.providers.base import (
    Cookie,
    LinkIdentity,
    Outcome,
    ProviderContext,
    Redirect,
    RedirectProvider,
    SignIn,
    SsoFacts,
    SsoRequest,
)
from authgate.providers.options import Options
from authgate.providers.state import (
    FlowState,
    code_challenge,
    cookie_name,
    new_state,
    open_state,
    replay_key,
    seal_state,
)
from authgate.providers.upstream import Upstream, basic_auth
from authgate.users.model import User

log = logging.getLogger("authgate.providers")

_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def _uuid(options: Options, key: str, value: object) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise options.error(key, f'"{value}" is not a role id (a UUID)') from None


def account_policy(options: Options, *, openid: bool) -> AccountPolicy:
    """The account options OAuth2 and OpenID share (``REQUIRE_VERIFIED_EMAIL``: OpenID)."""
    default_role = options.string("DEFAULT_ROLE_ID")
    mapping = None
    if options.is_set("ROLE_MAPPING"):
        mapping = tuple(
            (str(group), _uuid(options, "ROLE_MAPPING", role))
            for group, role in options.mapping("ROLE_MAPPING").items()
        )
    return AccountPolicy(
        allow_public_registration=options.boolean("ALLOW_PUBLIC_REGISTRATION"),
        default_role=_uuid(options, "DEFAULT_ROLE_ID", default_role) if default_role else None,
        role_mapping=mapping,
        sync_user_info=options.boolean("SYNC_USER_INFO"),
        require_verified_email=openid and options.boolean("REQUIRE_VERIFIED_EMAIL"),
    )


class OAuthFlow(RedirectProvider):
    """The common half of the ``oauth2`` and ``openid`` drivers."""

    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        super().__init__(settings, context)
        options = Options(settings)
        self.options = options
        if context.settings.public_url == "/":
            raise ConfigError(
                "PUBLIC_URL", f"must be an absolute URL for the {self.driver} provider {self.name}"
            )
        self.client_id = options.required("CLIENT_ID")
        self.auth_method = options.string("CLIENT_TOKEN_ENDPOINT_AUTH_METHOD", "")
        if self.auth_method and self.auth_method not in _AUTH_METHODS:
            raise options.error(
                "CLIENT_TOKEN_ENDPOINT_AUTH_METHOD",
                f'"{self.auth_method}" is not supported (use {", ".join(_AUTH_METHODS)})',
            )
        secret = options.string("CLIENT_SECRET")
        if secret is None and self.auth_method != "none":
            raise options.error("CLIENT_SECRET", "is required")
        self.client_secret = secret or ""
        self.scope = " ".join(options.words("SCOPE", self.default_scope))
        self.params = {str(k): str(v) for k, v in options.mapping("PARAMS").items()}
        self.plain_challenge = options.boolean("PLAIN_CODE_CHALLENGE")
        self.cookie_secure = options.boolean("COOKIE_SECURE")
        self.login_timeout: timedelta = options.duration("LOGIN_TIMEOUT", "5m")
        self.allow_list = options.url_list("REDIRECT_ALLOW_LIST")
        self.group_claim = options.string("GROUP_CLAIM_NAME", "groups") or "groups"
        self.policy = account_policy(options, openid=self.driver == "openid")
        timeout = options.duration("CLIENT_HTTP_TIMEOUT", "3500ms").total_seconds()
        self.upstream = Upstream(
            context.http, service=self.driver, provider=self.name, timeout=timeout
        )
        self.cookie = cookie_name(self.driver, self.name)

    default_scope = "email"

    # ---------------------------------------------------------------- driver specifics

    @abstractmethod
    async def authorization_endpoint(self) -> str:
        """Raises ``AuthError`` when it cannot be known now (discovery failed)."""

    @abstractmethod
    async def token_endpoint(self) -> str: ...

    @abstractmethod
    async def identify(self, tokens: Mapping[str, Any], state: FlowState, nonce: str) -> Identity:
        """The identity behind a token response (``tokens`` as the provider sent them)."""

    def authorization_params(self, challenge: str) -> dict[str, str]:
        return {}

    def check_callback(self, query: Mapping[str, str]) -> None:
        """Driver-specific checks of the callback parameters (OpenID: ``iss``)."""

    def bad_state(self, clear: tuple[Cookie, ...]) -> Outcome:
        """A missing or refused state cookie: OAuth2 answers ``401`` (JSON)."""
        raise AuthError(Code.INVALID_CREDENTIALS)

    def start_failed(self, error: AuthError) -> Outcome:
        raise error

    # ------------------------------------------------------------------------ the flow

    async def handle(self, request: SsoRequest) -> Outcome:
        if request.action == "":
            return await self.begin(request)
        if request.method == "POST":
            # form_post: the provider POSTs the answer; carry it over to the GET callback.
            return Redirect("./callback?" + urlencode(dict(request.form)), status=303)
        return await self.callback(request)

    async def end_session_endpoint(self) -> str | None:
        """The provider's RP-initiated logout endpoint (OpenID discovery), if any."""
        return None

    async def begin(
        self, request: SsoRequest, *, link_user: str | None = None, link_session: str | None = None
    ) -> Outcome:
        settings = self.context.settings
        redirect = redirects.login_redirect(
            request.query.get("redirect"),
            public_url=settings.public_url,
            allow_list=self.allow_list,
        )
        state = new_state(
            provider=self.name,
            redirect=redirect,
            callback=redirects.callback_url(settings, request.origin, self.name),
            prompt=bool(request.query.get("prompt")),
            # (Bounded: it travels in the cookie, and no valid code is that long.)
            otp=(request.query.get("otp") or "")[:64] or None,
            now=self.context.clock.now(),
            ttl=self.login_timeout,
            link_user=link_user,
            link_session=link_session,
        )
        challenge = code_challenge(state.verifier, plain=self.plain_challenge)
        try:
            endpoint = await self.authorization_endpoint()
        except AuthError as error:
            return self.start_failed(error)
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "scope": self.scope,
            "redirect_uri": state.callback,
            "access_type": "offline",
            **({"prompt": "consent"} if state.prompt else {}),
            **self.params,
            "code_challenge": challenge,
            "code_challenge_method": "plain" if self.plain_challenge else "S256",
            "state": challenge,
            **self.authorization_params(challenge),
        }
        separator = "&" if "?" in endpoint else "?"
        cookie = Cookie(self.cookie, seal_state(self.context.keys, state), self.cookie_secure)
        return Redirect(endpoint + separator + urlencode(params), set_cookies=(cookie,))

    async def callback(self, request: SsoRequest) -> Outcome:
        clear = (Cookie(self.cookie, "", self.cookie_secure),)
        now = self.context.clock.now()
        try:
            state = open_state(
                self.context.keys, request.cookies.get(self.cookie), provider=self.name, now=now
            )
        except AuthError:
            log.info("%s: callback without a valid state cookie", self.name)
            return self.bad_state(clear)
        try:
            identity = await self._complete(request.query, state)
            if state.link_user is not None and state.link_session is not None:
                if not identity.subject:
                    # (An OAuth2 profile read without IDENTIFIER_KEY: an email address is no
                    # subject a link may bind, many providers let a person change it.)
                    log.info("%s: link refused: the provider names no subject", self.name)
                    raise AuthError(Code.INVALID_PROVIDER)
                return LinkIdentity(
                    user=state.link_user,
                    session=state.link_session,
                    subject=identity.subject,
                    identifier=identity.identifier,
                    redirect=state.redirect,
                    clear_cookies=clear,
                )
            accounts = self.context.accounts
            subject = identity.provider_subject
            linked = await accounts.linked_user(self.name, subject) if subject else None
            user_id = linked or await accounts.sign_in(identity, self.policy, provider=self.name)
        except AuthError as error:
            if error.code == Code.INVALID_TOKEN and not state.prompt and state.link_user is None:
                # (A link is not restarted as a login: it reports the refusal instead.)
                retry = f"./?redirect={quote(state.redirect, safe='/:')}&prompt=true"
                return Redirect(retry, clear_cookies=clear)
            return Redirect(redirects.with_reason(state.redirect, error.code), clear_cookies=clear)
        except Exception:
            # A bug must not become a 500 with a trace in the browser (Directus reports
            # anything that is not its own error as UNKNOWN_EXCEPTION).
            log.exception("%s: unexpected error in the callback", self.name)
            return Redirect(
                redirects.with_reason(state.redirect, "UNKNOWN_EXCEPTION"), clear_cookies=clear
            )
        facts = None
        if identity.id_token is not None and subject:
            facts = SsoFacts(subject=subject, sid=identity.session_id, id_token=identity.id_token)
        return SignIn(
            user_id,
            redirect=state.redirect,
            otp=state.otp,
            clear_cookies=clear,
            linked=linked is not None,
            sso=facts,
            mfa=identity.mfa,
        )

    async def _complete(self, query: Mapping[str, str], state: FlowState) -> Identity:
        context = self.context
        ttl = self.login_timeout + timedelta(minutes=1)
        if not await context.store.claim(replay_key(state), ttl=ttl, now=context.clock.now()):
            # Refused before the provider is asked, and answered as Directus answers the
            # provider's invalid_grant for a used code: restart the flow (prompt=true), or
            # ?reason=INVALID_TOKEN when it already was a restart.
            log.warning("%s: a callback was replayed; refused", self.name)
            raise AuthError(Code.INVALID_TOKEN)
        challenge = code_challenge(state.verifier, plain=self.plain_challenge)
        returned = query.get("state")
        if not returned or not crypto.equal(returned, challenge):
            log.info("%s: the callback's state does not match the cookie", self.name)
            raise AuthError(Code.INVALID_CREDENTIALS)
        self.check_callback(query)
        code = query.get("code")
        if not code:
            # An error answer (access_denied when consent is refused, ...) carries no code:
            # the sign-in was refused, which Directus reports as INVALID_CREDENTIALS.
            if query.get("error"):
                log.info("%s: the provider answered %s", self.name, str(query["error"])[:64])
            raise AuthError(Code.INVALID_CREDENTIALS)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": state.callback,
            "code_verifier": state.verifier,
        }
        tokens = await self.upstream.token(
            await self.token_endpoint(), *self.client_authentication(form)
        )
        return await self.identify(tokens, state, challenge)

    def client_authentication(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The token request's form and headers with the client's credentials."""
        method = self.auth_method or "client_secret_basic"
        if method == "client_secret_basic":
            return form, {"Authorization": basic_auth(self.client_id, self.client_secret)}
        if method == "client_secret_post":
            return {**form, "client_id": self.client_id, "client_secret": self.client_secret}, {}
        return {**form, "client_id": self.client_id}, {}

    async def refresh(self, user: User) -> None:
        """Directus refreshes the upstream grant with every session refresh; a provider that
        refuses it (``INVALID_TOKEN``) or is down (``SERVICE_UNAVAILABLE``) fails the refresh."""
        token = await self.context.accounts.upstream_refresh_token(user.id)
        if token is None:
            return
        form = {"grant_type": "refresh_token", "refresh_token": token}
        answer = await self.upstream.token(
            await self.token_endpoint(), *self.client_authentication(form)
        )
        rotated = answer.get("refresh_token")
        if isinstance(rotated, str) and rotated and not crypto.equal(rotated, token):
            await self.context.accounts.store_refresh_token(user.id, rotated)

    def refresh_token_of(self, tokens: Mapping[str, Any]) -> str | None:
        value = tokens.get("refresh_token")
        return value if isinstance(value, str) and value else None
