"""Talking to an LDAP directory (blocking, with ``ldap3``): the service account's searches and
the user's bind. The async driver (``ldap.py``) runs these calls in its own thread pool.

* The service account's connections are pooled (at most ``pool_size``, one per thread that
  uses it at a time, since an ``ldap3`` connection is not shared between threads). A pooled
  connection that turns out dead (the server restarted, a firewall dropped it) is thrown away
  and the operation retried once on a new connection: a dropped connection is not fatal.
* The user's password is checked by a bind as the user's DN on a connection of its own, never
  on a pooled one (it would leave the pooled connection bound as that user).
* Every socket operation is bounded (``connect_timeout``, then ``timeout`` for every answer,
  the TLS handshake included).
* Failures are ``DirectoryError`` with a ``kind``: ``"config"`` when the directory refuses the
  service account's credentials, ``"unavailable"`` for anything else (down, slow, TLS refused,
  an unexpected answer). The message never holds a password.

Search filters are built with RFC 4515 escaping of the caller's input.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

log = logging.getLogger("authgate.providers")

T = TypeVar("T")
Scope = Literal["base", "one", "sub"]
_SCOPES: Mapping[str, Any] = {
    "base": ldap3.BASE,
    "one": ldap3.LEVEL,
    "sub": ldap3.SUBTREE,
}
_INVALID_CREDENTIALS = 49  # resultCode invalidCredentials (RFC 4511)
# Active Directory's userAccountControl: ACCOUNTDISABLE | LOCKOUT | PASSWORD_EXPIRED.
_AD_DISABLED = 0x800012
_MAX_GROUPS = 1000


class DirectoryError(Exception):
    def __init__(self, kind: Literal["config", "unavailable"], reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class TlsConfig:
    ca_pem: str | None = None  # trusted CAs (PEM); None: the system's
    verify: bool = True  # ``rejectUnauthorized``
    server_name: str | None = None  # the name the certificate must carry, if not the host's


@dataclass(frozen=True)
class DirectoryConfig:
    url: str  # ldap://host:port, ldaps://host:port or ldapi://<socket path, %-encoded>
    bind_dn: str  # "" binds anonymously
    bind_password: str
    user_dn: str
    user_attribute: str = "cn"
    user_scope: Scope = "one"
    mail_attribute: str = "mail"
    first_name_attribute: str = "givenName"
    last_name_attribute: str = "sn"
    group_dn: str | None = None
    group_attribute: str = "member"
    group_scope: Scope = "one"
    tls: TlsConfig | None = None
    connect_timeout: float = 5.0
    timeout: float = 10.0
    pool_size: int = 4

    def __repr__(self) -> str:  # never print the service password
        return f"DirectoryConfig(url={self.url!r}, bind_dn={self.bind_dn!r}, ...)"


@dataclass(frozen=True)
class Account:
    """A user's entry, as the service account reads it."""

    dn: str
    uid: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    groups: tuple[str, ...] | None  # the ``cn`` of the user's groups; None: no GROUP_DN
    disabled: bool  # Active Directory's disabled / locked / expired flags


def socket_url(path: str) -> str:
    """``ldapi://`` for a Unix socket path (``CLIENT__SOCKET_PATH``)."""
    return "ldapi://" + quote(path, safe="")


class Directory:
    def __init__(self, config: DirectoryConfig) -> None:
        self.config = config
        self.server = ldap3.Server(
            config.url,
            get_info=ldap3.NONE,  # no schema or root DSE reads: one round trip less
            connect_timeout=config.connect_timeout,
            tls=_tls(config.tls) if config.url.lower().startswith("ldaps://") else None,
        )
        self._idle: list[ldap3.Connection] = []
        self._lock = threading.Lock()

    # --------------------------------------------------------------------- connections

    def _connection(self, user: str | None, password: str | None) -> ldap3.Connection:
        # ldap3 marks an address that refused a connection as unusable for a few seconds;
        # every new connection should try the server again (it may just have restarted).
        self.server.reset_availability()
        return ldap3.Connection(
            self.server,
            user=user or None,
            password=password if user else None,
            authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
            # Whole seconds: ldap3 also sets SO_RCVTIMEO, from an integer.
            receive_timeout=max(1, math.ceil(self.config.timeout)),
            read_only=True,
            raise_exceptions=False,
            auto_referrals=False,  # never follow a referral to another server
        )

    def _open_service(self) -> ldap3.Connection:
        conn = self._connection(self.config.bind_dn, self.config.bind_password)
        try:
            conn.open()
            if conn.bind():
                return conn
            code = conn.result.get("result") if conn.result else None
        except ldap_errors.LDAPException as exc:
            _close(conn)
            raise DirectoryError(
                "unavailable", f"cannot reach the directory: {_describe(exc)}"
            ) from None
        except BaseException:
            _close(conn)
            raise
        _close(conn)
        if code == _INVALID_CREDENTIALS:
            raise DirectoryError("config", "the directory refused BIND_DN / BIND_PASSWORD")
        raise DirectoryError("unavailable", f"the service bind failed (result {code})")

    def _take(self) -> tuple[ldap3.Connection, bool]:
        """A bound service connection, and whether it was reused (may be stale)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._open_service(), False

    def _give_back(self, conn: ldap3.Connection) -> None:
        with self._lock:
            if len(self._idle) < self.config.pool_size and not conn.closed:
                self._idle.append(conn)
                return
        _close(conn)

    def _as_service(self, operation: str, work: Callable[[ldap3.Connection], T]) -> T:
        """Run ``work(conn)`` on a service connection; one retry on a new connection when a
        reused one turns out dead (the other idle ones are then dropped too: after a server
        restart they are all dead)."""
        for attempt in (1, 2):
            conn, reused = self._take()
            try:
                result = work(conn)
            except BaseException as exc:
                _close(conn)
                if not isinstance(exc, ldap_errors.LDAPException):
                    raise
                if reused and attempt == 1 and _is_transport(exc):
                    log.info("ldap: a pooled connection was dropped (%s); reconnecting", exc)
                    self.close()
                    continue
                raise DirectoryError(
                    "unavailable", f"{operation} failed: {_describe(exc)}"
                ) from None
            self._give_back(conn)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close(conn)

    # ----------------------------------------------------------------------- searches

    def _search(
        self, conn: ldap3.Connection, base: str, scope: Scope, query: str, attributes: list[str]
    ) -> list[dict[str, Any]]:
        ok = conn.search(
            base,
            query,
            search_scope=_SCOPES[scope],
            attributes=attributes,
            size_limit=_MAX_GROUPS,
            time_limit=max(1, int(self.config.timeout)),
        )
        code = conn.result.get("result") if conn.result else None
        if not ok and code not in (0, 32, 4):  # success, noSuchObject, sizeLimitExceeded
            description = conn.result.get("description") if conn.result else "no result"
            raise ldap_errors.LDAPOperationResult(description=f"search: {description} ({code})")
        return [entry for entry in conn.response or [] if entry.get("type") == "searchResEntry"]

    def _find(self, conn: ldap3.Connection, identifier: str) -> Account | None:
        config = self.config
        query = f"({config.user_attribute}={escape_filter_chars(identifier)})"
        attributes = [
            config.mail_attribute,
            config.first_name_attribute,
            config.last_name_attribute,
            "uid",
            "userAccountControl",
        ]
        found = self._search(conn, config.user_dn, config.user_scope, query, attributes)
        if len(found) != 1:
            if len(found) > 1:
                log.warning("ldap: %d entries match one identifier; refusing", len(found))
            return None
        entry = found[0]
        values = _attributes(entry)
        uid = _first(values, "uid")
        return Account(
            dn=str(entry["dn"]),
            uid=uid,
            email=_first(values, config.mail_attribute),
            first_name=_first(values, config.first_name_attribute),
            last_name=_first(values, config.last_name_attribute),
            groups=self._groups(conn, str(entry["dn"]), uid),
            disabled=_is_disabled(_first(values, "userAccountControl")),
        )

    def _groups(self, conn: ldap3.Connection, dn: str, uid: str | None) -> tuple[str, ...] | None:
        config = self.config
        if not config.group_dn:
            return None
        member = uid if config.group_attribute.lower() == "memberuid" else dn
        if not member:
            return ()
        query = f"({config.group_attribute}={escape_filter_chars(member)})"
        found = self._search(conn, config.group_dn, config.group_scope, query, ["cn"])
        names: list[str] = []
        for entry in found:
            names.extend(_all(_attributes(entry), "cn"))
        return tuple(names)

    def _read(self, conn: ldap3.Connection, dn: str) -> Account | None:
        """The entry at ``dn`` (for a session refresh), or None when it is gone."""
        config = self.config
        attributes = [config.mail_attribute, "uid", "userAccountControl"]
        found = self._search(conn, dn, "base", "(objectClass=*)", attributes)
        if not found:
            return None
        values = _attributes(found[0])
        return Account(
            dn=dn,
            uid=_first(values, "uid"),
            email=_first(values, config.mail_attribute),
            first_name=None,
            last_name=None,
            groups=None,
            disabled=_is_disabled(_first(values, "userAccountControl")),
        )

    # ------------------------------------------------------------------------ binding

    def _bind_as(self, dn: str, password: str) -> bool:
        """True when ``password`` is the password of ``dn``."""
        if not password:
            # An empty password would be an "unauthenticated bind", which many servers accept.
            return False
        conn = self._connection(dn, password)
        try:
            conn.open()
            if conn.bind():
                return True
            code = conn.result.get("result") if conn.result else None
        except ldap_errors.LDAPException as exc:
            raise DirectoryError("unavailable", f"the user bind failed: {_describe(exc)}") from None
        finally:
            _close(conn)
        if code == _INVALID_CREDENTIALS:
            return False
        # Refused for another reason (for example a policy): still a failed login.
        log.info("ldap: the user bind was refused (result %s)", code)
        return False

    # ------------------------------------------------------------------------ the API

    def authenticate(self, identifier: str, password: str) -> Account | None:
        """The account ``identifier`` names, when ``password`` is its password; else None.

        An unknown identifier costs the same binds as a wrong password: the password is
        checked against a DN that cannot exist, so neither the answer nor the work done tells
        whether the account exists.

        Raises:
            DirectoryError: the directory cannot be used.
        """
        account = self._as_service("the user search", lambda conn: self._find(conn, identifier))
        if account is None:
            decoy = f"{self.config.user_attribute}={secrets.token_hex(16)}"
            self._bind_as(f"{decoy},{self.config.user_dn}", password)
            return None
        if not self._bind_as(account.dn, password):
            return None
        return account

    def read(self, dn: str) -> Account | None:
        """The account at ``dn`` now (None when it no longer exists).

        Raises:
            DirectoryError: the directory cannot be used.
        """
        return self._as_service("the account lookup", lambda conn: self._read(conn, dn))


# ------------------------------------------------------------------------------ helpers


def _tls(config: TlsConfig | None) -> ldap3.Tls:
    config = config or TlsConfig()
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED if config.verify else ssl.CERT_NONE,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_data=config.ca_pem,
        valid_names=[config.server_name] if config.server_name else None,
    )


def _attributes(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    values = entry.get("attributes")
    return values if isinstance(values, Mapping) else {}


def _all(values: Mapping[str, Any], name: str) -> list[str]:
    # ldap3 answers attribute names as the server spells them: look them up case-insensitively.
    wanted = name.lower()
    for key, value in values.items():
        if key.lower() == wanted:
            items = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
            return [item.decode() if isinstance(item, bytes) else str(item) for item in items]
    return []


def _first(values: Mapping[str, Any], name: str) -> str | None:
    found = [value for value in _all(values, name) if value]
    return found[0] if found else None


def _is_disabled(flags: str | None) -> bool:
    try:
        return flags is not None and int(flags) & _AD_DISABLED != 0
    except ValueError:
        return False


def _is_transport(exc: Exception) -> bool:
    return isinstance(
        exc,
        ldap_errors.LDAPCommunicationError
        | ldap_errors.LDAPSocketOpenError
        | ldap_errors.LDAPSocketReceiveError
        | ldap_errors.LDAPSocketSendError
        | ldap_errors.LDAPSessionTerminatedByServerError
        | ldap_errors.LDAPResponseTimeoutError,
    )


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _close(conn: ldap3.Connection) -> None:
    # Closing a connection that is already broken may fail in many ways; none matters.
    with contextlib.suppress(Exception):
        conn.unbind()
    # ldap3 leaves the socket of a connection that failed to open behind; close it here.
    sock = getattr(conn, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
