"""Public self-registration (off unless the project enables it) and email verification.

Whether or not the address is already registered, the answer, the work done (a password hash)
and the time taken (``REGISTER_STALL_TIME``) are the same.

A registration of an address that is still unverified replaces the stored password (and
names) with the new registrant's and mails a new link: whoever registered first cannot keep an
account its owner later verifies. The link carries a keyed fingerprint of the password hash
stored when it was sent, so it verifies only that registration; an older link no longer
matches and fails like a used one. At most three verification mails (and so three such
replacements) per address per 15 minutes (``users/mail_limit.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys, equal
from authgate.errors import AuthError, Code, invalid_payload
from authgate.mail.mailer import Mailer
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings, check_password_policy
from authgate.query.evaluate import matches
from authgate.ratelimit.store import CounterStore
from authgate.sessions.service import Client, stalled
from authgate.storage.db import Database
from authgate.tokens import jwt
from authgate.urls import is_url_allowed, public_link, with_token
from authgate.users import repo
from authgate.users.mail_limit import may_mail
from authgate.users.model import Status, User


@dataclass(frozen=True)
class Registrant:
    email: str
    password: str
    verification_url: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class Registration:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        keys: Keys,
        hasher: PasswordHasher,
        mailer: Mailer,
        counters: CounterStore,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.keys = keys
        self.hasher = hasher
        self.mailer = mailer
        self.counters = counters

    async def register(self, registrant: Registrant, client: Client) -> None:
        url = registrant.verification_url
        if url is not None and not is_url_allowed(url, self.settings.user_register_url_allow_list):
            raise invalid_payload(f'URL "{url}" can\'t be used to verify registered users')
        project = await self.db.read(project_repo.load)
        if not project.public_registration:
            raise AuthError(Code.FORBIDDEN)
        await stalled(
            self.clock,
            self.settings.register_stall_time,
            lambda: self._register(registrant, project, client),
        )

    async def _register(
        self, registrant: Registrant, project: ProjectSettings, client: Client
    ) -> None:
        email_filter = project.public_registration_email_filter
        allowed = matches(email_filter, {"email": registrant.email}) if email_filter else True
        if not allowed:
            raise AuthError(Code.FORBIDDEN)
        # The policy is checked before the address is looked up: a weak password must not
        # be refused for new addresses only.
        check_password_policy(registrant.password, project.auth_password_policy)
        hashed = await self.hasher.hash(registrant.password)
        now = self.clock.now()
        if project.public_registration_verify_email and not await may_mail(
            self.counters, self.keys, "registration", registrant.email, now
        ):
            return  # past the limit: nothing written, nothing mailed, the same answer
        user = await self.db.write(self._store, registrant, project, hashed, client, now)
        if user is None or not project.public_registration_verify_email:
            return
        token = jwt.sign(
            {
                "email": user.email,
                "scope": jwt.SCOPE_REGISTRATION,
                "hash": self.keys.password_fingerprint(user.password),
            },
            self.settings.secret.reveal(),
            now=now,
            ttl=self.settings.email_verification_token_ttl,
        )
        base = registrant.verification_url or public_link(
            self.settings.public_url, "/users/register/verify-email"
        )
        self.mailer.send(
            "user-registration",
            to=user.email or registrant.email,
            url=with_token(base, token),
            project=project,
            first_name=user.first_name,
            last_name=user.last_name,
        )

    def _store(
        self,
        conn: Connection,
        registrant: Registrant,
        project: ProjectSettings,
        hashed: str,
        client: Client,
        now: datetime,
    ) -> User | None:
        """The user to mail a verification link to, if any."""
        existing = repo.find_by_email(conn, registrant.email)
        if existing is not None:
            if existing.status != Status.UNVERIFIED:
                return None
            names = {"first_name": registrant.first_name, "last_name": registrant.last_name}
            repo.set_columns(conn, existing.id, {"password": hashed, **names})
            activity.record(
                conn,
                action="update",
                actor=activity.Actor(None, client.ip, client.user_agent, client.origin),
                collection="directus_users",
                item=existing.id,
                now=now,
                delta={"password": "**********", **names},
            )
            return repo.get(conn, existing.id)
        status = Status.UNVERIFIED if project.public_registration_verify_email else Status.ACTIVE
        user_id = str(uuid.uuid4())
        values = {
            "id": user_id,
            "email": registrant.email,
            "password": hashed,
            "role": project.public_registration_role,
            "status": status.value,
            "first_name": registrant.first_name,
            "last_name": registrant.last_name,
            "provider": "default",
        }
        repo.insert_user(conn, values)
        activity.record(
            conn,
            action="create",
            actor=activity.Actor(None, client.ip, client.user_agent, client.origin),
            collection="directus_users",
            item=user_id,
            now=now,
        )
        return repo.get(conn, user_id)

    async def verify(self, token: str, client: Client) -> str:
        """Activate the account the token names; returns its id."""
        now = self.clock.now()
        claims = jwt.verify_scoped(
            token, self.settings.secret.reveal(), now=now, scope=jwt.SCOPE_REGISTRATION
        )
        fingerprint = claims.get("hash")
        return await self.db.write(self._activate, claims["email"], fingerprint, client, now)

    def _activate(
        self, conn: Connection, email: str, fingerprint: object, client: Client, now: datetime
    ) -> str:
        user = repo.find_by_email(conn, email)
        if user is None or user.status != Status.UNVERIFIED:
            raise invalid_payload("Invalid verification code")
        # A link from an earlier registration of the address verifies nothing any more.
        if not isinstance(fingerprint, str) or not equal(
            self.keys.password_fingerprint(user.password), fingerprint
        ):
            raise invalid_payload("Invalid verification code")
        actor = activity.Actor(user.id, client.ip, client.user_agent, client.origin)
        repo.set_status(conn, user.id, Status.ACTIVE, actor, now)
        return user.id
