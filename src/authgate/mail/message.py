"""A rendered mail, and the templates' shared data (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    html: str
    text: str
    sender: str
    sender_name: str = "Directus"
    template: str = ""
    # Kept for tests and for the end-to-end SMTP checks; never logged.
    data: dict[str, Any] = field(default_factory=dict, repr=False)


SUBJECTS = {
    "password-reset": "Password Reset Request",
    "user-invitation": "You've been invited",
    "user-registration": "Verify your email address",
    # Security notices (users/notices.py)
    "security-password-changed": "Your password was changed",
    "security-email-changed": "Your email address was changed",
    "security-tfa-enabled": "Two-factor authentication was turned on",
    "security-tfa-disabled": "Two-factor authentication was turned off",
    "security-recovery-codes": "New recovery codes were made",
    "security-recovery-code-used": "A recovery code was used",
    "security-account-locked": "Sign-in to your account was locked",
    "security-passkey-added": "A passkey was added to your account",
    "security-api-key-added": "An API key was added to your account",
    "security-identity-linked": "A sign-in provider was linked to your account",
    "security-passkey-removed": "A passkey was removed from your account",
    "security-identity-unlinked": "A sign-in provider was unlinked from your account",
}
