"""Password reset by mail: the request (never revealing an account) and the reset.

A locked-out account (``lockout/``) can still ask for a reset (the lock is about sign-in
checks, not about the account's status), and the reset ends every lock of the account.

The link's token embeds a keyed fingerprint of the stored password hash, so it works once:
after the reset the hash changes and the token stops matching.

At most three reset mails go to one address per 15 minutes (``users/mail_limit.py``); requests
past the limit are answered exactly like the others (204, after the same stall).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from authgate.activity import repo as activity
from authgate.clock import Clock, stalled
from authgate.config.settings import Settings
from authgate.crypto import Keys, equal
from authgate.errors import AuthError, Code, invalid_payload
from authgate.lockout.service import unlock
from authgate.mail.mailer import Mailer
from authgate.passwords import PasswordHasher
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings, check_password_policy
from authgate.ratelimit.store import CounterStore
from authgate.requester import Client
from authgate.storage.db import Database
from authgate.tokens import jwt
from authgate.urls import is_url_allowed, public_link, with_token
from authgate.users import repo
from authgate.users.mail_limit import may_mail
from authgate.users.model import DEFAULT_PROVIDER, User
from authgate.users.notices import SecurityNotices
from authgate.users.rules import EndSessions


class PasswordRecovery:
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
        end_sessions: EndSessions,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.notices = notices
        self.db = db
        self.clock = clock
        self.settings = settings
        self.keys = keys
        self.hasher = hasher
        self.mailer = mailer
        self.counters = counters
        self.end_sessions = end_sessions

    async def request(self, email: str, reset_url: str | None) -> None:
        """Always answers the same way, in the same time, whether or not the account exists."""
        if reset_url is not None and not is_url_allowed(
            reset_url, self.settings.password_reset_url_allow_list
        ):
            raise invalid_payload(f'URL "{reset_url}" can\'t be used to reset passwords')
        await stalled(
            self.clock,
            self.settings.password_request_stall_time,
            lambda: self._request(email, reset_url),
        )

    def _load(self, conn: Connection, email: str) -> tuple[User | None, ProjectSettings]:
        return repo.find_by_email(conn, email), project_repo.load(conn)

    async def _request(self, email: str, reset_url: str | None) -> None:
        # Counted per address asked for, known or not, before the lookup: the same work (and,
        # if the counter store fails, the same error) whether or not the account exists.
        now = self.clock.now()
        allowed = await may_mail(self.counters, self.keys, "reset", email, now)
        user, project = await self.db.read(self._load, email)
        if (
            user is None
            or not user.is_active
            or user.provider != DEFAULT_PROVIDER
            or not user.email
            or not allowed
        ):
            return
        token = jwt.sign(
            {
                "email": user.email,
                "scope": jwt.SCOPE_PASSWORD_RESET,
                "hash": self.keys.password_fingerprint(user.password),
            },
            self.settings.secret.reveal(),
            now=now,
            ttl=self.settings.password_reset_token_ttl,
        )
        base = reset_url or public_link(self.settings.public_url, "/admin/reset-password")
        self.mailer.send(
            "password-reset", to=user.email, url=with_token(base, token), project=project
        )

    async def reset(self, token: str, password: str, client: Client) -> None:
        now = self.clock.now()
        claims = jwt.verify_scoped(
            token, self.settings.secret.reveal(), now=now, scope=jwt.SCOPE_PASSWORD_RESET
        )
        fingerprint = claims.get("hash")
        if not isinstance(fingerprint, str):
            raise AuthError(Code.FORBIDDEN)
        user, project = await self.db.read(self._load, claims["email"])
        if user is None or not user.is_active:
            raise AuthError(Code.FORBIDDEN)
        if not equal(self.keys.password_fingerprint(user.password), fingerprint):
            raise AuthError(Code.FORBIDDEN)
        if not password:
            # Checked after the link, as Directus orders its answers; Directus would then store
            # NULL (an account nobody can sign in to with a password): we refuse instead.
            raise invalid_payload('"password" is not allowed to be empty')
        check_password_policy(password, project.auth_password_policy)
        hashed = await self.hasher.hash(password)
        await self.db.write(self._store, user, fingerprint, hashed, client, now)

    def _store(
        self,
        conn: Connection,
        user: User,
        fingerprint: str,
        hashed: str,
        client: Client,
        now: datetime,
    ) -> None:
        # Re-check inside the transaction: two resets racing with one link, one wins.
        current = repo.get(conn, user.id)
        if current is None or not equal(
            self.keys.password_fingerprint(current.password), fingerprint
        ):
            raise AuthError(Code.FORBIDDEN)
        # The owner proved they hold the mailbox: every lock of the account ends.
        unlock(conn, user.id)
        repo.set_columns(conn, user.id, {"password": hashed, "status": "active"})
        self.end_sessions(conn, user.id)
        if self.notices is not None:
            self.notices.password_changed(conn, user.id)
        activity.record(
            conn,
            action="update",
            actor=activity.Actor(user.id, client.ip, client.user_agent, client.origin),
            collection="directus_users",
            item=user.id,
            now=now,
            delta={"password": "**********"},
        )
