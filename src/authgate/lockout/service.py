"""Reserve a check, run it, settle it: how password and one-time-code checks are counted.

``reserve`` runs before a check and refuses it (``None``) while the account or this address is
locked, or while the checks already failed or under way reach the limit; a refused attempt
must check nothing. After the check, exactly one of ``failed``, ``succeeded_in`` (a sign-in,
inside the sign-in's own transaction) or ``release`` (any other outcome: a right code for a
setting, an error, a 503) settles it.

``AUTH_LOCKOUT=lock`` (the default): ``auth_login_attempts`` failures from one address lock
that address out of the account for ``AUTH_LOCKOUT_DURATION``, doubling; ``ACCOUNT_FACTOR``
times as many from every address together lock the whole account the same way. A successful
sign-in clears its address; a password reset (or ``authgate users unlock``) clears all.
``AUTH_LOCKOUT=suspend``: Directus's rule, ``auth_login_attempts`` failures from anywhere
suspend the account, except the last active administrator, who is locked for a while instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, select

from authgate.config.settings import Settings
from authgate.errors import service_unavailable
from authgate.lockout import model, repo
from authgate.storage.db import Database
from authgate.storage.tables import settings as settings_table

log = logging.getLogger("authgate.lockout")
T = TypeVar("T")
_ROUNDS = 5  # attempts of a unit of work whose rows a concurrent sign-in deleted


@dataclass(frozen=True)
class Ticket:
    """A reserved check. No thresholds: no limit is configured and settling does nothing."""

    user: str
    address: str
    thresholds: dict[str, int] = field(default_factory=dict)


class SuspendUser(Protocol):
    """``AUTH_LOCKOUT=suspend``: suspend the account in the failure's transaction, unless it
    is the last active administrator (then False: the caller locks it for a while instead).
    The users package owns the rule (``users.rules.suspend_after_failures``, wired in
    ``app.py``)."""

    def __call__(self, conn: Connection, user: str, address: str, now: datetime) -> bool: ...


class LockNotices(Protocol):
    """Mail the owner that their account is locked (``users.notices.SecurityNotices``, wired
    in ``app.py``)."""

    def account_locked(self, conn: Connection, user: str) -> None: ...


class Lockout:
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        suspend_user: SuspendUser,
        notices: LockNotices | None = None,
    ) -> None:
        self.db = db
        self.suspend_user = suspend_user
        # The owner is mailed once per lock (and at most once an hour: users/notices.py).
        self.notices = notices
        self.suspend = settings.auth_lockout == "suspend"
        self.base = settings.auth_lockout_duration

    def _thresholds(self, limit: int | None) -> dict[str, int]:
        if limit is None:
            return {}
        if self.suspend:
            return {model.ACCOUNT: limit}
        return {model.ACCOUNT: limit * model.ACCOUNT_FACTOR, "": limit}

    async def limit(self) -> int | None:
        """``auth_login_attempts`` (``None``: no limit), for callers that have not read it."""

        def read(conn: Connection) -> int | None:
            value = conn.execute(select(settings_table.c.auth_login_attempts).limit(1)).scalar()
            return None if value is None else int(value)

        return await self.db.read(read)

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        """``work`` in a transaction of its own, run again (at once, a few times) when a
        concurrent sign-in deleted a row it was about to lock (``repo.RowsVanished``)."""
        for _ in range(_ROUNDS - 1):
            try:
                return await self.db.write(work, *args)
            except repo.RowsVanished:
                continue
        try:
            return await self.db.write(work, *args)
        except repo.RowsVanished:
            # Contention past all reason, not a fault: a busy database (503, retry).
            raise service_unavailable("database", "Database is busy", retry_after=1) from None

    async def reserve(
        self, user: str, ip: str | None, now: datetime, limit: int | None
    ) -> Ticket | None:
        """Reserve one check for ``user`` from ``ip``: a ticket, or None when locked."""
        return await self._write(self._reserve, user, ip, now, limit)

    def _reserve(
        self, conn: Connection, user: str, ip: str | None, now: datetime, limit: int | None
    ) -> Ticket | None:
        address = model.scope_of(ip)
        thresholds = {
            (address if scope == "" else scope): n for scope, n in self._thresholds(limit).items()
        }
        ticket = Ticket(user, address, thresholds)
        if not thresholds:
            return ticket
        rows = repo.lock_rows(conn, user, list(thresholds))
        counters = {scope: model.current(rows[scope], now) for scope in thresholds}
        if not all(model.may_check(counters[s], n, now) for s, n in thresholds.items()):
            # Nothing is written but what ``current`` dropped, so a refusal counts nothing.
            for scope, counter in counters.items():
                repo.store(conn, user, scope, counter)
            return None
        for scope, counter in counters.items():
            repo.store(conn, user, scope, model.reserved(counter, now))
        return ticket

    async def failed(self, ticket: Ticket, now: datetime) -> None:
        if ticket.thresholds:
            await self._write(self._failed, ticket, now)

    def _failed(self, conn: Connection, ticket: Ticket, now: datetime) -> None:
        rows = repo.lock_rows(conn, ticket.user, list(ticket.thresholds))
        locked = False
        for scope, threshold in ticket.thresholds.items():
            counter, reached = model.failed(
                model.current(rows[scope], now), threshold, self.base, now
            )
            locked = locked or reached
            if (
                reached
                and self.suspend
                and self.suspend_user(conn, ticket.user, ticket.address, now)
            ):
                repo.forget(conn, ticket.user, scope)
                continue
            if reached:
                log.warning(
                    "sign-in locked after too many failed checks",
                    extra={"user": ticket.user, "account": scope == model.ACCOUNT},
                )
            repo.store(conn, ticket.user, scope, counter)
        if locked and self.notices is not None:
            self.notices.account_locked(conn, ticket.user)

    def succeeded_in(self, conn: Connection, ticket: Ticket, now: datetime) -> None:
        """A successful sign-in, in its own transaction: its address starts afresh (in
        suspend mode, the account's count does, as in Directus); the account row gets its
        reservation back. No row lock needed: each is one statement."""
        if not ticket.thresholds:
            return
        if self.suspend:
            repo.forget(conn, ticket.user, model.ACCOUNT)
            return
        # The account row first, as everywhere (``repo.lock_rows``): no deadlock.
        repo.give_back(conn, ticket.user, model.ACCOUNT)
        repo.signed_in(conn, ticket.user, ticket.address, now)

    async def release(self, ticket: Ticket, now: datetime) -> None:
        if ticket.thresholds:
            await self._write(self.release_in, ticket, now)

    async def counted(
        self, user: str, address: str | None, now: datetime, check: Callable[[], Awaitable[bool]]
    ) -> bool:
        """A check outside a sign-in (a password to enrol a factor, a code to remove one) run
        under the lockout as a sign-in's: a failure counts toward the same lock, and while the
        lock holds nothing is checked (False). An outage or a cancelled request gives the
        reservation back."""
        ticket = await self.reserve(user, address, now, await self.limit())
        if ticket is None:
            return False
        settled = False
        try:
            if not await check():
                settled = True
                await self.failed(ticket, now)
                return False
        finally:
            if not settled:
                with contextlib.suppress(Exception):
                    await self.release(ticket, now)
        return True

    def release_in(self, conn: Connection, ticket: Ticket, now: datetime) -> None:
        rows = repo.lock_rows(conn, ticket.user, list(ticket.thresholds))
        for scope in ticket.thresholds:
            repo.store(conn, ticket.user, scope, model.released(model.current(rows[scope], now)))


def unlock(conn: Connection, user: str) -> int:
    """End every lock of the user and forget their failures (a password reset, the CLI).
    Call it before writing the user's row: the lockout's rows are always taken before the
    user's (a failure that suspends does so), so two transactions never wait on each other."""
    return repo.forget(conn, user)
