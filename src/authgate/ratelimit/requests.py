"""The request limiters of Directus: per IP, global, and registration."""

from __future__ import annotations

from authgate.clock import Clock
from authgate.config.settings import RateLimitSettings
from authgate.ratelimit.limiter import Limiter
from authgate.ratelimit.store import CounterStore


class RequestLimits:
    def __init__(self, store: CounterStore, config: RateLimitSettings, clock: Clock) -> None:
        self.clock = clock
        self.ip = (
            Limiter(store, "ip", config.ip.points, config.ip.duration)
            if config.ip.enabled
            else None
        )
        self.globally = (
            Limiter(store, "global", config.globally.points, config.globally.duration)
            if config.globally.enabled
            else None
        )
        self.registration = (
            Limiter(store, "register", config.registration.points, config.registration.duration)
            if config.registration.enabled
            else None
        )

    async def check_request(self, ip: str | None) -> None:
        """Raises ``REQUESTS_EXCEEDED``. A request without a known IP is not limited per IP."""
        if self.globally is not None:
            await self.globally.consume("global-rate-limit", now=self.clock.now())
        if self.ip is not None and ip:
            await self.ip.consume(ip, now=self.clock.now())

    async def check_registration(self, ip: str | None) -> None:
        if self.registration is not None and ip:
            await self.registration.consume(ip, now=self.clock.now())
