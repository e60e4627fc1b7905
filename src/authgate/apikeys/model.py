"""What an API key is and may reach (pure).

A key's secret is ``agk_`` and 64 random characters; it is shown once and stored as a keyed
hash (as static tokens are). A key limited to policies reaches, on every request, only those
of its policies that the user still has: a policy taken from the user (or deleted) leaves the
key's reach at once, and a limited key never reaches more than its user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from authgate.access.model import AccessFacts, PolicyGrant
from authgate.errors import invalid_payload

PREFIX = "agk_"
NAME_MAX = 255
# ``last_used`` is written at most once a minute per key, never on every request.
TOUCH_EVERY = timedelta(minutes=1)


def is_key(token: str) -> bool:
    return token.startswith(PREFIX)


def secret_from(random_part: str) -> str:
    return PREFIX + random_part


@dataclass(frozen=True)
class NewKey:
    name: str
    expires: datetime | None
    policies: tuple[str, ...] | None  # None: everything the user may do


@dataclass(frozen=True)
class KeyRecord:
    id: str
    name: str
    created: datetime
    expires: datetime | None
    last_used: datetime | None
    policies: tuple[str, ...] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created": _iso(self.created),
            "expires": _iso(self.expires),
            "last_used": _iso(self.last_used),
            "policies": None if self.policies is None else list(self.policies),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid_payload('"expires" must be a valid date')
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_payload('"expires" must be a valid date') from None
    if parsed.tzinfo is None:
        raise invalid_payload('"expires" must be a valid date with a time zone')
    try:
        return parsed.astimezone(UTC)  # answered as it is stored and listed
    except OverflowError:  # past year 9999 in UTC
        raise invalid_payload('"expires" must be a valid date') from None


def read_new_key(body: Any, *, now: datetime, is_uuid: Any) -> NewKey:
    """A create payload: ``{name, expires?, policies?}``; anything else is refused."""
    if not isinstance(body, dict):
        raise invalid_payload('"value" must be of type object')
    unknown = sorted(set(body) - {"name", "expires", "policies"})
    if unknown:
        raise invalid_payload(f'"{unknown[0]}" is not allowed')
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid_payload('"name" is required')
    if len(name) > NAME_MAX:
        raise invalid_payload(f'"name" length must be less than or equal to {NAME_MAX}')
    expires = _parse_time(body.get("expires"))
    if expires is not None and expires <= now:
        raise invalid_payload('"expires" must be in the future')
    policies = body.get("policies")
    if policies is not None:
        if not isinstance(policies, list) or not all(
            isinstance(p, str) and is_uuid(p) for p in policies
        ):
            raise invalid_payload('"policies" must be an array of policy ids')
        policies = tuple(dict.fromkeys(p.lower() for p in policies))
    return NewKey(name.strip(), expires, policies)


def owned_policies(facts: AccessFacts) -> frozenset[str]:
    """The policies a user has: through their roles or given to them (not the public one)."""
    return frozenset(g.policy for g in facts.grants if g.via_role is not None or g.via_user)


def _is_public(grant: PolicyGrant) -> bool:
    return grant.via_role is None and not grant.via_user


def limit_facts(facts: AccessFacts, allowed: frozenset[str]) -> AccessFacts:
    """``facts`` as a limited key sees them: only the grants of ``allowed`` policies (and the
    public grants a role-less user has anyway, which anonymous callers have too)."""
    kept = tuple(g for g in facts.grants if g.policy in allowed or _is_public(g))
    return replace(facts, grants=kept)


def too_many_keys(cap: int) -> str:
    """The refusal's reason when a user has ``cap`` live keys already."""
    return f"A user can have at most {cap} API keys: revoke one first"
