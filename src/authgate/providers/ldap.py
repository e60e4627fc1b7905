"""The ``ldap`` driver: ``POST /auth/login/<name>`` checks the credentials against a directory
(spec §6.7.4, §7.4, §11.4).

The service account (``BIND_DN``/``BIND_PASSWORD``) searches ``USER_DN`` for
``(<USER_ATTRIBUTE>=<identifier>)`` (scope ``USER_SCOPE``); the password is checked by binding
as the entry's DN; with ``GROUP_DN`` the ``cn`` of the groups whose ``GROUP_ATTRIBUTE`` holds
the user (``memberUid``: the user's ``uid``) picks the role by name. The user is then found by
``external_identifier`` = DN, or created (LDAP always provisions), and synced with
``SYNC_USER_INFO``.

Unlike Directus, the password is checked *before* the user is created or updated: knowing a
directory user's name is not enough to make authgate create or change an account. An unknown
identifier and a wrong password give the same ``401 INVALID_CREDENTIALS`` after the same binds.

The directory is reached through blocking ``ldap3`` calls (``ldap_directory``) in the driver's
own thread pool, at most ``POOL_SIZE`` at a time; each call is bounded (``CLIENT__TIMEOUT``,
``CLIENT__CONNECT_TIMEOUT``) and the whole exchange by a deadline. Errors: the service
account's credentials refused → ``503 INVALID_PROVIDER_CONFIG``; directory down, slow or
answering nonsense → ``503 SERVICE_UNAVAILABLE`` (service ``ldap``); the details go to the log.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from authgate.config.env import parse_duration
from authgate.config.settings import ProviderSettings
from authgate.errors import AuthError, Code, service_unavailable
from authgate.providers.accounts import AccountPolicy, Identity
from authgate.providers.base import CredentialsProvider, ProviderContext
from authgate.providers.ldap_directory import (
    Account,
    Directory,
    DirectoryConfig,
    DirectoryError,
    Scope,
    TlsConfig,
    socket_url,
)
from authgate.providers.options import Options
from authgate.users.model import User

log = logging.getLogger("authgate.providers")

T = TypeVar("T")

POOL_SIZE = 4  # concurrent directory exchanges per provider (and pooled service connections)
_ATTRIBUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*$")
_SCOPE_NAMES = ("base", "one", "sub")
_UNAVAILABLE = "Service returned unexpected error: the directory is unavailable"


class LdapProvider(CredentialsProvider):
    def __init__(self, settings: ProviderSettings, context: ProviderContext) -> None:
        super().__init__(settings, context)
        options = Options(settings)
        self.config = directory_config(options)
        self.policy = AccountPolicy(
            allow_public_registration=True,  # LDAP always provisions (spec §7.2)
            default_role=options.string("DEFAULT_ROLE_ID"),
            sync_user_info=options.boolean("SYNC_USER_INFO"),
            store_auth_data=False,
        )
        self.directory = Directory(self.config)
        self._threads = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix=f"ldap-{self.name}")
        self._slots = asyncio.Semaphore(POOL_SIZE)
        # A login is at most two connections and five requests; past this the caller gets
        # an answer even if a thread is still waiting on its socket timeout.
        self.deadline = 2 * self.config.connect_timeout + 5 * self.config.timeout

    async def _call(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.deadline), self._slots:
                return await loop.run_in_executor(self._threads, work)
        except TimeoutError:
            log.warning("%s (ldap): no answer within %.1fs", self.name, self.deadline)
            raise service_unavailable("ldap", _UNAVAILABLE) from None
        except DirectoryError as error:
            log.warning("%s (ldap): %s", self.name, error.reason)
            if error.kind == "config":
                raise AuthError(Code.INVALID_PROVIDER_CONFIG) from None
            raise service_unavailable("ldap", _UNAVAILABLE) from None
        except Exception:
            # Whatever the client library throws is the directory failing, not a 500.
            log.exception("%s (ldap): unexpected failure", self.name)
            raise service_unavailable("ldap", _UNAVAILABLE) from None

    async def authenticate(self, identifier: str, password: str) -> str:
        account = await self._call(lambda: self.directory.authenticate(identifier, password))
        if account is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        if account.disabled:
            log.info("%s (ldap): the account is disabled in the directory", self.name)
            raise AuthError(Code.INVALID_CREDENTIALS)
        return await self.context.accounts.sign_in(
            identity_of(account), self.policy, provider=self.name
        )

    async def refresh(self, user: User) -> None:
        """The account must still exist and not be disabled (Directus re-reads it too)."""
        dn = user.external_identifier
        if not dn:
            raise AuthError(Code.INVALID_CREDENTIALS)
        account = await self._call(lambda: self.directory.read(dn))
        if account is None or account.disabled:
            log.info("%s (ldap): refresh refused, the account is gone or disabled", self.name)
            raise AuthError(Code.INVALID_CREDENTIALS)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._threads, self.directory.close)
        self._threads.shutdown(wait=False, cancel_futures=True)


def identity_of(account: Account) -> Identity:
    return Identity(
        identifier=account.dn,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        role_names=account.groups,
    )


# ------------------------------------------------------------------------------ options


def _client_options(options: Options) -> dict[str, tuple[str, Any]]:
    """``CLIENT__*`` keys by a normalised nested path (``CLIENT__TLS_OPTIONS__CA`` and
    ``CLIENT__tlsOptions__ca`` are both ``CLIENT/TLSOPTIONS/CA``) -> (key, value)."""
    found: dict[str, tuple[str, Any]] = {}
    for key, value in options.values.items():
        if not key.upper().startswith("CLIENT__"):
            continue
        path = "/".join(part.replace("_", "").upper() for part in key.split("__"))
        found[path] = (key, value)
    return found


def _attribute(options: Options, key: str, default: str) -> str:
    value = options.string(key, default) or default
    if not _ATTRIBUTE.match(value):
        raise options.error(key, f'"{value}" is not an attribute name')
    return value


def _scope(options: Options, key: str) -> Scope:
    value = (options.string(key, "one") or "one").lower()
    if value not in _SCOPE_NAMES:
        raise options.error(key, f'"{value}" is not one of base, one, sub')
    return cast(Scope, value)


def _seconds(
    options: Options, client: dict[str, tuple[str, Any]], path: str, default: float
) -> float:
    if path not in client:
        return default
    key, value = client[path]
    parsed = parse_duration(str(value), bare_unit="ms")
    if parsed is None or parsed.total_seconds() <= 0:
        raise options.error(key, f'"{value}" is not a positive duration (milliseconds)')
    return parsed.total_seconds()


def _tls_config(options: Options, client: dict[str, tuple[str, Any]]) -> TlsConfig:
    def value(name: str) -> tuple[str, Any] | None:
        return client.get(f"CLIENT/TLSOPTIONS/{name}")

    ca_pem = None
    if found := value("CA"):
        key, raw = found
        text = "\n".join(raw) if isinstance(raw, list) else str(raw)
        if "-----BEGIN" not in text:
            # Not PEM text: a path to a PEM file (AUTH_<NAME>_CLIENT__TLS_OPTIONS__CA_FILE
            # reads the file itself).
            try:
                text = Path(text).read_text("ascii")
            except (OSError, UnicodeDecodeError):
                raise options.error(key, "is neither PEM text nor a readable PEM file") from None
        ca_pem = text
    verify = True
    if found := value("REJECTUNAUTHORIZED"):
        key, raw = found
        if not isinstance(raw, bool) and str(raw).lower() not in ("true", "false"):
            raise options.error(key, f'"{raw}" is not a boolean (use true or false)')
        verify = raw if isinstance(raw, bool) else str(raw).lower() == "true"
    server_name = None
    if found := value("SERVERNAME"):
        server_name = str(found[1]) or None
    return TlsConfig(ca_pem=ca_pem, verify=verify, server_name=server_name)


def directory_config(options: Options) -> DirectoryConfig:
    """The directory settings of ``AUTH_<NAME>_*``.

    Raises:
        ConfigError: a required key is missing or a value is unusable (naming the key).
    """
    client = _client_options(options)
    socket_path = client.get("CLIENT/SOCKETPATH")
    url = options.string("CLIENT_URL")
    if url is None and socket_path is not None:
        url = socket_url(str(socket_path[1]))
    if url is None:
        raise options.error("CLIENT_URL", "is required (or CLIENT__SOCKET_PATH)")
    if not url.lower().startswith(("ldap://", "ldaps://", "ldapi://")):
        raise options.error("CLIENT_URL", f'"{url}" is not an ldap://, ldaps:// or ldapi:// URL')
    for key in ("BIND_DN", "BIND_PASSWORD"):
        if key not in options.values:
            raise options.error(key, "is required (it may be empty for an anonymous bind)")
    group_dn = options.string("GROUP_DN")
    return DirectoryConfig(
        url=url,
        bind_dn=options.string("BIND_DN") or "",
        bind_password=options.string("BIND_PASSWORD") or "",
        user_dn=options.required("USER_DN"),
        user_attribute=_attribute(options, "USER_ATTRIBUTE", "cn"),
        user_scope=_scope(options, "USER_SCOPE"),
        mail_attribute=_attribute(options, "MAIL_ATTRIBUTE", "mail"),
        first_name_attribute=_attribute(options, "FIRST_NAME_ATTRIBUTE", "givenName"),
        last_name_attribute=_attribute(options, "LAST_NAME_ATTRIBUTE", "sn"),
        group_dn=group_dn,
        group_attribute=_attribute(options, "GROUP_ATTRIBUTE", "member"),
        group_scope=_scope(options, "GROUP_SCOPE"),
        tls=_tls_config(options, client),
        connect_timeout=_seconds(options, client, "CLIENT/CONNECTTIMEOUT", 5.0),
        timeout=_seconds(options, client, "CLIENT/TIMEOUT", 10.0),
        pool_size=POOL_SIZE,
    )


def build(provider: ProviderSettings, context: ProviderContext) -> LdapProvider:
    return LdapProvider(provider, context)
