"""The ``oauth2`` driver: a plain OAuth 2.0 provider with configured endpoints (spec §7.2).

``AUTHORIZE_URL``, ``ACCESS_URL`` (token) and ``PROFILE_URL`` (a JSON profile read with the
access token) are required; the profile is flattened (``user.email``) and read with
``IDENTIFIER_KEY`` (falling back to the email), ``EMAIL_KEY`` (``email``), ``FIRST_NAME_KEY``,
``LAST_NAME_KEY`` and ``GROUP_CLAIM_NAME`` (``groups``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from authgate.config.settings import ProviderSettings
from authgate.providers.accounts import Identity, flatten, groups_of, text_claim
from authgate.providers.base import ProviderContext
from authgate.providers.oauth_flow import OAuthFlow
from authgate.providers.options import Options
from authgate.providers.state import FlowState


def endpoint(options: Options, key: str) -> str:
    url = options.required(key)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise options.error(key, f'"{url}" is not an absolute http(s) URL')
    return url


class OAuth2Provider(OAuthFlow):
    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        super().__init__(settings, context)
        options = self.options
        self.authorize_url = endpoint(options, "AUTHORIZE_URL")
        self.access_url = endpoint(options, "ACCESS_URL")
        self.profile_url = endpoint(options, "PROFILE_URL")
        self.identifier_key = options.string("IDENTIFIER_KEY")
        self.email_key = options.string("EMAIL_KEY", "email")
        self.first_name_key = options.string("FIRST_NAME_KEY")
        self.last_name_key = options.string("LAST_NAME_KEY")

    async def authorization_endpoint(self) -> str:
        return self.authorize_url

    async def token_endpoint(self) -> str:
        return self.access_url

    async def identify(self, tokens: Mapping[str, Any], state: FlowState, nonce: str) -> Identity:
        profile = await self.upstream.get_json(self.profile_url, bearer=str(tokens["access_token"]))
        claims = flatten(profile)
        email = text_claim(claims, self.email_key)
        kept = text_claim(claims, self.identifier_key)
        return Identity(
            # Only IDENTIFIER_KEY's value is a subject (what a link binds): the email fallback
            # identifies as Directus does, but is no subject to link (README "Linked identities").
            subject=kept,
            identifier=kept or email,
            email=email,
            first_name=text_claim(claims, self.first_name_key),
            last_name=text_claim(claims, self.last_name_key),
            groups=groups_of(claims.get(self.group_claim)),
            refresh_token=self.refresh_token_of(tokens),
        )


def build(settings: ProviderSettings, context: ProviderContext) -> OAuth2Provider:
    return OAuth2Provider(settings, context)
