"""Email address syntax, the one rule used by login, registration, invites and users."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 128  # directus_users.email
MAX_LOCAL_BYTES = 64  # RFC 5321, checked by Joi (email_validator only checks it when strict)


def is_valid_email(value: str) -> bool:
    """Roughly Joi's ``string().email()``: a dotted domain with a real-looking TLD, no
    special-use names (``.local``, ``.test``, ``localhost``), no spaces, no IP literals, at most
    64 bytes (UTF-8, NFC) before the ``@``."""
    if len(value) > MAX_LENGTH:
        return False
    local = unicodedata.normalize("NFC", value).split("@", 1)[0]
    if len(local.encode("utf-8")) > MAX_LOCAL_BYTES:
        return False
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    tld = checked.domain.rsplit(".", 1)[-1]
    return len(tld) >= 2 and tld.isalpha()
