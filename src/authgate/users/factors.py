"""Whether a user has a second factor: the one place that says what counts as one.

Today a TOTP secret. Passkeys (WebAuthn credentials) are to be added here, as one more
``exists`` in the same statement, and every rule that asks (the API's two-factor enforcement
in ``access/enforcement.py``, the pages' enrolment prompt) follows. Recovery codes are not a
factor of their own: they stand in for the TOTP code of a user who has one.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, or_, select

from authgate.storage.tables import users


def has_second_factor(conn: Connection, user: str) -> bool:
    """One statement; run only for a user a policy enforces two-factor on."""
    totp = exists(select(users.c.id).where(users.c.id == user, users.c.tfa_secret.is_not(None)))
    return bool(conn.execute(select(or_(totp))).scalar())
