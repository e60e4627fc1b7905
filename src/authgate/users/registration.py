"""Public self-registration (off unless the project enables it) and email verification.

Whether or not the address is already registered, the answer, the work done (a password hash)
and the time taken (``REGISTER_STALL_TIME``) are the same.

Neither order of two registrations of one address can hijack it (decision 17). Each
registration of an address still unverified keeps its own pending password (and names) in
``authgate_pending_registrations``, keyed by a hash of a nonce that only its mailed link
carries; the account row itself holds no password until it is verified. A link activates the
password chosen in the registration that mailed it, and verifying one ends the others: the
first registrant cannot keep an account its owner registers later (the owner's own link
works), and a later registrant cannot replace the password of the owner's earlier link. At
most three verification mails (and so three pending registrations) per address per 15
minutes (``users/mail_limit.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from authgate import crypto
from authgate.activity import repo as activity
from authgate.clock import Clock, stalled
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.errors import AuthError, Code, invalid_payload
from authgate.mail.mailer import Mailer
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings, check_password_policy
from authgate.query.evaluate import matches
from authgate.ratelimit.store import CounterStore
from authgate.requester import Client
from authgate.storage.db import Database
from authgate.storage.tables import pending_registrations
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
        nonce = crypto.random_token()
        user = await self.db.write(self._store, registrant, project, hashed, nonce, client, now)
        if user is None or not project.public_registration_verify_email:
            return
        token = jwt.sign(
            {"email": user.email, "scope": jwt.SCOPE_REGISTRATION, "registration": nonce},
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
        nonce: str,
        client: Client,
        now: datetime,
    ) -> User | None:
        """The user to mail a verification link to, if any."""
        verify = project.public_registration_verify_email
        existing = repo.find_by_email(conn, registrant.email)
        if existing is not None:
            if existing.status != Status.UNVERIFIED or not verify:
                return None
            self._pend(conn, existing.id, registrant, hashed, nonce, now)
            return existing
        user_id = str(uuid.uuid4())
        values = {
            "id": user_id,
            "email": registrant.email,
            # Unverified: no password yet; the verified link's registration brings its own.
            "password": None if verify else hashed,
            "role": project.public_registration_role,
            "status": (Status.UNVERIFIED if verify else Status.ACTIVE).value,
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
        if verify:
            self._pend(conn, user_id, registrant, hashed, nonce, now)
        return repo.get(conn, user_id)

    def _pend(
        self,
        conn: Connection,
        user_id: str,
        registrant: Registrant,
        hashed: str,
        nonce: str,
        now: datetime,
    ) -> None:
        conn.execute(
            delete(pending_registrations).where(
                pending_registrations.c.user == user_id, pending_registrations.c.expires <= now
            )
        )
        conn.execute(
            insert(pending_registrations).values(
                id=self.keys.hash_token(nonce),
                user=user_id,
                password=hashed,
                first_name=registrant.first_name,
                last_name=registrant.last_name,
                expires=now + self.settings.email_verification_token_ttl,
            )
        )

    async def verify(self, token: str, client: Client) -> str:
        """Activate the account the token names; returns its id."""
        now = self.clock.now()
        claims = jwt.verify_scoped(
            token, self.settings.secret.reveal(), now=now, scope=jwt.SCOPE_REGISTRATION
        )
        nonce = claims.get("registration")
        if not isinstance(nonce, str):
            raise invalid_payload("Invalid verification code")
        return await self.db.write(
            self._activate, claims["email"], self.keys.hash_token(nonce), client, now
        )

    def _activate(
        self, conn: Connection, email: str, pending_id: str, client: Client, now: datetime
    ) -> str:
        user = repo.find_by_email(conn, email)
        if user is None or user.status != Status.UNVERIFIED:
            raise invalid_payload("Invalid verification code")
        pending = conn.execute(
            select(pending_registrations).where(
                pending_registrations.c.id == pending_id,
                pending_registrations.c.user == user.id,
                pending_registrations.c.expires > now,
            )
        ).first()
        if pending is None:
            raise invalid_payload("Invalid verification code")
        # The password and names of the registration that mailed this link, and no other.
        repo.set_columns(
            conn,
            user.id,
            {
                "password": pending.password,
                "first_name": pending.first_name,
                "last_name": pending.last_name,
            },
        )
        actor = activity.Actor(user.id, client.ip, client.user_agent, client.origin)
        repo.set_status(conn, user.id, Status.ACTIVE, actor, now)
        # Verifying one link ends every other registration of the address.
        conn.execute(delete(pending_registrations).where(pending_registrations.c.user == user.id))
        return user.id
