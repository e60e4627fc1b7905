"""From an upstream identity to a user of ours: find, create or update (Directus ``getUserID``).

Rules (spec §6.7.3, §7.3 step 6):

* users are matched on ``LOWER(external_identifier)`` only, never on email: an SSO login never
  takes over a local account that has the same address (that email collision is ``403
  INVALID_PROVIDER`` at creation);
* a match that belongs to another provider is refused (``INVALID_CREDENTIALS``) and left
  untouched (Directus would update it first, then refuse the login);
* an unknown identity is created only with ``ALLOW_PUBLIC_REGISTRATION`` (and, for OpenID with
  ``REQUIRE_VERIFIED_EMAIL``, a verified email); the role is ``DEFAULT_ROLE_ID``, overridden by
  the first ``ROLE_MAPPING`` key found in the identity's groups;
* a known user gets the upstream refresh token (``auth_data``), the mapped role when a mapping
  is configured, and names and email with ``SYNC_USER_INFO``.

Unlike Directus, the upstream refresh token is stored encrypted (AES-GCM, bound to the user),
so a copy of the database holds nothing that reaches the identity provider.

``decide`` is the pure core (data in, decision out); ``Accounts`` runs it in one transaction.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.identities.service import Identities
from authgate.storage.db import Database
from authgate.storage.tables import roles, users
from authgate.users import repo as users_repo
from authgate.users.model import Status, User

log = logging.getLogger("authgate.providers")

_NAME_LENGTH = 50  # directus_users.first_name / last_name
_EMAIL_LENGTH = 128
_IDENTIFIER_LENGTH = 255


@dataclass(frozen=True)
class Identity:
    """What the upstream says about the person who just signed in there."""

    identifier: str | None  # becomes ``external_identifier``; required
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    groups: tuple[str, ...] = ()  # matched against ``ROLE_MAPPING`` keys
    # LDAP: the ``cn`` of the user's groups, matched case-insensitively against role *names*;
    # ``None`` when group lookup is not configured.
    role_names: tuple[str, ...] | None = None
    email_verified: bool | None = None
    refresh_token: str | None = None  # the upstream's, kept (encrypted) for session refresh
    # The provider asserted a multi-factor sign-in and is trusted to (``TRUST_MFA``).
    mfa: bool = False
    # The provider's subject (OpenID ``sub``; OAuth2: the ``IDENTIFIER_KEY`` value, never the
    # email fallback): what a linked identity is (a link needs one), and what a back-channel
    # logout token names. A sign-in looks links up by ``identifier`` when it is not set.
    subject: str | None = None
    session_id: str | None = None  # OpenID ``sid`` of the ID token
    id_token: str | None = None  # the raw ID token (the hint of RP-initiated logout)

    @property
    def provider_subject(self) -> str | None:
        return self.subject or self.identifier


@dataclass(frozen=True)
class AccountPolicy:
    """How a provider treats accounts (its ``AUTH_<NAME>_*`` options)."""

    allow_public_registration: bool = False
    default_role: str | None = None
    role_mapping: tuple[tuple[str, str], ...] | None = None  # None: ROLE_MAPPING not configured
    sync_user_info: bool = False
    require_verified_email: bool = False
    update_existing: bool = True  # SAML never updates a known user
    lower_identifier: bool = False  # SAML stores the identifier lower-cased
    store_auth_data: bool = True  # OAuth2/OpenID rewrite auth_data on every login


# --------------------------------------------------------------------------- pure helpers


def groups_of(value: object) -> tuple[str, ...]:
    """A group claim as a tuple: a list of values, or one string (Directus accepts both)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if isinstance(item, str | int | float))
    return ()


def map_role(
    groups: Iterable[str], mapping: Sequence[tuple[str, str]], default: str | None
) -> str | None:
    """The role of the first mapping key (in configuration order) found among ``groups``."""
    present = set(groups)
    for group, role in mapping:
        if group in present:
            return role
    return default


def flatten(profile: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``{"user": {"email": x}}`` -> ``{"user.email": x}``),
    the top-level keys kept as well, so ``EMAIL_KEY=user.email`` works as in Directus."""
    flat: dict[str, Any] = {}
    for key, value in profile.items():
        path = f"{prefix}{key}"
        flat[path] = value
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
    return flat


def text_claim(claims: Mapping[str, Any], key: str | None) -> str | None:
    """A claim as text (numbers too, as identifiers often are); ``None`` when absent."""
    if not key:
        return None
    value = claims.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        text = str(value).strip()
        return text or None
    return None


def _bounded(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


@dataclass(frozen=True)
class Decision:
    """What to do with the user table: refuse, create ``values``, or update ``user_id``."""

    refuse: Code | None = None
    create: bool = False
    user_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def decide(
    existing: User | None,
    identity: Identity,
    policy: AccountPolicy,
    *,
    provider: str,
    role: str | None,
    role_decided: bool,
    auth_data: Any,
    new_id: str,
) -> Decision:
    """The pure core of ``Accounts.sign_in``.

    ``role`` is the resolved role (mapping or LDAP groups, else the default) and
    ``role_decided`` says whether a mapping decided it (then it is written on every login).
    ``auth_data`` is the already sealed value for ``auth_data``.
    """
    if existing is not None:
        if existing.provider != provider:
            return Decision(refuse=Code.INVALID_CREDENTIALS)
        values: dict[str, Any] = {}
        if policy.update_existing:
            if policy.store_auth_data:
                values["auth_data"] = auth_data
            if role_decided:
                values["role"] = role
            if policy.sync_user_info:
                for column, value in (
                    ("first_name", _bounded(identity.first_name, _NAME_LENGTH)),
                    ("last_name", _bounded(identity.last_name, _NAME_LENGTH)),
                    ("email", _email(identity.email)),
                ):
                    if value is not None:
                        values[column] = value
        return Decision(user_id=existing.id, values=values)
    if not policy.allow_public_registration:
        return Decision(refuse=Code.INVALID_CREDENTIALS)
    if policy.require_verified_email and identity.email_verified is not True:
        return Decision(refuse=Code.INVALID_CREDENTIALS)
    identifier = identity.identifier or ""
    values = {
        "id": new_id,
        "provider": provider,
        "first_name": _bounded(identity.first_name, _NAME_LENGTH),
        "last_name": _bounded(identity.last_name, _NAME_LENGTH),
        "email": _email(identity.email),
        "external_identifier": identifier.lower() if policy.lower_identifier else identifier,
        "role": role,
        "status": Status.ACTIVE.value,
    }
    if policy.store_auth_data:
        values["auth_data"] = auth_data
    return Decision(create=True, user_id=new_id, values=values)


def _email(value: str | None) -> str | None:
    if not value or len(value) > _EMAIL_LENGTH or "@" not in value:
        return None
    return value.strip()


# ------------------------------------------------------------------------------ auth_data


def _auth_data_context(user_id: str) -> str:
    return f"auth-data/{user_id}"


def seal_auth_data(keys: Keys, user_id: str, refresh_token: str | None) -> dict[str, str] | None:
    """``{"refreshToken": <sealed>}`` (Directus's shape, the token encrypted), or ``None``."""
    if not refresh_token:
        return None
    return {"refreshToken": keys.encrypt(refresh_token, context=_auth_data_context(user_id))}


def open_auth_data(keys: Keys, user_id: str, stored: Any) -> str | None:
    """The upstream refresh token kept for ``user_id``. A plain token (a user imported from
    Directus) is accepted as it is; it is sealed the next time it is written."""
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            return None
    if not isinstance(stored, Mapping):
        return None
    token = stored.get("refreshToken")
    if not isinstance(token, str) or not token:
        return None
    if token.startswith("enc1."):
        return keys.decrypt(token, context=_auth_data_context(user_id))
    return token


# -------------------------------------------------------------------------------- service


class Accounts:
    """Finds, creates and updates SSO users; keeps their upstream refresh tokens."""

    def __init__(self, *, db: Database, keys: Keys, identities: Identities) -> None:
        self.db = db
        self.keys = keys
        self.identities = identities  # linked identities and SSO session facts

    async def linked_user(self, provider: str, subject: str) -> str | None:
        """The account ``provider``'s ``subject`` is linked to (checked before ``sign_in``)."""
        return await self.identities.linked_user(provider, subject)

    async def sign_in(self, identity: Identity, policy: AccountPolicy, *, provider: str) -> str:
        """The id of the user ``identity`` is, created or updated as ``policy`` says.

        Raises:
            AuthError: ``INVALID_CREDENTIALS`` (no identifier, unknown user without public
                registration, unverified email when required, another provider's user),
                ``INVALID_PROVIDER`` (the email belongs to another account).
        """
        identifier = identity.identifier
        if not identifier or len(identifier) > _IDENTIFIER_LENGTH:
            log.warning("%s: the upstream gave no usable identifier", provider)
            raise AuthError(Code.INVALID_CREDENTIALS)
        try:
            return await self.db.write(self._sign_in, identity, policy, provider)
        except AuthError as error:
            if error.code != Code.RECORD_NOT_UNIQUE:
                raise
            # Two first logins of the same person raced; the other one created the user.
            return await self.db.write(self._sign_in, identity, policy, provider)

    def _sign_in(
        self, conn: Connection, identity: Identity, policy: AccountPolicy, provider: str
    ) -> str:
        existing = find_by_identifier(conn, identity.identifier or "")
        role, decided = self._role(conn, identity, policy)
        new_id = str(uuid.uuid4())
        owner = existing.id if existing is not None else new_id
        decision = decide(
            existing,
            identity,
            policy,
            provider=provider,
            role=role,
            role_decided=decided,
            auth_data=seal_auth_data(self.keys, owner, identity.refresh_token),
            new_id=new_id,
        )
        if decision.refuse is not None:
            log.info("%s: sign-in refused (%s)", provider, decision.refuse.value)
            raise AuthError(decision.refuse)
        assert decision.user_id is not None
        email = decision.values.get("email")
        if email and users_repo.email_taken(conn, email, except_id=decision.user_id):
            log.info("%s: the upstream's email belongs to another account", provider)
            raise AuthError(Code.INVALID_PROVIDER)
        if decision.create:
            users_repo.insert_user(conn, decision.values)
        elif decision.values:
            users_repo.set_columns(conn, decision.user_id, decision.values)
        return decision.user_id

    def _role(
        self, conn: Connection, identity: Identity, policy: AccountPolicy
    ) -> tuple[str | None, bool]:
        if policy.role_mapping is not None:
            return map_role(identity.groups, policy.role_mapping, policy.default_role), True
        if identity.role_names is not None:
            return role_by_name(conn, identity.role_names) or policy.default_role, True
        return policy.default_role, False

    async def upstream_refresh_token(self, user_id: str) -> str | None:
        stored = await self.db.read(_auth_data, user_id)
        return open_auth_data(self.keys, user_id, stored)

    async def store_refresh_token(self, user_id: str, refresh_token: str) -> None:
        """Keep a rotated upstream refresh token (sealed)."""
        sealed = seal_auth_data(self.keys, user_id, refresh_token)
        await self.db.write(users_repo.set_columns, user_id, {"auth_data": sealed})


def find_by_identifier(conn: Connection, identifier: str) -> User | None:
    statement = (
        select(*users_repo.LOGIN_COLUMNS)
        .where(func.lower(users.c.external_identifier) == identifier.lower())
        .limit(1)
    )
    row = conn.execute(statement).first()
    return users_repo.user_from_row(row) if row else None


def role_by_name(conn: Connection, names: Iterable[str]) -> str | None:
    """The first role (by name order) whose lower-cased name is one of ``names``."""
    wanted = sorted({name.lower() for name in names if name})
    if not wanted:
        return None
    statement = (
        select(roles.c.id).where(func.lower(roles.c.name).in_(wanted)).order_by(roles.c.name)
    )
    row = conn.execute(statement.limit(1)).first()
    return str(row[0]) if row else None


def _auth_data(conn: Connection, user_id: str) -> Any:
    return conn.execute(select(users.c.auth_data).where(users.c.id == user_id)).scalar()
