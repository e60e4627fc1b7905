"""Every service of the application, built once in the composition root (``app.py``): what
``http/build.py`` composes each route module's dependencies from (``XDeps``) and the pipeline's
(``PipelineDeps``). No handler sees it; each receives the few services it declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from redis.asyncio import Redis

from authgate.access.model import Accountability
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.items.service import ItemsService
from authgate.mail.health import MailCheck
from authgate.mail.outbox import Outbox
from authgate.metrics.registry import Metrics
from authgate.passkeys.service import Passkeys
from authgate.passwords import PasswordHasher
from authgate.project.service import ProjectService
from authgate.providers.registry import Providers
from authgate.ratelimit.requests import RequestLimits
from authgate.sessions.authenticate import Authenticator
from authgate.sessions.service import SessionService
from authgate.storage.db import Database
from authgate.system.schema import SchemaService
from authgate.users.invites import Invitations
from authgate.users.notices import SecurityNotices
from authgate.users.recovery import PasswordRecovery
from authgate.users.recovery_codes import RecoveryCodes
from authgate.users.registration import Registration
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor
from authgate.web.cors import Cors

# The caller's GraphQL schema as SDL (``/server/specs/graphql``): the GraphQL engine's, with
# its services bound (``app.py``).
GraphQLSdl = Callable[[Literal["items", "system"], Accountability], Awaitable[str]]


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
    graphql_sdl: GraphQLSdl | None = None  # /server/specs/graphql
    metrics: Metrics | None = None  # METRICS_ENABLED
    mail_check: MailCheck | None = None  # /server/health's email:connection
    passkeys: Passkeys | None = None  # WebAuthn (/users/me/passkeys, /auth/passkey/*)
    notices: SecurityNotices | None = None  # mails about keys and linked identities
