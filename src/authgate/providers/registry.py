"""The configured providers, built once at start (``build_providers``), looked up by name.

Each driver lives in its own module exposing ``build(provider, context)``; the module is
imported only when a provider uses it, so the LDAP and SAML drivers (and their libraries) cost
nothing when they are not configured. A misconfigured provider stops the start with one
``ConfigError`` naming the variable.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping

from authgate.config.env import ConfigError
from authgate.config.settings import ProviderSettings
from authgate.errors import AuthError, Code
from authgate.providers.base import (
    CredentialsProvider,
    Provider,
    ProviderContext,
    RedirectProvider,
)
from authgate.users.model import User

log = logging.getLogger("authgate.providers")

Build = Callable[[ProviderSettings, ProviderContext], Provider]

DRIVER_MODULES: Mapping[str, str] = {
    "oauth2": "authgate.providers.oauth2",
    "openid": "authgate.providers.openid",
    "ldap": "authgate.providers.ldap",
    "saml": "authgate.providers.saml",
}


class Providers:
    """The SSO providers of this server (extra ``local`` providers have no driver object)."""

    def __init__(self, providers: Iterable[Provider] = (), local: Iterable[str] = ()) -> None:
        self.by_name: dict[str, Provider] = {p.name: p for p in providers}
        self.local = frozenset(local)

    def get(self, name: str) -> Provider | None:
        return self.by_name.get(name)

    def redirect(self, name: str) -> RedirectProvider | None:
        found = self.by_name.get(name)
        return found if isinstance(found, RedirectProvider) else None

    def credentials(self, name: str) -> CredentialsProvider | None:
        found = self.by_name.get(name)
        return found if isinstance(found, CredentialsProvider) else None

    async def refresh_user(self, user: User) -> None:
        """The ``SessionService.provider_refresh`` hook: the user's provider decides.

        Raises:
            AuthError: from the driver; ``INVALID_PROVIDER_CONFIG`` when the user's provider
                is no longer configured (as Directus answers).
        """
        if user.provider in self.local:
            return
        provider = self.by_name.get(user.provider)
        if provider is None:
            log.warning("refresh for a user of provider %r, which is not configured", user.provider)
            raise AuthError(Code.INVALID_PROVIDER_CONFIG)
        await provider.refresh(user)

    async def start(self) -> None:
        for provider in self.by_name.values():
            await provider.start()

    async def close(self) -> None:
        for provider in self.by_name.values():
            await provider.close()


def driver_builder(provider: ProviderSettings) -> Build:
    module_name = DRIVER_MODULES[provider.driver]
    variable = f"AUTH_{provider.name.upper()}_DRIVER"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # The driver's optional library is missing (or the driver is not built in).
        raise ConfigError(
            variable, f"the {provider.driver} driver cannot be loaded ({exc})"
        ) from None
    build: Build | None = getattr(module, "build", None)
    if build is None:
        raise ConfigError(variable, f"the {provider.driver} driver is not available")
    return build


def build_providers(configured: Iterable[ProviderSettings], context: ProviderContext) -> Providers:
    """Every configured provider, built (and, for OpenID, discovered) now.

    Raises:
        ConfigError: a provider is misconfigured (the message names the variable).
    """
    built: list[Provider] = []
    local: list[str] = []
    for provider in configured:
        if provider.driver == "local":
            local.append(provider.name)
            continue
        built.append(driver_builder(provider)(provider, context))
    return Providers(built, local)
