"""The composition root: the only module that knows every concrete implementation.

``create_app(settings)`` wires the services and returns the ASGI application; tests pass their
own clock, outbox or stores as plain arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx2
from starlette.types import Receive, Scope, Send

from authgate import graphql_http
from authgate.access.permissions import PermissionCache
from authgate.clock import Clock, SystemClock
from authgate.config import ConfigError, Settings, load_settings, read_environment
from authgate.crypto import Keys
from authgate.graphql.context import ServiceBundle
from authgate.graphql.engine import GraphQLEngine
from authgate.http.build import build_asgi
from authgate.http.services import Services
from authgate.identities.service import Identities
from authgate.items.service import ItemsService
from authgate.lockout.service import Lockout
from authgate.mail.health import MailCheck
from authgate.mail.mailer import Mailer
from authgate.mail.outbox import DeliveringOutbox, Outbox
from authgate.mail.render import MailRenderer
from authgate.mail.transports import (
    FolderTransport,
    SendmailTransport,
    SmtpTransport,
    Transport,
    verify_smtp,
)
from authgate.metrics import events
from authgate.metrics.registry import Metrics
from authgate.pages import routes as pages
from authgate.pages.web import PageServices
from authgate.passkeys.service import Passkeys
from authgate.passwords import PasswordHasher
from authgate.project.service import ProjectRules, ProjectService
from authgate.providers.accounts import Accounts
from authgate.providers.base import ProviderContext
from authgate.providers.registry import Providers, build_providers
from authgate.query.read import Reader
from authgate.ratelimit.db_store import DatabaseStore
from authgate.ratelimit.redis_store import RedisStore, redis_client
from authgate.ratelimit.requests import RequestLimits
from authgate.ratelimit.store import CounterStore, MemoryStore
from authgate.schema.cache import SchemaCache
from authgate.sessions import repo as sessions_repo
from authgate.sessions.authenticate import Authenticator
from authgate.sessions.service import SessionService
from authgate.signing import SigningKeysError
from authgate.signing.ring import KeyRing
from authgate.storage.db import Database, create_db_engine
from authgate.system.access_rules import AccessRules, PermissionsRules, PoliciesRules, RolesRules
from authgate.system.schema import SchemaService
from authgate.upkeep.scheduler import Purger
from authgate.users.invites import Invitations
from authgate.users.notices import SecurityNotices
from authgate.users.otp import OtpChecker
from authgate.users.recovery import PasswordRecovery
from authgate.users.recovery_codes import RecoveryCodes
from authgate.users.registration import Registration
from authgate.users.rules import UsersRules, suspend_after_failures
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor
from authgate.web.cors import Cors
from authgate.web.pipeline import Pipeline

log = logging.getLogger("authgate")


def mail_transport(settings: Settings) -> Transport:
    email = settings.email
    if email.transport == "smtp":
        return SmtpTransport(email)
    if email.transport == "sendmail" and Path(email.sendmail_path).exists():
        return SendmailTransport(email)
    assert email.outbox_dir is not None
    if email.transport == "sendmail":
        log.warning(
            "EMAIL_TRANSPORT is sendmail but %s does not exist; mail is kept in %s",
            email.sendmail_path,
            email.outbox_dir,
        )
    return FolderTransport(email.outbox_dir)


def sso_providers(
    settings: Settings,
    clock: Clock,
    keys: Keys,
    db: Database,
    store: CounterStore,
    signing: KeyRing,
) -> tuple[httpx2.AsyncClient, Providers]:
    """The configured SSO providers (OpenID ones discovered now), and the HTTP client they
    share for outbound calls (every call passes its own timeout)."""
    http = httpx2.AsyncClient(follow_redirects=False)
    context = ProviderContext(
        settings=settings,
        clock=clock,
        keys=keys,
        accounts=Accounts(db=db, keys=keys, identities=Identities(db=db, keys=keys, clock=clock)),
        http=http,
        store=store,
        signing=signing,
    )
    try:
        return http, build_providers(settings.providers, context)
    except BaseException:
        db.engine.dispose()
        raise


def signing_keys(db: Database, settings: Settings, clock: Clock) -> KeyRing:
    """The process's signing keys; the first one generated (by one instance only) when the
    database has none of ``AUTH_JWT_ALGORITHM``.

    Raises:
        ConfigError: the stored keys cannot be opened with this ``SECRET``.
    """
    signing = KeyRing(db, settings)
    try:
        signing.start(clock.now())
    except SigningKeysError as error:
        db.engine.dispose()
        raise ConfigError("SECRET", str(error)) from None
    return signing


class Application:
    """The ASGI application ``create_app`` returns: the request pipeline, with the services
    the composition built kept beside it for the process that built it (tests read them). No
    handler sees them: each route module receives the few it declares (``http/build.py``)."""

    def __init__(self, pipeline: Pipeline, services: Services) -> None:
        self.pipeline = pipeline
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.pipeline(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    outbox: Outbox | None = None,
    shared_store: CounterStore | None = None,
    limit_store: CounterStore | None = None,
    hasher: PasswordHasher | None = None,
) -> Application:
    if not settings.secret:
        raise ValueError("settings.secret is empty; call bootstrap.ensure_secret first")
    clock = clock or SystemClock()
    keys = Keys.from_secret(settings.secret.reveal())
    metrics = (
        Metrics(settings.metrics, multiprocess=bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR")))
        if settings.metrics.enabled
        else None
    )
    events.install(metrics)
    db = Database(create_db_engine(settings.database))
    signing = signing_keys(db, settings, clock)
    namespace = settings.redis.namespace if settings.redis else "authgate"
    redis = redis_client(settings.redis.url.reveal(), namespace) if settings.redis else None
    if shared_store is None:
        shared_store = RedisStore(redis, namespace=namespace) if redis else DatabaseStore(db)
    if limit_store is None:
        store = settings.rate_limit.store or ("redis" if redis else "memory")
        if store == "redis":
            assert redis is not None
            limit_store = RedisStore(redis, namespace=namespace)
        elif store == "database":
            limit_store = DatabaseStore(db)
        else:
            limit_store = MemoryStore()
    hasher = hasher or PasswordHasher(settings.hashing, processes=settings.workers)
    if outbox is None:
        assert settings.email.outbox_dir is not None
        outbox = DeliveringOutbox(
            mail_transport(settings), FolderTransport(settings.email.outbox_dir)
        )
    mailer = Mailer(MailRenderer(settings.email.templates_path), outbox, settings)
    otp = OtpChecker(keys, shared_store)
    notices = SecurityNotices(mailer=mailer, settings=settings, clock=clock, counters=shared_store)
    lockout = Lockout(
        db=db, settings=settings, suspend_user=suspend_after_failures, notices=notices
    )
    common: dict[str, Any] = {"db": db, "clock": clock}
    passkeys = Passkeys(
        **common,
        settings=settings.webauthn,
        secret=settings.secret.reveal(),
        hasher=hasher,
        lockout=lockout,
        otp=otp,
        store=shared_store,
        notices=notices,
    )
    http, providers = sso_providers(settings, clock, keys, db, shared_store, signing)
    items = ItemsService(
        **common,
        reader=Reader(
            dialect=db.dialect,
            default_limit=settings.query_limit_default,
            max_limit=settings.query_limit_max,
        ),
        schema=SchemaCache(),
        permissions=PermissionCache(),
        rules={
            "directus_users": UsersRules(
                db=db,
                keys=keys,
                hasher=hasher,
                end_sessions=sessions_repo.delete_for_user,
                notices=notices,
            ),
            "directus_settings": ProjectRules(),
            "directus_roles": RolesRules(),
            "directus_policies": PoliciesRules(),
            "directus_access": AccessRules(),
            "directus_permissions": PermissionsRules(),
        },
        hash_password=hasher.hash,
    )
    tfa = TwoFactor(**common, hasher=hasher, otp=otp, items=items, lockout=lockout, notices=notices)
    codes = RecoveryCodes(**common, secret=settings.secret.reveal(), tfa=tfa, notices=notices)
    tfa.codes = codes
    graphql = GraphQLEngine(settings.graphql)
    services = Services(
        settings=settings,
        clock=clock,
        db=db,
        keys=keys,
        hasher=hasher,
        authenticator=Authenticator(db=db, clock=clock, keys=keys, signing=signing),
        sessions=SessionService(
            **common,
            settings=settings,
            keys=keys,
            hasher=hasher,
            lockout=lockout,
            otp=otp,
            signing=signing,
            provider_refresh=providers.refresh_user if settings.providers else None,
            passkey_factor=passkeys.second_factor,
            sso_sessions=any(p.driver == "openid" for p in settings.providers),
        ),
        users=UserService(db=db, items=items),
        items=items,
        schema=SchemaService(db=db, items=items),
        recovery=PasswordRecovery(
            **common,
            settings=settings,
            keys=keys,
            hasher=hasher,
            mailer=mailer,
            counters=shared_store,
            end_sessions=sessions_repo.delete_for_user,
            notices=notices,
        ),
        registration=Registration(
            **common,
            settings=settings,
            keys=keys,
            hasher=hasher,
            mailer=mailer,
            counters=shared_store,
        ),
        invitations=Invitations(
            **common, settings=settings, hasher=hasher, mailer=mailer, items=items
        ),
        tfa=tfa,
        recovery_codes=codes,
        project=ProjectService(items=items),
        limits=RequestLimits(limit_store, settings.rate_limit, clock),
        outbox=outbox,
        cors=Cors(settings.cors),
        redis=redis,
        metrics=metrics,
        mail_check=MailCheck(settings.email) if settings.email.verify_setup else None,
        providers=providers,
        passkeys=passkeys,
        notices=notices,
    )
    # GraphQL's resolvers receive the services they use, bound here.
    graphql_services = ServiceBundle(
        settings=settings,
        clock=clock,
        db=db,
        items=items,
        users=services.users,
        sessions=services.sessions,
        recovery=services.recovery,
        registration=services.registration,
        invitations=services.invitations,
        tfa=services.tfa,
        project=services.project,
        limits=services.limits,
    )
    services = replace(services, graphql_sdl=partial(graphql.sdl, graphql_services))

    services.sessions.codes = codes
    purger = Purger(db, clock, settings.purge, tombstone_retention=settings.refresh_token_ttl)

    async def verify_mail_setup() -> None:
        problem = await verify_smtp(settings.email)
        if problem is not None:
            log.warning(
                "SMTP server %s:%d is not usable (%s); mail will be retried, then kept in %s",
                settings.email.smtp.host,
                settings.email.smtp.port,
                problem,
                settings.email.outbox_dir,
            )

    @contextlib.asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        await services.outbox.start()
        await providers.start()
        purger.start()
        checks = []
        if settings.email.transport == "smtp" and settings.email.verify_setup:
            checks.append(asyncio.create_task(verify_mail_setup()))
        try:
            yield
        finally:
            for check in checks:
                check.cancel()
            await purger.close()
            await providers.close()
            await http.aclose()
            await services.outbox.close()
            for store in {id(shared_store): shared_store, id(limit_store): limit_store}.values():
                await store.close()
            if redis is not None:
                with contextlib.suppress(Exception):
                    await redis.aclose()
            services.hasher.close()
            await services.db.close()

    # The three edges, each unaware of the others: the JSON API, GraphQL over HTTP, the pages.
    pipeline = build_asgi(
        services,
        lifespan,
        graphql=graphql_http.routes(graphql, graphql_services),
        pages=pages.routes(
            PageServices(
                settings=settings,
                clock=clock,
                db=db,
                keys=keys,
                items=items,
                users=services.users,
                sessions=services.sessions,
                tfa=services.tfa,
                recovery=services.recovery,
                invitations=services.invitations,
                registration=services.registration,
                project=services.project,
                limits=services.limits,
                passkeys=passkeys,
                recovery_codes=services.recovery_codes,
                authenticator=services.authenticator,
                providers=services.providers,
                notices=notices,
            )
        ),
        page_area=pages.area,
    )
    return Application(pipeline, services)


def app_from_environment() -> Application:
    """The uvicorn factory for worker processes: settings from the environment, the secret
    from the data folder (``authgate serve`` created it before starting the workers)."""
    from authgate.bootstrap import ensure_secret
    from authgate.logs import configure_logging

    settings = load_settings(read_environment(os.environ, cwd=Path.cwd()), cwd=Path.cwd())
    configure_logging(settings)
    return create_app(ensure_secret(settings))
