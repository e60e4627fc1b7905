"""Where domain code reports what happened (a refresh by outcome, a mail sent, a hash waited
for), without knowing whether or how it is measured.

The composition root installs a sink when ``METRICS_ENABLED``; until then every call is one
``None`` check. One sink per process: the server runs one application per process.
"""

from __future__ import annotations

from typing import Protocol


class Sink(Protocol):
    def count(self, name: str, label: str, amount: float = 1) -> None: ...
    def observe(self, name: str, value: float) -> None: ...
    def add(self, name: str, amount: float) -> None: ...


_sink: Sink | None = None


def install(sink: Sink | None) -> None:
    global _sink
    _sink = sink


def count(name: str, label: str = "", amount: float = 1) -> None:
    """One more ``name`` event (or ``amount``), with its outcome (``refresh``, ``"grace"``)."""
    if _sink is not None:
        _sink.count(name, label, amount)


def observe(name: str, value: float) -> None:
    """A measured value (seconds waited) of a histogram."""
    if _sink is not None:
        _sink.observe(name, value)


def add(name: str, amount: float) -> None:
    """A gauge moved up or down (connections in use, hashes queued)."""
    if _sink is not None:
        _sink.add(name, amount)
