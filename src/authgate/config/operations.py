"""Settings for running authgate as a service: purging expired rows and metrics.

Directus's names where Directus has the setting (``RETENTION_ENABLED``, ``RETENTION_BATCH``,
``ACTIVITY_RETENTION``, ``METRICS_ENABLED``, ``METRICS_TOKENS``, ``METRICS_SERVICES``);
``PURGE_INTERVAL`` is authgate's own (Directus has no expired rows of this kind to purge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from authgate.config.env import ConfigError, Reader

METRICS_SERVICES = ("database", "cache", "redis", "storage")


@dataclass(frozen=True)
class PurgeSettings:
    interval: timedelta = timedelta(minutes=5)
    batch: int = 500  # rows deleted by one statement (one short transaction each)
    # Activity older than this is deleted (with its revisions); None: kept for ever.
    activity_retention: timedelta | None = None


@dataclass(frozen=True)
class MetricsSettings:
    enabled: bool = False
    tokens: tuple[str, ...] = ()  # compared in constant time; never logged
    services: tuple[str, ...] = METRICS_SERVICES


def purge_settings(env: Reader) -> PurgeSettings:
    interval = env.duration("PURGE_INTERVAL", "5m", bare_unit="s")
    if interval <= timedelta(0):
        raise ConfigError("PURGE_INTERVAL", "must be a positive duration")
    retention = None
    if env.boolean("RETENTION_ENABLED", False):
        retention = env.duration("ACTIVITY_RETENTION", "90d", bare_unit="ms")
        if retention <= timedelta(0):
            raise ConfigError("ACTIVITY_RETENTION", "must be a positive duration")
    return PurgeSettings(
        interval=interval,
        batch=env.integer("RETENTION_BATCH", 500, minimum=1),
        activity_retention=retention,
    )


def metrics_settings(env: Reader) -> MetricsSettings:
    services = (
        env.string_list("METRICS_SERVICES") if env.is_set("METRICS_SERVICES") else METRICS_SERVICES
    )
    return MetricsSettings(
        enabled=env.boolean("METRICS_ENABLED", False),
        tokens=env.string_list("METRICS_TOKENS"),
        services=tuple(service.lower() for service in services),
    )
