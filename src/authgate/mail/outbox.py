"""The outbox: services queue mail and return at once; a worker delivers in the background.

Delivery never changes an HTTP answer (as in Directus, and so that a reset request for a
real account takes as long as one for an unknown address). A failed delivery is retried;
a mail that still cannot be delivered is kept as a file in the data folder, with a log line
naming the file but never the link it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from authgate.mail.message import Mail
from authgate.mail.transports import FolderTransport, Transport
from authgate.metrics import events

log = logging.getLogger("authgate.mail")


class Outbox(Protocol):
    def queue(self, mail: Mail) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def _mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class DeliveringOutbox:
    def __init__(
        self,
        transport: Transport,
        fallback: FolderTransport | None,
        *,
        attempts: int = 3,
        backoff: float = 1.0,
        capacity: int = 10_000,
    ) -> None:
        self.transport = transport
        self.fallback = fallback
        self.attempts = attempts
        self.backoff = backoff
        self._queue: asyncio.Queue[Mail] = asyncio.Queue(maxsize=capacity)
        self._worker: asyncio.Task[None] | None = None

    def queue(self, mail: Mail) -> None:
        try:
            self._queue.put_nowait(mail)
        except asyncio.QueueFull:
            log.error("mail outbox full; %s mail to %s dropped", mail.template, _mask(mail.to))

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="authgate-outbox")

    async def _run(self) -> None:
        while True:
            mail = await self._queue.get()
            try:
                await self._deliver(mail)
            finally:
                self._queue.task_done()

    async def _deliver(self, mail: Mail) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                await self.transport.send(mail)
            except Exception as exc:  # every transport failure is retried, then kept
                log.warning(
                    "mail delivery failed (%s, attempt %d/%d): %s",
                    self.transport.name,
                    attempt,
                    self.attempts,
                    exc.__class__.__name__,
                )
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff * attempt)
                continue
            log.info("%s mail sent to %s", mail.template, _mask(mail.to))
            events.count("mail", "sent")
            return
        events.count("mail", "failed")
        await self._keep(mail)

    async def _keep(self, mail: Mail) -> None:
        if self.fallback is None:
            log.error("%s mail to %s could not be delivered", mail.template, _mask(mail.to))
            return
        try:
            await self.fallback.send(mail)
        except OSError:
            log.exception("%s mail to %s could not be kept", mail.template, _mask(mail.to))
            return
        log.error(
            "%s mail to %s could not be delivered; kept in %s",
            mail.template,
            _mask(mail.to),
            self.fallback.folder,
        )

    async def drain(self) -> None:
        """Wait until everything queued has been delivered or kept (tests, shutdown)."""
        await self._queue.join()

    async def close(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.drain(), timeout=5)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker


class MemoryOutbox:
    """Keeps mail in a list, for tests that assert on what was sent."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def queue(self, mail: Mail) -> None:
        self.sent.append(mail)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
