"""The ``email:connection`` check of ``/server/health`` (Directus's ``testEmail``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from authgate.config.settings import EmailSettings
from authgate.mail.transports import verify_smtp

# Directus caches its whole health answer for HEALTHCHECK_CACHE_TTL (5 minutes): any signed-in
# user may ask for it, and it must not open an SMTP connection each time.
CACHE_SECONDS = 300.0


class MailCheck:
    """Whether mail can be handed over: the SMTP server answers (and accepts the credentials),
    the sendmail program is there, or (``file``) always. Remembered for ``CACHE_SECONDS``."""

    def __init__(
        self,
        config: EmailSettings,
        *,
        verify: Callable[[EmailSettings], Awaitable[str | None]] = verify_smtp,
    ) -> None:
        self.config = config
        self._verify = verify
        self._last: tuple[float, str] | None = None
        self._lock = asyncio.Lock()

    async def status(self, now: float) -> str:
        """``ok`` or ``error``; ``now`` is a monotonic time in seconds."""
        async with self._lock:
            if self._last is not None and now - self._last[0] < CACHE_SECONDS:
                return self._last[1]
            status = await self._check()
            self._last = (now, status)
            return status

    async def _check(self) -> str:
        if self.config.transport == "smtp":
            return "ok" if await self._verify(self.config) is None else "error"
        if self.config.transport == "sendmail":
            return "ok" if os.access(self.config.sendmail_path, os.X_OK) else "error"
        return "ok"
