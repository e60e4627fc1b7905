"""The lockout's rules, pure (every function takes ``now``).

A counter row belongs to one user and one scope: a client address, or ``ACCOUNT`` for the
whole account. A check is *reserved* before it runs (``pending``) and settled afterwards: a
failure moves it to ``failures``, anything else gives it back. A reservation is refused while
``failures + pending`` has reached the threshold, so concurrent attempts can never check more
than the threshold, and an attempt that is refused checks nothing and counts nothing.

Reaching the threshold locks the scope for ``base * 2**locks`` (capped at ``MAX_LOCK``); the
failures start again from zero when that lock ends. Failures and the doubling are forgotten
after ``QUIET`` without a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

ACCOUNT = "*"
UNKNOWN_ADDRESS = "?"
# Failures from every address together lock the whole account past this many times the
# per-address limit.
ACCOUNT_FACTOR = 4
MAX_LOCK = timedelta(hours=24)
QUIET = timedelta(hours=24)
# A reservation never settled (its process died mid-check) stops counting after this long;
# a check takes well under a second.
STALE_PENDING = timedelta(minutes=1)


@dataclass(frozen=True)
class Counter:
    failures: int = 0
    pending: int = 0
    pending_at: datetime | None = None
    locks: int = 0
    locked_until: datetime | None = None
    last_failure: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self == Counter()


def scope_of(ip: str | None) -> str:
    return (ip or UNKNOWN_ADDRESS)[:64]


def current(counter: Counter, now: datetime) -> Counter:
    """The counter as it stands at ``now``: stale reservations, ended locks and old failures
    dropped."""
    c = counter
    if c.pending and (c.pending_at is None or c.pending_at <= now - STALE_PENDING):
        c = replace(c, pending=0, pending_at=None)
    if c.locked_until is not None and c.locked_until <= now:
        c = replace(c, locked_until=None, failures=0)
    if c.locked_until is None and (c.last_failure is None or c.last_failure <= now - QUIET):
        c = replace(c, failures=0, locks=0, last_failure=None)
    return c


def is_locked(counter: Counter, now: datetime) -> bool:
    return counter.locked_until is not None and counter.locked_until > now


def may_check(counter: Counter, threshold: int, now: datetime) -> bool:
    return not is_locked(counter, now) and counter.failures + counter.pending < threshold


def reserved(counter: Counter, now: datetime) -> Counter:
    return replace(counter, pending=counter.pending + 1, pending_at=now)


def released(counter: Counter) -> Counter:
    pending = max(counter.pending - 1, 0)
    return replace(counter, pending=pending, pending_at=counter.pending_at if pending else None)


def lock_duration(base: timedelta, locks: int) -> timedelta:
    """The length of the lock that follows ``locks`` earlier ones: doubling, capped."""
    if locks >= 20:
        return MAX_LOCK
    doubled: timedelta = base * (2**locks)
    return min(doubled, MAX_LOCK)


def failed(
    counter: Counter, threshold: int, base: timedelta, now: datetime
) -> tuple[Counter, bool]:
    """A reserved check failed. Returns the counter and whether it now reached the threshold
    (and so was locked)."""
    c = replace(released(counter), failures=counter.failures + 1, last_failure=now)
    if c.failures < threshold:
        return c, False
    return (
        replace(c, failures=0, locks=c.locks + 1, locked_until=now + lock_duration(base, c.locks)),
        True,
    )
