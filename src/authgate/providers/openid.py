"""The ``openid`` driver: OpenID Connect with discovery (spec §7.2, §11.3).

At start the discovery document of ``ISSUER_URL`` is fetched; when that fails the start stops
with a ``ConfigError`` naming ``AUTH_<NAME>_ISSUER_URL``, unless
``ISSUER_DISCOVERY_MUST_SUCCEED=false``: then the provider retries in the background (and at
each login) and, until it succeeds, a login is sent to ``/admin/login?reason=
SERVICE_UNAVAILABLE`` as in Directus.

The identity is the verified ID token's claims merged with the userinfo endpoint's answer
(when advertised; its ``sub`` must be the token's): ``IDENTIFIER_KEY`` (``sub``, falling back
to the email), ``email``, ``given_name``, ``family_name``, ``email_verified`` and the group
claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from authgate import crypto
from authgate.config.settings import ProviderSettings
from authgate.errors import AuthError, Code
from authgate.providers import redirects
from authgate.providers.accounts import Identity, groups_of, text_claim
from authgate.providers.base import Cookie, Outcome, ProviderContext, Redirect
from authgate.providers.discovery import Metadata, discovery_url, parse_metadata
from authgate.providers.id_token import LEEWAY_SECONDS, KeySet, verify_id_token
from authgate.providers.logout_token import MAX_AGE, LogoutTokenRefused, verify_logout_token
from authgate.providers.mfa import DEFAULT_ACR, asserts_mfa
from authgate.providers.oauth_flow import OAuthFlow
from authgate.providers.state import FlowState
from authgate.providers.upstream import fetch_json_sync

log = logging.getLogger("authgate.providers")

RETRY_FIRST = 1.0  # seconds before the first background retry of discovery
RETRY_MAX = 60.0


class OpenIDProvider(OAuthFlow):
    default_scope = "openid profile email"

    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        super().__init__(settings, context)
        options = self.options
        self.issuer_url = options.required("ISSUER_URL")
        self.identifier_key = options.string("IDENTIFIER_KEY", "sub")
        # authgate's own: trust the ID token's amr/acr as a second factor (providers/mfa.py)
        self.trust_mfa = options.boolean("TRUST_MFA", False)
        self.mfa_acr = options.words("TRUST_MFA_ACR", ",".join(DEFAULT_ACR))
        self.must_discover = options.boolean("ISSUER_DISCOVERY_MUST_SUCCEED", True)
        self.metadata: Metadata | None = None
        self.keys: KeySet | None = None
        self._lock = asyncio.Lock()
        self._retry: asyncio.Task[None] | None = None
        found = fetch_json_sync(discovery_url(self.issuer_url), timeout=self.upstream.timeout)
        problem = found if isinstance(found, str) else self._adopt(found)
        if problem is not None:
            if self.must_discover or not isinstance(found, str):
                # A document that answers but is unusable will not heal by itself.
                raise options.error("ISSUER_URL", f"OpenID discovery failed: {problem}")
            log.warning(
                "%s: OpenID discovery failed (%s); retrying in the background", self.name, problem
            )

    def _adopt(self, document: Mapping[str, Any]) -> str | None:
        metadata = parse_metadata(document)
        if isinstance(metadata, str):
            return metadata
        self.metadata = metadata
        self.keys = KeySet(self.upstream, metadata.jwks_uri, self.context.clock)
        return None

    # ----------------------------------------------------------------------- discovery

    async def discover(self) -> Metadata:
        """The metadata, fetched now if the start-up discovery failed.

        Raises:
            AuthError: ``SERVICE_UNAVAILABLE`` while the provider cannot be discovered.
        """
        known = self.metadata
        if known is not None:
            return known
        async with self._lock:
            if self.metadata is None:
                document = await self.upstream.get_json(discovery_url(self.issuer_url))
                problem = self._adopt(document)
                if problem is not None:
                    raise self.upstream.unavailable(problem)
                log.info("%s: OpenID discovery succeeded", self.name)
            return self._known()

    def _known(self) -> Metadata:
        assert self.metadata is not None
        return self.metadata

    async def start(self) -> None:
        if self.metadata is None and self._retry is None:
            self._retry = asyncio.create_task(self._retry_discovery())

    async def _retry_discovery(self) -> None:
        delay = RETRY_FIRST
        while self.metadata is None:
            await asyncio.sleep(delay)
            with contextlib.suppress(AuthError):
                await self.discover()
            delay = min(delay * 2, RETRY_MAX)

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None

    # -------------------------------------------------------------------- the OAuth flow

    async def authorization_endpoint(self) -> str:
        return (await self.discover()).authorization_endpoint

    async def token_endpoint(self) -> str:
        return (await self.discover()).token_endpoint

    def authorization_params(self, challenge: str) -> dict[str, str]:
        return {"nonce": challenge}

    def start_failed(self, error: AuthError) -> Outcome:
        return Redirect(redirects.admin_login(self.context.settings, "SERVICE_UNAVAILABLE"))

    def bad_state(self, clear: tuple[Cookie, ...]) -> Outcome:
        location = redirects.admin_login(self.context.settings, "INVALID_CREDENTIALS")
        return Redirect(location, clear_cookies=clear)

    async def end_session_endpoint(self) -> str | None:
        return (await self.discover()).end_session_endpoint

    async def backchannel_logout(self, logout_token: str | None) -> int:
        """Ends the sessions a valid logout token names; returns how many.

        Raises:
            LogoutTokenRefused: the token is not valid, or its ``jti`` was used already.
            AuthError: ``SERVICE_UNAVAILABLE`` (discovery, JWKS, the shared store).
        """
        metadata = await self.discover()
        assert self.keys is not None
        now = self.context.clock.now()
        claims = await verify_logout_token(
            logout_token,
            provider=self.name,
            keys=self.keys,
            issuer=metadata.issuer,
            client_id=self.client_id,
            client_secret=self.client_secret,
            algorithms=metadata.id_token_algorithms,
            now=now,
        )
        digest = hashlib.sha256(claims.jti.encode()).hexdigest()[:32]
        ttl = timedelta(seconds=MAX_AGE + 3 * LEEWAY_SECONDS)
        if not await self.context.store.claim(f"sso-logout:{self.name}:{digest}", ttl=ttl, now=now):
            log.warning("%s: logout token refused: its jti was used already", self.name)
            raise LogoutTokenRefused("replayed")
        return await self.context.accounts.identities.end_sessions(
            provider=self.name, sid=claims.sid, subject=claims.sub
        )

    def check_callback(self, query: Mapping[str, str]) -> None:
        """RFC 9207: an ``iss`` in the authorization response must be our issuer."""
        issuer = query.get("iss")
        if issuer is not None and (
            self.metadata is None or not crypto.equal(issuer, self.metadata.issuer)
        ):
            log.warning("%s: the callback's iss is not the provider's issuer", self.name)
            raise AuthError(Code.INVALID_CREDENTIALS)

    async def identify(self, tokens: Mapping[str, Any], state: FlowState, nonce: str) -> Identity:
        metadata = await self.discover()
        assert self.keys is not None
        claims = await verify_id_token(
            tokens.get("id_token"),
            provider=self.name,
            keys=self.keys,
            issuer=metadata.issuer,
            client_id=self.client_id,
            client_secret=self.client_secret,
            nonce=nonce,
            algorithms=metadata.id_token_algorithms,
            now=self.context.clock.now(),
        )
        if metadata.userinfo_endpoint is not None:
            info = await self.upstream.get_json(
                metadata.userinfo_endpoint, bearer=str(tokens["access_token"])
            )
            if info.get("sub") != claims["sub"]:
                log.warning("%s: userinfo is about another subject than the ID token", self.name)
                raise AuthError(Code.INVALID_CREDENTIALS)
            claims = {**claims, **info}
        email = text_claim(claims, "email")
        id_token = tokens.get("id_token")
        return Identity(
            subject=str(claims["sub"]),
            session_id=text_claim(claims, "sid"),
            id_token=id_token if isinstance(id_token, str) else None,
            identifier=text_claim(claims, self.identifier_key) or email,
            email=email,
            first_name=text_claim(claims, "given_name"),
            last_name=text_claim(claims, "family_name"),
            groups=groups_of(claims.get(self.group_claim)),
            # Some providers send the boolean as text.
            email_verified=claims.get("email_verified") in (True, "true"),
            refresh_token=self.refresh_token_of(tokens),
            mfa=self.trust_mfa and asserts_mfa(claims, self.mfa_acr),
        )


def build(settings: ProviderSettings, context: ProviderContext) -> OpenIDProvider:
    return OpenIDProvider(settings, context)
