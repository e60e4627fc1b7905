"""Whether a user has a second factor: the one place that says what counts as one.

A TOTP secret or a passkey (a WebAuthn credential, ``passkeys/``): one ``exists`` each in the
same statement, and every rule that asks (the API's two-factor enforcement in
``access/enforcement.py``, the pages' enrolment prompt) follows. Recovery codes are not a
factor of their own: they stand in for the TOTP code of a user who has one.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, or_, select

from authgate.storage.tables import passkeys, users


def has_second_factor(conn: Connection, user: str) -> bool:
    """One statement; run only for a user a policy enforces two-factor on."""
    totp = exists(select(users.c.id).where(users.c.id == user, users.c.tfa_secret.is_not(None)))
    passkey = exists(select(passkeys.c.id).where(passkeys.c.user == user))
    return bool(conn.execute(select(or_(totp, passkey))).scalar())


def has_passkey(conn: Connection, user: str) -> bool:
    return (
        conn.execute(select(passkeys.c.id).where(passkeys.c.user == user).limit(1)).first()
        is not None
    )
