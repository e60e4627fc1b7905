"""Security notices: mails that tell the owner of an account about a change to how it signs
in (password, email address, two-factor, recovery codes, passkeys, API keys, linked
identities) and about a lock.

Decisions:

* They go whatever the user's ``email_notifications`` says: that switch is about the app's
  notifications, and these exist for the case where someone else is in the account (who
  could turn them off first).
* They are written from inside the transaction that makes the change and sent once it has
  committed (``storage.db.after_commit``): a change that rolls back mails nothing, and an
  answer is never changed by a mail. The address is read in the same transaction (for an
  email change: the old address, before the update).
* They never hold a secret, a code or a link that signs in: only what happened, when, and the
  address of the account page (which asks for a sign-in).
* A lock mails at most once per account and hour (``LOCK_MAIL_WINDOW``, a fixed window, claimed
  in the shared counter store), however many addresses are locked out: failed sign-ins cannot
  flood the owner's mailbox.

``SecurityNotices`` is the public interface; passkey code calls ``passkey_added`` /
``passkey_removed`` with the connection of its own write.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.mail.mailer import Mailer
from authgate.project import repo as project_repo
from authgate.ratelimit.store import CounterStore
from authgate.storage.db import after_commit
from authgate.storage.tables import users
from authgate.urls import public_link

log = logging.getLogger("authgate.notices")

LOCK_MAIL_WINDOW = timedelta(hours=1)


class SecurityNotices:
    def __init__(
        self, *, mailer: Mailer, settings: Settings, clock: Clock, counters: CounterStore
    ) -> None:
        self.mailer = mailer
        self.settings = settings
        self.clock = clock
        self.counters = counters

    # ------------------------------------------------------------ the notices

    def password_changed(self, conn: Connection, user: str) -> None:
        self._notify(conn, "security-password-changed", user)

    def email_changed(self, conn: Connection, user: str, old_address: str) -> None:
        """To the address the account had before the change."""
        self._notify(conn, "security-email-changed", user, to=old_address)

    def tfa_enabled(self, conn: Connection, user: str) -> None:
        self._notify(conn, "security-tfa-enabled", user)

    def tfa_disabled(self, conn: Connection, user: str, *, by_admin: bool = False) -> None:
        self._notify(conn, "security-tfa-disabled", user, by_admin=by_admin)

    def recovery_codes_made(self, conn: Connection, user: str) -> None:
        self._notify(conn, "security-recovery-codes", user)

    def recovery_code_used(self, conn: Connection, user: str, remaining: int) -> None:
        self._notify(conn, "security-recovery-code-used", user, remaining=remaining)

    def passkey_added(self, conn: Connection, user: str, name: str | None = None) -> None:
        self._notify(conn, "security-passkey-added", user, name=name or "")

    def passkey_removed(self, conn: Connection, user: str, name: str | None = None) -> None:
        self._notify(conn, "security-passkey-removed", user, name=name or "")

    def api_key_added(self, conn: Connection, user: str, name: str) -> None:
        self._notify(conn, "security-api-key-added", user, name=name)

    def identity_linked(self, conn: Connection, user: str, provider: str) -> None:
        """Another provider's identity now signs this account in (``identities/``)."""
        self._notify(conn, "security-identity-linked", user, provider=provider)

    def identity_unlinked(self, conn: Connection, user: str, provider: str) -> None:
        self._notify(conn, "security-identity-unlinked", user, provider=provider)

    def account_locked(self, conn: Connection, user: str) -> None:
        """Once per lock (the lockout calls it when a threshold is reached), and at most once
        per ``LOCK_MAIL_WINDOW`` and account."""
        self._notify(conn, "security-account-locked", user, limited=True)

    # ---------------------------------------------------------------- sending

    def _notify(
        self,
        conn: Connection,
        template: str,
        user: str,
        *,
        to: str | None = None,
        limited: bool = False,
        **data: Any,
    ) -> None:
        address = to or conn.execute(select(users.c.email).where(users.c.id == user)).scalar()
        if not address:
            return  # an SSO user without an address: nobody to tell
        project = project_repo.load(conn)
        when = self.clock.now().strftime("%Y-%m-%d %H:%M UTC")
        url = public_link(self.settings.public_url, "/admin/account")

        async def send() -> None:
            if limited:
                # One claim per account and window of the (injected) clock, in the shared
                # store: every instance agrees, and the first lock of a window mails.
                now = self.clock.now()
                window = int(now.timestamp() // LOCK_MAIL_WINDOW.total_seconds())
                claimed = await self.counters.claim(
                    f"lock-mail:{user}:{window}", ttl=LOCK_MAIL_WINDOW * 2, now=now
                )
                if not claimed:
                    return
            self.mailer.send(template, to=address, url=url, project=project, when=when, **data)

        if not after_commit(conn, send):
            log.info("security notice %s not sent: no transaction to follow", template)
