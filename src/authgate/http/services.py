"""Everything a request handler needs, built once in the composition root (``app.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from authgate.access.authenticate import Authenticator
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.graphql.engine import GraphQLEngine
from authgate.http.cors import Cors
from authgate.items.service import ItemsService
from authgate.mail.health import MailCheck
from authgate.mail.outbox import Outbox
from authgate.metrics.registry import Metrics
from authgate.passkeys.service import Passkeys
from authgate.passwords import PasswordHasher
from authgate.project.service import ProjectService
from authgate.providers.registry import Providers
from authgate.ratelimit.requests import RequestLimits
from authgate.schema.service import SchemaService
from authgate.sessions.service import SessionService
from authgate.storage.db import Database
from authgate.users.invites import Invitations
from authgate.users.notices import SecurityNotices
from authgate.users.recovery import PasswordRecovery
from authgate.users.recovery_codes import RecoveryCodes
from authgate.users.registration import Registration
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    db: Database
    keys: Keys
    hasher: PasswordHasher
    authenticator: Authenticator
    sessions: SessionService
    users: UserService
    items: ItemsService
    schema: SchemaService
    recovery: PasswordRecovery
    registration: Registration
    invitations: Invitations
    tfa: TwoFactor
    recovery_codes: RecoveryCodes
    project: ProjectService
    limits: RequestLimits
    outbox: Outbox
    cors: Cors
    redis: Redis | None = None
    providers: Providers = field(default_factory=Providers)  # SSO (AUTH_PROVIDERS)
    graphql: GraphQLEngine | None = None  # /graphql and /graphql/system
    metrics: Metrics | None = None  # METRICS_ENABLED
    mail_check: MailCheck | None = None  # /server/health's email:connection
    passkeys: Passkeys | None = None  # WebAuthn (/users/me/passkeys, /auth/passkey/*)
    notices: SecurityNotices | None = None  # mails about keys and linked identities
