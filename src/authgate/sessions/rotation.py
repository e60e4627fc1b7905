"""The pure core of a refresh: what the presented session row, its user and ``now`` decide.

A refresh token's row is *live* until ``expires``. Rotating it writes a successor row and turns
the presented row into a tombstone: ``next_token`` names the successor (its keyed hash) and
``expires`` becomes the end of the grace period (``SESSION_REFRESH_GRACE_PERIOD``). Until then a
repeat of the same token gets the same successor (it is derived from the token, see
``crypto.Keys.successor_of``); after it, presenting the token again is a *reuse*, and the whole
chain is revoked. The row is still good at the very instant ``expires`` (``expires < now`` ends
it), as the database has always decided.

``SessionService`` (service.py) reads the rows and writes what these functions decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from authgate import crypto
from authgate.errors import Code
from authgate.users.model import Status, User


@dataclass(frozen=True)
class SessionFacts:
    """What a refresh needs to know of a ``directus_sessions`` row."""

    user: str | None
    expires: datetime
    next_token: str | None  # the successor's keyed hash, once the row was rotated
    oauth_client: str | None = None


@dataclass(frozen=True)
class RotationPolicy:
    """The settings a rotation reads."""

    grace_period: timedelta  # SESSION_REFRESH_GRACE_PERIOD
    refresh_ttl: timedelta  # REFRESH_TOKEN_TTL (json and cookie modes)
    session_ttl: timedelta  # SESSION_COOKIE_TTL (session mode)

    def lifetime(self, *, session_mode: bool) -> timedelta:
        """How long a successor lives: the session cookie's TTL in session mode."""
        return self.session_ttl if session_mode else self.refresh_ttl


class Verdict(Enum):
    UNKNOWN = "unknown"  # no row, not a user's session (share, OAuth client): refused as is
    EXPIRED = "expired"  # never rotated and past its expiry: refused, its chain deleted
    REUSED = "reused"  # rotated and past its grace period: the whole chain is revoked
    LIVE = "live"  # usable: rotate it, or repeat a rotation within the grace period


@dataclass(frozen=True)
class Rejected:
    """A refused refresh. ``revoke_chain``: the presented row's chain is deleted (in the same
    transaction as the refusal); ``stall``: answered no sooner than a failed login."""

    code: Code
    stall: bool = False
    revoke_chain: bool = False


@dataclass(frozen=True)
class Rotate:
    """The first refresh of a live row: the row becomes a tombstone until ``grace_end`` and a
    successor row is written that lives until ``successor_expires``."""

    successor_hash: str
    grace_end: datetime
    successor_expires: datetime


@dataclass(frozen=True)
class Repeat:
    """A repeat within the grace period: the same successor is answered again, provided its
    row still exists (it may have been revoked or rotated away since)."""

    successor_hash: str


def is_reused(row: SessionFacts, now: datetime) -> bool:
    """Whether presenting ``row`` now is a reuse: rotated, and past its grace period."""
    return row.next_token is not None and row.expires < now


def judge(row: SessionFacts | None, now: datetime) -> Verdict:
    """What the presented row is worth at ``now``, before its user is looked at."""
    if row is None or row.oauth_client is not None or row.user is None:
        return Verdict.UNKNOWN
    if row.expires < now:
        return Verdict.REUSED if is_reused(row, now) else Verdict.EXPIRED
    return Verdict.LIVE


def refusal_for_user(user: User | None) -> Rejected | None:
    """The refusal a live row's user earns, or None when the user may refresh. An inactive
    user's chain is deleted; a suspended one is told so (Directus's ``USER_SUSPENDED``)."""
    if user is None:
        return Rejected(Code.INVALID_CREDENTIALS)
    if user.is_active:
        return None
    code = Code.USER_SUSPENDED if user.status == Status.SUSPENDED else Code.INVALID_CREDENTIALS
    return Rejected(code, stall=True, revoke_chain=True)


def next_step(
    row: SessionFacts,
    successor_hash: str,
    *,
    policy: RotationPolicy,
    session_mode: bool,
    now: datetime,
) -> Rotate | Repeat | Rejected:
    """What a refresh of the live ``row`` does, given the keyed hash of the successor derived
    from the presented token. A rotated row that names another successor is refused (the
    comparison is constant-time)."""
    if row.next_token is None:
        return Rotate(
            successor_hash=successor_hash,
            grace_end=now + policy.grace_period,
            successor_expires=now + policy.lifetime(session_mode=session_mode),
        )
    if crypto.equal(row.next_token, successor_hash):
        return Repeat(successor_hash)
    return Rejected(Code.INVALID_CREDENTIALS)
