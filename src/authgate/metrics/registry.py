"""The metrics and their Prometheus text.

In one process the metrics live in a registry of their own (several applications in one test
process never share one). Under ``WORKERS`` > 1 ``authgate serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` to a private, emptied folder before the workers start:
prometheus-client then keeps every process's values in files there, and a scrape of any
worker reads and adds up all of them.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from authgate.config.operations import MetricsSettings

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: a JWT request takes about a millisecond, a login with argon2 tens of milliseconds.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# name -> (label name, help); counted through ``metrics.events.count``.
_EVENTS = {
    "login": ("outcome", "Logins by outcome (success, invalid_credentials, locked, otp, error)"),
    "refresh": ("outcome", "Refreshes by outcome (rotated, grace, reuse_detected, refused)"),
    "hash_rejected": ("reason", "Password hashes refused because the queue was full"),
    "mail": ("outcome", "Mails by outcome (sent, failed: kept in the outbox folder)"),
    "db_error": ("kind", "Database errors by kind (outage, refused, fault)"),
    "redis_error": ("kind", "Redis errors by kind"),
    "purged": ("store", "Expired rows purged, by store"),
}
_OBSERVED = {"hash_wait": "Seconds a password hash waited for a free hashing slot"}
_GAUGES = {
    "hash_queue": "Password hashes waiting for a hashing slot",
    "hash_active": "Password hashes running",
    "db_connections": "Database connections checked out of the pool",
    "redis_connections": "Redis connections in use",
}
# Which METRICS_SERVICES entry each metric belongs to (the others are always on).
_SERVICE_OF = {
    "db_error": "database",
    "db_connections": "database",
    "redis_error": "redis",
    "redis_connections": "redis",
}


class Metrics:
    def __init__(self, settings: MetricsSettings, *, multiprocess: bool = False) -> None:
        """``multiprocess``: ``PROMETHEUS_MULTIPROC_DIR`` is set (prometheus-client reads it
        itself when imported; the composition root tells us)."""
        self.settings = settings
        self.multiprocess = multiprocess
        # Under multi-process mode the metrics register nowhere: the collector reads files.
        own = None if self.multiprocess else CollectorRegistry(auto_describe=True)
        self._registry = own
        self.requests = Counter(
            "authgate_http_requests_total",
            "HTTP requests by method, route template and status",
            ("method", "route", "status"),
            registry=own,
        )
        self.latency = Histogram(
            "authgate_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            ("method", "route", "status"),
            buckets=_LATENCY_BUCKETS,
            registry=own,
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._counters = {
            name: Counter(f"authgate_{name}_total", help_, (label,), registry=own)
            for name, (label, help_) in _EVENTS.items()
            if self._wanted(name)
        }
        self._histograms = {
            name: Histogram(
                f"authgate_{name}_seconds", help_, buckets=_LATENCY_BUCKETS, registry=own
            )
            for name, help_ in _OBSERVED.items()
        }
        self._gauges = {
            name: Gauge(f"authgate_{name}", help_, registry=own, multiprocess_mode="livesum")
            for name, help_ in _GAUGES.items()
            if self._wanted(name)
        }

    def _wanted(self, name: str) -> bool:
        service = _SERVICE_OF.get(name)
        return service is None or service in self.settings.services

    # -- the pipeline's and the domain's reports --

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children, kept by their labels: ``labels()`` costs more than the
        # increment itself, on every request. Routes are templates, so the keys are few.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            code = str(status)
            children = (
                self.requests.labels(method, route, code),
                self.latency.labels(method, route, code),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count(self, name: str, label: str, amount: float = 1) -> None:
        counter = self._counters.get(name)
        if counter is not None:
            counter.labels(label).inc(amount)

    def observe(self, name: str, value: float) -> None:
        histogram = self._histograms.get(name)
        if histogram is not None:
            histogram.observe(value)

    def add(self, name: str, amount: float) -> None:
        gauge = self._gauges.get(name)
        if gauge is not None:
            gauge.inc(amount)

    # -- the scrape --

    def render(self) -> bytes:
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
