"""Running one scenario at one concurrency against a started target, into a result row."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench import wrk
from bench.memory import PeakSampler, settle
from bench.report import Row
from bench.scenarios import Fixtures, Scenario

FLOOD_LEAD = 2.0  # seconds the flood runs before /users/me is measured beside it (and after)


class Target(Protocol):
    name: str
    processes: int
    base_url: str

    @property
    def lacks(self) -> Mapping[str, str]: ...

    @property
    def fixtures(self) -> Fixtures: ...

    def pids(self) -> list[int]: ...


@dataclass(frozen=True)
class Timing:
    seconds: float
    warmup: float
    flood_connections: int


def load1() -> float:
    return os.getloadavg()[0]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_scenario(
    target: Target,
    sampler: PeakSampler,
    scenario: Scenario,
    connections: int,
    timing: Timing,
    workdir: Path,
) -> Row:
    row = Row(target.name, target.processes, scenario.name, connections, load1=load1())
    missing = [target.lacks[n] for n in sorted(scenario.needs) if n in target.lacks]
    if missing:
        row.skipped = "; ".join(missing)
        return row
    request = scenario.build(target.fixtures, connections)
    settle(target.pids())
    if timing.warmup > 0 and scenario.warm:
        wrk.run(
            target.base_url,
            request,
            connections=connections,
            seconds=timing.warmup,
            workdir=workdir,
        )
        settle(target.pids())
    sampler.window()
    row.result = wrk.run(
        target.base_url, request, connections=connections, seconds=timing.seconds, workdir=workdir
    )
    row.peak_rss = sampler.window_peak
    if scenario.flood is not None:
        _beside_flood(target, sampler, scenario.flood, request, connections, timing, workdir, row)
    return row


def _beside_flood(
    target: Target,
    sampler: PeakSampler,
    flood: Scenario,
    request: wrk.Request,
    connections: int,
    timing: Timing,
    workdir: Path,
    row: Row,
) -> None:
    """The same request again while ``flood`` runs on its own connections; the row keeps the
    figures alone in ``alone`` and beside the flood in ``result``."""
    row.alone = row.result
    flood_request = flood.build(target.fixtures, timing.flood_connections)
    settle(target.pids())
    sampler.window()
    background = wrk.Run(
        target.base_url,
        flood_request,
        connections=timing.flood_connections,
        seconds=timing.seconds + 2 * FLOOD_LEAD,
        workdir=workdir,
    )
    time.sleep(FLOOD_LEAD)
    row.result = wrk.run(
        target.base_url, request, connections=connections, seconds=timing.seconds, workdir=workdir
    )
    row.flood = background.result()
    row.peak_rss = max(row.peak_rss, sampler.window_peak)
