"""How many account mails (password reset, registration) one address gets.

Anyone may ask for a reset of any address, or register any address, and without a limit that
is a way to flood someone's mailbox. Requests are counted per address asked for, known or not,
in the shared counter store (every instance counts together); the address is kept only as a
keyed fingerprint. Past the limit the answer is unchanged and only the mail (and, for
registration, the write) is dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from authgate.crypto import Keys
from authgate.ratelimit.store import CounterStore

MAILS_PER_ADDRESS = 3
MAIL_WINDOW = timedelta(minutes=15)


async def may_mail(
    counters: CounterStore, keys: Keys, kind: str, email: str, now: datetime
) -> bool:
    """Count this request for ``email``; whether a mail may still go to it."""
    address = keys.fingerprint_of(email.strip().lower())
    sent = await counters.hit(f"{kind}-mails:{address}", window=MAIL_WINDOW, now=now)
    return sent.count <= MAILS_PER_ADDRESS
