"""Invitations: an administrator (or anyone allowed to create users) invites addresses; the
invitee chooses a password through the mailed link.

Invited users are created, and still-invited users moved to another role, through the generic
item writes under the inviter's own permissions, exactly as ``POST /users`` and
``PATCH /users/<id>`` would: field grants, presets, validation and item rules all apply (a user
who may create only editors cannot invite an administrator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from authgate.access.model import Accountability
from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.errors import AuthError, Code, invalid_foreign_key, invalid_payload
from authgate.items.service import ItemsService
from authgate.mail.mailer import Mailer
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings, check_password_policy
from authgate.requester import Client
from authgate.storage.db import Database
from authgate.storage.tables import roles
from authgate.tokens import jwt
from authgate.urls import is_url_allowed, public_link, with_token
from authgate.users import repo
from authgate.users.model import Status

USERS = "directus_users"


class Invitations:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        hasher: PasswordHasher,
        mailer: Mailer,
        items: ItemsService,
    ) -> None:
        self.items = items
        self.db = db
        self.clock = clock
        self.settings = settings
        self.hasher = hasher
        self.mailer = mailer

    async def invite(
        self,
        accountability: Accountability,
        emails: Sequence[str],
        role: str,
        invite_url: str | None,
    ) -> None:
        """Raises ``FORBIDDEN`` when the caller may not create users (the route swallows it,
        as Directus 12 does)."""
        now = self.clock.now()
        role = role.lower()
        emails = list(dict.fromkeys(emails))
        new_users = {
            email: await self.items.prepare(
                accountability,
                USERS,
                {"email": email, "role": role, "status": Status.INVITED.value},
                creating=True,
            )
            for email in emails
        }
        new_role = await self.items.prepare(accountability, USERS, {"role": role}, creating=False)
        to_mail, project = await self.db.write(
            self._store, accountability, new_users, new_role, role, invite_url
        )
        for email in to_mail:
            token = jwt.sign(
                {"email": email, "scope": jwt.SCOPE_INVITE},
                self.settings.secret.reveal(),
                now=now,
                ttl=self.settings.user_invite_token_ttl,
            )
            base = invite_url or public_link(self.settings.public_url, "/admin/accept-invite")
            self.mailer.send(
                "user-invitation", to=email, url=with_token(base, token), project=project
            )

    def _store(
        self,
        conn: Connection,
        accountability: Accountability,
        new_users: Mapping[str, Mapping[str, Any]],
        new_role: Mapping[str, Any],
        role: str,
        invite_url: str | None,
    ) -> tuple[list[str], ProjectSettings]:
        scope = self.items.scope(conn, accountability, fresh=True)
        users = self.items.collection(scope, USERS, "create")
        grant = scope.grant(USERS, "create")
        if grant is not None:
            for name in ("email", "role", "status"):
                if not grant.allows_field(name):
                    raise AuthError(Code.FORBIDDEN)
        if conn.execute(select(roles.c.id).where(roles.c.id == role)).first() is None:
            raise invalid_foreign_key(USERS, "role")
        if invite_url is not None and not is_url_allowed(
            invite_url, self.settings.user_invite_url_allow_list
        ):
            raise invalid_payload(f'URL "{invite_url}" can\'t be used to invite users')
        to_mail = []
        for email, payload in new_users.items():
            user = repo.find_by_email(conn, email)
            if user is None:
                self.items.create_in(conn, scope, users, payload)
                to_mail.append(email)
            elif user.status == Status.INVITED:
                if user.role != role:
                    self.items.require(scope, USERS, "update")
                    self.items.update_in(conn, scope, users, [user.id], new_role)
                to_mail.append(user.email or email)
        return to_mail, project_repo.load(conn)

    async def accept(self, token: str, password: str, client: Client) -> None:
        now = self.clock.now()
        claims = jwt.verify_scoped(
            token, self.settings.secret.reveal(), now=now, scope=jwt.SCOPE_INVITE
        )
        user, project = await self.db.read(
            lambda conn: (repo.find_by_email(conn, claims["email"]), project_repo.load(conn))
        )
        if user is None or user.status != Status.INVITED:
            raise AuthError(Code.INVALID_INVITE)
        check_password_policy(password, project.auth_password_policy)
        hashed = await self.hasher.hash(password)
        await self.db.write(self._accept, claims["email"], hashed, client, now)

    def _accept(
        self, conn: Connection, email: str, hashed: str, client: Client, now: datetime
    ) -> None:
        user = repo.find_by_email(conn, email)
        if user is None or user.status != Status.INVITED:
            raise AuthError(Code.INVALID_INVITE)
        repo.set_columns(conn, user.id, {"password": hashed, "status": Status.ACTIVE.value})
        activity.record(
            conn,
            action="update",
            actor=activity.Actor(user.id, client.ip, client.user_agent, client.origin),
            collection="directus_users",
            item=user.id,
            now=now,
            delta={"password": "**********", "status": Status.ACTIVE.value},
        )
