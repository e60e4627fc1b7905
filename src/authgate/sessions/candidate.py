"""Who is signing in: the account a login names, with what its sign-in needs to decide (the
project's settings, the global flags of its policies, whether its own role enforces two-factor
in the token's ``enforce_tfa`` claim). One read, before any check runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from authgate.access import enforcement, policy
from authgate.access.repo import load_access_facts
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings
from authgate.users import repo as users_repo
from authgate.users.factors import has_passkey
from authgate.users.model import User


@dataclass(frozen=True)
class Candidate:
    user: User | None
    settings: ProjectSettings
    admin: bool = False
    app: bool = False
    enforce_tfa: bool = False
    # A policy enforces two-factor and the user's second factor is a passkey (no TOTP): a
    # sign-in with the password must then carry a passkey assertion, as a TOTP user's an OTP.
    passkey_required: bool = False


def load_candidate(
    conn: Connection, email: str, ip: str | None, user_id: str | None = None
) -> Candidate:
    """By ``user_id`` when given (SSO, passkeys), else by ``email``; an inactive or unknown
    account carries only the settings."""
    settings = project_repo.load(conn)
    user = users_repo.get(conn, user_id) if user_id else users_repo.find_by_email(conn, email)
    if user is None or not user.is_active:
        return Candidate(user, settings)
    facts = load_access_facts(conn, user=user.id, role=user.role)
    admin, app = policy.global_flags(facts, ip)
    own_role = user.tfa_secret is None and policy.own_role_enforces_tfa(facts, user.role)
    enforced = user.tfa_secret is None and (own_role or enforcement.enforced(facts))
    passkey = enforced and has_passkey(conn, user.id)
    # The token's ``enforce_tfa`` claim (Directus's: set up two-factor first) is not made for
    # a user whose second factor is a passkey.
    return Candidate(user, settings, admin, app, own_role and not passkey, passkey)
