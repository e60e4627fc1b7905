"""The settings the authentication code reads, and the password policy check (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from authgate.errors import AuthError, Code


@dataclass(frozen=True)
class ProjectSettings:
    project_name: str = "Directus"
    project_url: str | None = None
    project_color: str = "#6644FF"
    project_logo: str | None = None
    auth_login_attempts: int | None = 25
    auth_password_policy: str | None = None
    public_registration: bool = False
    public_registration_verify_email: bool = True
    public_registration_role: str | None = None
    public_registration_email_filter: Any = None


def compile_policy(policy: str) -> re.Pattern[str]:
    """A Directus policy is a regex, optionally written as ``/.../`` (flags are not read).

    Raises:
        re.error: the policy is not a valid regular expression.
    """
    body = policy
    if body.startswith("/"):
        body = body[1:]
    if body.endswith("/"):
        body = body[:-1]
    return re.compile(body)


def check_password_policy(password: str, policy: str | None) -> None:
    """Raises ``FAILED_VALIDATION`` when ``password`` breaks the policy; the password itself is
    never echoed back (Directus puts it in ``extensions.invalid``)."""
    if not policy:
        return
    try:
        pattern = compile_policy(policy)
    except re.error:
        return  # an unusable policy was refused when it was saved; nothing to enforce
    if not pattern.search(password):
        raise AuthError(
            Code.FAILED_VALIDATION,
            'Validation failed for field "password". Value doesn\'t have the correct format.',
            extensions={"field": "password", "path": [], "type": "regex"},
        )
