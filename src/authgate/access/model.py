"""The accountability of a request, and the policy facts it is computed from (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC_POLICY_ID = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"


@dataclass(frozen=True)
class PolicyGrant:
    """One policy reached through an access row: directly (``user``), by role, or as public."""

    policy: str
    admin_access: bool
    app_access: bool
    enforce_tfa: bool
    ip_access: tuple[str, ...]
    via_role: str | None  # the role the access row names, None for user or public rows
    via_user: bool
    sort: int | None = None


@dataclass(frozen=True)
class AccessFacts:
    """Everything the database says about a user's access: the role tree and the grants."""

    roles: tuple[str, ...]  # root ancestor first, the user's own role last
    grants: tuple[PolicyGrant, ...]
    epoch: int = 0  # the cache epoch when these facts were read


@dataclass(frozen=True)
class Accountability:
    """Who makes a request, as Directus computes it for every request."""

    user: str | None = None
    role: str | None = None
    roles: tuple[str, ...] = ()
    admin: bool = False
    app: bool = False
    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None
    session: str | None = None  # the session key a session-mode token names
    sid: str | None = None  # the session key any session's access token names (every mode)
    share: str | None = None
    policies: tuple[str, ...] = field(default=())
    enforce_tfa: bool = False
    # A policy enforces two-factor and the user has none: only enrolment answers
    # (``access/enforcement.py``).
    tfa_setup_required: bool = False
    epoch: int | None = None  # the cache epoch read with the facts (None: not read yet)
    api_key: str | None = None  # the id of the API key the request authenticated with

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.role is None and self.share is None
