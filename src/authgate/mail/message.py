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
}
