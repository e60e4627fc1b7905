"""Peak resident memory of a server: its process and all its children, sampled in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil  # type: ignore[import-untyped]

INTERVAL = 0.1  # seconds between samples


def tree_rss(pids: list[int]) -> int:
    """Bytes resident in these processes and their descendants (summed: shared pages count
    once per process, as ``ps`` shows them)."""
    total = 0
    for process in _family(pids):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue  # a worker that just exited
    return total


def _family(pids: list[int]) -> list[psutil.Process]:
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                found.setdefault(process.pid, process)
        except psutil.Error:
            continue
    return list(found.values())


def tree_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for process in _family(pids):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def settle(pids: list[int], *, busy: float = 0.1, step: float = 0.5, timeout: float = 60) -> float:
    """Wait until the server uses less than ``busy`` of a core over ``step`` seconds: work
    that wrk abandoned when a run ended (logins waiting for a hash) must not be measured as
    part of the next run. Returns the seconds waited (bounded by ``timeout``)."""
    started = time.monotonic()
    before = tree_cpu_seconds(pids)
    while time.monotonic() - started < timeout:
        time.sleep(step)
        now = tree_cpu_seconds(pids)
        if now - before < busy * step:
            break
        before = now
    return time.monotonic() - started


class PeakSampler:
    """Samples ``tree_rss(pids())`` until stopped; keeps the overall peak and a window peak.

    ``window()`` starts a new window (one measured run); ``window_peak`` is its maximum.
    """

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.overall_peak = 0
        self.window_peak = 0
        self.last = 0
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def window(self) -> None:
        with self._lock:
            self.window_peak = self.last

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        rss = tree_rss(self._pids())
        with self._lock:
            self.last = rss
            self.overall_peak = max(self.overall_peak, rss)
            self.window_peak = max(self.window_peak, rss)

    def _loop(self) -> None:
        while not self._stop.wait(INTERVAL):
            self.sample()
