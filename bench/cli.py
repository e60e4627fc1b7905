"""``bench/run``: measure authgate's hot paths (and, with --directus, Directus beside it)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, wrk
from bench.authgate_target import AuthgateTarget
from bench.directus_target import DirectusTarget
from bench.memory import PeakSampler
from bench.report import Row
from bench.runner import Target, Timing, load1, run_scenario, say
from bench.scenarios import SCENARIOS, Scenario, by_signing, pool_size, select
from bench.storage import CleanupError, PostgresStore, SqliteStore, Store

RESULTS = Path(__file__).with_name("results") / "latest.json"


def _int_list(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma list of positive integers")
    return values


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Load-test a real authgate server with wrk: req/s, p50/p99, peak memory.",
    )
    parser.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-up: a smoke check")
    parser.add_argument(
        "--workers",
        type=_int_list,
        default=sorted({1, cores}),
        help=f"authgate process counts (WORKERS), comma list; default 1,{cores} (the cores)",
    )
    parser.add_argument("--concurrency", type=_int_list, default=[16, 64], help="default 16,64")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before each run (3)")
    parser.add_argument(
        "--only", help="scenario names, comma list: " + ", ".join(s.name for s in SCENARIOS)
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument(
        "--directus", action="store_true", help="also run the reference Directus 12.4 (1 process)"
    )
    parser.add_argument(
        "--flood-connections", type=int, default=64, help="connections of the login flood (64)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON results ({RESULTS})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3.0, 1.0
    return args


def machine() -> dict[str, Any]:
    version = subprocess.run(  # noqa: S603 - wrk's own version line
        [wrk.wrk_path(), "-v"], capture_output=True, text=True, check=False, timeout=10
    )
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average_start": [round(v, 2) for v in os.getloadavg()],
        "wrk": ((version.stdout or version.stderr).splitlines() or ["wrk"])[0].split(" Copyright")[
            0
        ],
        "python": sys.version.split()[0],
    }


def measure(
    target: Target,
    scenarios: list[Scenario],
    connections: list[int],
    timing: Timing,
    workdir: Path,
) -> tuple[list[Row], int]:
    """Every scenario at every concurrency on a started target; the rows and the overall peak."""
    rows: list[Row] = []
    sampler = PeakSampler(target.pids).start()
    try:
        for scenario in scenarios:
            for conc in connections:
                try:
                    row = run_scenario(target, sampler, scenario, conc, timing, workdir)
                except (wrk.WrkError, RuntimeError, OSError) as error:
                    row = Row(target.name, target.processes, scenario.name, conc, load1=load1())
                    row.skipped = f"failed: {error}"
                rows.append(row)
                say(f"[bench] {target.name} {target.processes}p {report.line(row)}")
    finally:
        sampler.stop()
    return rows, sampler.overall_peak


def run_authgate(
    args: argparse.Namespace, scenarios: list[Scenario], timing: Timing, workdir: Path, store: Store
) -> tuple[list[Row], dict[tuple[str, int], int]]:
    target = AuthgateTarget(workdir / "authgate", store)
    pooled = sum(1 for s in scenarios if s.pooled)
    tokens = sum(pool_size(c) for c in args.concurrency) * len(args.workers) * pooled
    wants_items = any("filtered_permissions" in s.needs for s in scenarios)
    started = time.monotonic()
    say(f"[bench] seeding authgate ({store.label}): {tokens} refresh tokens, items {wants_items}")
    target.seed(tokens, wants_items)
    say(f"[bench] seeded in {time.monotonic() - started:.1f} s")
    rows: list[Row] = []
    peaks: dict[tuple[str, int], int] = {}
    for processes in args.workers:
        for signing, group in by_signing(scenarios):
            try:
                target.start_measured(processes, signing)
                found, peak = measure(target, group, args.concurrency, timing, workdir)
            finally:
                target.stop()
            rows += found
            peaks[("authgate", processes)] = max(peak, peaks.get(("authgate", processes), 0))
    return rows, peaks


def run_directus(
    args: argparse.Namespace, scenarios: list[Scenario], timing: Timing, workdir: Path
) -> tuple[list[Row], dict[tuple[str, int], int]]:
    target = DirectusTarget(workdir / "directus")
    say("[bench] starting the reference Directus (setup.sh + start.sh; minutes on a first install)")
    try:
        target.start()
        target.seed()
        rows, peak = measure(target, scenarios, args.concurrency, timing, workdir)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        say(f"[bench] Directus could not be measured: {error}")
        return [], {}
    finally:
        target.stop()
    return rows, {("directus", 1): peak}


def print_report(
    rows: list[Row], peaks: dict[tuple[str, int], int], meta: dict[str, Any], store: Store
) -> None:
    print()
    print(
        f"bench on {meta['cores']} cores, {meta['wrk']}; load average at start "
        f"{' '.join(map(str, meta['load_average_start']))}, at end "
        f"{' '.join(map(str, meta['load_average_end']))}"
    )
    for (target, processes), found in report.by_target(rows).items():
        if target == "authgate":
            title = (
                f"authgate, {processes} process(es), {store.label}; argon2id m=65536 t=3 p=4, "
                "login stall 500 ms, rate limiter off"
            )
        else:
            title = (
                "Directus 12.4, 1 process, SQLite; its defaults (argon2id m=65536 t=3 p=4, 500 ms)"
            )
        peak = peaks.get((target, processes), 0) / report.MB
        print()
        print(report.table(found, title))
        print(f"overall peak RSS (process and children): {peak:,.0f} MB")
    if any(r.target == "directus" for r in rows):
        print()
        print(report.comparison(rows, peaks))
    print()
    print(report.goal_lines(report.goals(rows, peaks)))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        scenarios = select(args.only.split(",") if args.only else None)
        meta = machine()
    except (ValueError, wrk.WrkError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    timing = Timing(args.duration, args.warmup, args.flood_connections)
    workdir = Path(tempfile.mkdtemp(prefix="authgate-bench-"))
    store: Store = PostgresStore() if args.pg else SqliteStore(workdir / "authgate" / "data")
    rows: list[Row] = []
    peaks: dict[tuple[str, int], int] = {}
    try:
        found, found_peaks = run_authgate(args, scenarios, timing, workdir, store)
        rows += found
        peaks.update(found_peaks)
        if args.directus:
            found, found_peaks = run_directus(args, scenarios, timing, workdir)
            rows += found
            peaks.update(found_peaks)
    finally:
        try:
            store.cleanup()
        except CleanupError as error:
            say(f"[bench] {error}")
        if args.keep:
            say(f"[bench] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    options = {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "database": store.label,
        "flood_connections": args.flood_connections,
        "scenarios": [s.name for s in scenarios],
    }
    print_report(rows, peaks, meta, store)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = report.document(rows, peaks, meta, {"options": options})
    args.output.write_text(json.dumps(document, indent=1) + "\n")
    print(f"\nresults: {args.output}")
    return 0
