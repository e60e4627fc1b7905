"""The pure core of linked identities: what a listing shows, and whether one may be unlinked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_PROVIDER = "default"


@dataclass(frozen=True)
class LinkedIdentity:
    id: str
    provider: str
    subject: str
    linked_at: datetime

    def public(self) -> dict[str, str]:
        """What ``GET /users/me/identities`` answers: nothing that signs anyone in."""
        return {
            "id": self.id,
            "provider": self.provider,
            "subject_hint": subject_hint(self.subject),
            "linked_at": self.linked_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True)
class SignInWays:
    """The ways an account can sign in, as far as unlinking is concerned."""

    password: bool  # a local password (provider ``default``)
    primary_provider: bool  # the user's own ``provider``/``external_identifier`` (SSO)
    linked: int  # linked identities


def subject_hint(subject: str) -> str:
    """Enough of the subject to recognise it, never all of it: ``ab…yz``."""
    if len(subject) <= 4:
        return subject[:1] + "…"
    return f"{subject[:2]}…{subject[-2:]}"


def may_unlink(ways: SignInWays) -> bool:
    """An identity may go while another way to sign in remains."""
    return ways.password or ways.primary_provider or ways.linked > 1


def sign_in_ways(
    *,
    provider: str,
    password: str | None,
    external_identifier: str | None,
    linked: int,
    local_sign_in: bool = True,
) -> SignInWays:
    """``local_sign_in`` is False with ``AUTH_DISABLE_DEFAULT``: a password (or a passkey,
    whose sign-in is off then too) is no way in, whatever is stored."""
    local = provider == DEFAULT_PROVIDER
    return SignInWays(
        password=local_sign_in and local and bool(password),
        primary_provider=not local and bool(external_identifier),
        linked=linked,
    )
