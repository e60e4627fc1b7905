"""The driver interface: what every SSO provider implements, and what it is given.

Two kinds of flow exist (Directus ``spec`` §7):

* **redirect flows** (``oauth2``, ``openid``, ``saml``) subclass ``RedirectProvider``: the HTTP
  edge turns every request under ``/auth/login/<name>[/<action>]`` into an ``SsoRequest`` and
  calls ``handle``; the driver answers with an ``Outcome``: a ``Redirect`` (start of the flow,
  an error reported as ``?reason=``), a ``SignIn`` (the upstream vouched for a user: the edge
  finishes the login and sets the session or refresh cookie), or a ``Document`` (SAML
  metadata).
* **credential flows** (``ldap``) subclass ``CredentialsProvider``: ``POST /auth/login/<name>``
  calls ``authenticate(identifier, password)``, which returns the user id; the edge then
  issues tokens exactly as for a local login.

Drivers never create users themselves: they build an ``accounts.Identity`` and call
``context.accounts.sign_in(identity, policy, provider=name)``, which finds, creates or updates the
user and returns its id. Two-factor, the ``active`` status and the provider check happen
afterwards in ``SessionService.login_verified``, for every driver alike.

A driver module exposes ``build(provider: ProviderSettings, context: ProviderContext) ->
Provider``; ``registry.py`` calls it once at start. ``build`` raises ``ConfigError`` (naming the
variable, see ``options.Options``) for anything misconfigured. Everything a driver does over the
network is bounded by a timeout and, when it fails, raises ``AuthError`` with the spec's code
(``SERVICE_UNAVAILABLE``, ``INVALID_CREDENTIALS``, ...), never anything else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from authgate.clock import Clock
from authgate.config.settings import ProviderSettings, Settings
from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.ratelimit.store import CounterStore
from authgate.requester import Client
from authgate.signing.ring import KeyRing
from authgate.users.model import User

if TYPE_CHECKING:
    import httpx2

    from authgate.providers.accounts import Accounts

REDIRECT_DRIVERS = frozenset({"oauth2", "openid", "saml"})


@dataclass(frozen=True)
class ProviderContext:
    """What the composition root gives every driver."""

    settings: Settings  # PUBLIC_URL, AUTH_ALLOWED_PUBLIC_URLS, cookies, ...
    clock: Clock
    keys: Keys  # encryption at rest (upstream refresh tokens, the state cookie)
    accounts: Accounts
    http: httpx2.AsyncClient  # outbound calls; every call passes its own timeout
    store: CounterStore  # shared across instances: single-use state, replay detection
    signing: KeyRing  # verifies the session cookie's JWT


# ------------------------------------------------------------------------ requests / outcomes


@dataclass(frozen=True)
class SsoRequest:
    """A request to ``/auth/login/<provider>[/<action>]``, as plain data."""

    provider: str
    action: str  # "" for the start of the flow; "callback", "acs", "metadata", "logout"
    method: str  # "GET" or "POST"
    query: Mapping[str, str]
    form: Mapping[str, str]  # an ``application/x-www-form-urlencoded`` body, else empty
    cookies: Mapping[str, str]
    origin: str  # "<scheme>://<host>" as the browser addressed this server
    client: Client


@dataclass(frozen=True)
class Cookie:
    """A cookie for the browser: ``Path=/; HttpOnly; SameSite=Lax``, no ``Max-Age`` (it lives
    as long as the browser session) unless ``max_age`` is given. ``same_site``: ``"none"``
    (with ``secure``) for a cookie that must come back on the IdP's cross-site POST, ``None``
    to leave it to the browser's default."""

    name: str
    value: str
    secure: bool = False
    max_age: timedelta | None = None
    domain: str | None = None
    same_site: str | None = "lax"


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 302
    set_cookies: tuple[Cookie, ...] = ()
    clear_cookies: tuple[Cookie, ...] = ()  # the value is ignored


@dataclass(frozen=True)
class SignIn:
    """The upstream vouched for ``user_id``. The edge runs ``login_verified`` (active user of
    this provider, two-factor with ``otp``), then sets the session cookie (``MODE=session``) or
    the refresh cookie and redirects to ``redirect``; on an error it redirects to
    ``redirect?reason=<CODE>``. ``redirect=None`` answers the tokens as JSON instead (SAML
    without ``RelayState``)."""

    user_id: str
    redirect: str | None
    otp: str | None = None
    clear_cookies: tuple[Cookie, ...] = ()
    set_cookies: tuple[Cookie, ...] = ()  # set with the session cookie, only on success
    mfa: bool = False  # a trusted multi-factor sign-in upstream (providers/mfa.py)
    linked: bool = False  # a linked identity (not the user's own provider) vouched
    sso: SsoFacts | None = None  # kept with the session (OpenID)


@dataclass(frozen=True)
class SsoFacts:
    """What an OpenID provider said about the session it opened: its ``sub`` and ``sid``
    (back-channel logout) and the ID token (the hint of RP-initiated logout)."""

    subject: str
    sid: str | None
    id_token: str | None


@dataclass(frozen=True)
class LinkIdentity:
    """The upstream vouched for ``subject`` in a flow started by ``GET /auth/link/<name>``:
    the edge links it to ``user`` if the request still holds ``session`` (the session that
    started the flow, or its successor), then redirects to ``redirect`` (``?reason=<CODE>``
    on a refusal)."""

    user: str
    session: str
    subject: str
    identifier: str | None
    redirect: str
    clear_cookies: tuple[Cookie, ...] = ()


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    status: int = 200
    clear_cookies: tuple[Cookie, ...] = field(default=())


@dataclass(frozen=True)
class SignOut:
    """End the session the request's cookies carry (the session cookie's session, or the
    refresh cookie's), clear ``clear_cookies`` and redirect to ``location`` (SAML logout)."""

    location: str
    clear_cookies: tuple[Cookie, ...] = ()


Outcome = Redirect | SignIn | Document | SignOut | LinkIdentity


# ------------------------------------------------------------------------------ the drivers


class Provider:
    """One configured provider. Subclass ``RedirectProvider`` or ``CredentialsProvider``."""

    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        self.settings = settings
        self.context = context
        self.name = settings.name
        self.driver = settings.driver

    @property
    def session_mode(self) -> Literal["session", "cookie"]:
        """``MODE``: ``session`` (default) puts the access JWT in the session cookie; anything
        else puts a refresh token in the refresh cookie."""
        return "session" if (self.settings.mode or "session") == "session" else "cookie"

    async def start(self) -> None:
        """Background work after the server started (e.g. retrying OpenID discovery)."""

    async def close(self) -> None:
        """Stop background work; called once at shutdown."""

    async def refresh(self, user: User) -> None:
        """Called before a session of one of this provider's users is refreshed (Directus
        calls the upstream with the stored refresh token, LDAP re-reads the account).

        Raises:
            AuthError: to refuse the refresh (``INVALID_TOKEN``, ``INVALID_CREDENTIALS``,
                ``SERVICE_UNAVAILABLE``).
        """


class RedirectProvider(Provider, ABC):
    #: (method, action) pairs this driver answers; others are ``ROUTE_NOT_FOUND``.
    actions: frozenset[tuple[str, str]] = frozenset(
        {("GET", ""), ("GET", "callback"), ("POST", "callback")}
    )

    @abstractmethod
    async def handle(self, request: SsoRequest) -> Outcome:
        """Answer one request of the flow.

        Raises:
            AuthError: rendered as JSON by the edge (for example ``400 INVALID_PAYLOAD`` for a
                disallowed ``redirect``); errors that Directus reports on the redirect target
                are returned as a ``Redirect`` instead.
        """


class CredentialsProvider(Provider, ABC):
    @abstractmethod
    async def authenticate(self, identifier: str, password: str) -> str:
        """The id of the user these credentials belong to (created or synced as configured).

        Raises:
            AuthError: ``INVALID_CREDENTIALS`` for wrong credentials or an unknown account,
                ``INVALID_PROVIDER_CONFIG``/``SERVICE_UNAVAILABLE`` when the directory fails.
        """


def provider_config_error() -> AuthError:
    """``503 INVALID_PROVIDER_CONFIG``: the provider cannot serve requests as configured."""
    return AuthError(Code.INVALID_PROVIDER_CONFIG)
