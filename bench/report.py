"""Result rows, the printed tables, the goals, and the JSON file. Pure: data in, text out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.wrk import WrkResult

MB = 1024 * 1024

# The issues' goals, authgate (1 process) against Directus 12.4 (1 process), same machine.
RPS_GOALS: Mapping[str, float] = {
    "users_me_jwt": 5.0,
    "users_me_static": 5.0,
    "users_me_custom_jwt": 5.0,
    "users_me_custom_static": 5.0,
    "refresh": 3.0,
    "login": 1.0,
}
MEMORY_GOAL = 0.25  # at most a quarter of Directus's peak resident memory
FLOOD_GOAL = 0.5  # /users/me during a login flood keeps at least half its throughput alone
ITEMS_GOAL = 0.5  # a million rows read at least half as fast as a thousand ("small factor")
GRAPHQL_GOAL = 0.5  # a GraphQL operation at least half as fast as its REST twin
# Each GraphQL scenario and the REST scenario it is measured against.
GRAPHQL_TWINS: Mapping[str, str] = {
    "gql_users_me": "users_me_jwt",
    "gql_login": "login",
    "gql_refresh": "refresh",
}

# Directus 12.4 on SQLite as the issue quotes it (c16, one process); used when --directus
# was not given, and printed as such.
RECORDED_DIRECTUS_RPS: Mapping[str, float] = {
    "users_me_jwt": 400.0,
    "users_me_static": 400.0,
    "users_me_custom_jwt": 400.0,
    "users_me_custom_static": 400.0,
    "refresh": 270.0,
    "login": 11.0,
}
RECORDED_DIRECTUS_CONNECTIONS = 16
RECORDED_DIRECTUS_PEAK_RSS = 700 * MB  # the low end of "0.7 to 1 GB"


@dataclass
class Row:
    target: str
    processes: int
    scenario: str
    connections: int
    load1: float = 0.0
    result: WrkResult | None = None
    peak_rss: int = 0
    alone: WrkResult | None = None  # flood scenarios: the same request without the flood
    flood: WrkResult | None = None  # flood scenarios: the flood's own figures
    skipped: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "processes": self.processes,
            "scenario": self.scenario,
            "connections": self.connections,
            "load1_before": round(self.load1, 2),
            "result": self.result.as_json() if self.result else None,
            "peak_rss_mb": round(self.peak_rss / MB, 1),
            "alone": self.alone.as_json() if self.alone else None,
            "flood": self.flood.as_json() if self.flood else None,
            "flood_ratio": self.flood_ratio(),
            "skipped": self.skipped,
        }

    def flood_ratio(self) -> float | None:
        if self.alone is None or self.result is None or self.alone.rps == 0:
            return None
        return round(self.result.rps / self.alone.rps, 3)


@dataclass(frozen=True)
class Goal:
    name: str
    measured: float | None
    wanted: str  # e.g. ">= 5.0x"
    met: bool | None  # None: not measured
    basis: str  # what the ratio was taken against

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "wanted": self.wanted,
            "met": self.met,
            "basis": self.basis,
        }


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def table(rows: Iterable[Row], title: str) -> str:
    head = (
        f"{'scenario':<17} {'conc':>4} {'req/s':>10} {'p50':>9} {'p99':>9} "
        f"{'non-2xx':>8} {'peak RSS':>9} {'load':>5}"
    )
    lines = [title, head, "-" * len(head)]
    for row in rows:
        lines.append(line(row))
        lines.extend(_notes(row))
    return "\n".join(lines)


def line(row: Row) -> str:
    start = f"{row.scenario:<17} {row.connections:>4}"
    if row.skipped:
        return f"{start}  skipped: {row.skipped}"
    r = row.result
    assert r is not None
    errors = r.non_2xx + r.socket_errors + r.graphql_errors
    return (
        f"{start} {r.rps:>10,.1f} {_ms(r.p50_ms):>9} {_ms(r.p99_ms):>9} {errors:>8,} "
        f"{row.peak_rss / MB:>6.0f} MB {row.load1:>5.2f}"
    )


def _notes(row: Row) -> list[str]:
    notes = []
    r = row.result
    if r is not None and (r.socket_errors or r.pool_empty):
        notes.append(
            f"{'':<23}socket errors {r.socket_errors} (timeouts {r.timeouts}), "
            f"pool exhausted {r.pool_empty}x"
        )
    if r is not None and r.graphql_errors:
        notes.append(f"{'':<23}GraphQL errors (HTTP 200): {r.graphql_errors:,}")
    if r is not None and r.statuses and set(r.statuses) != {200}:
        shown = ", ".join(f"{code}: {n:,}" for code, n in sorted(r.statuses.items()))
        notes.append(f"{'':<23}statuses {shown}")
    if row.alone is not None and row.flood is not None:
        flood = row.flood
        over = flood.statuses.get(503, 0)
        notes.append(
            f"{'':<23}alone {row.alone.rps:,.1f} req/s (p50 {_ms(row.alone.p50_ms)}): "
            f"ratio {row.flood_ratio()} (goal >= {FLOOD_GOAL}); flood: {flood.rps:,.1f} "
            f"logins/s, p50 {_ms(flood.p50_ms)}, 503 with Retry-After: {over:,}"
        )
    return notes


def _rps(rows: Iterable[Row], target: str, processes: int) -> dict[tuple[str, int], float]:
    return {
        (row.scenario, row.connections): row.result.rps
        for row in rows
        if row.target == target and row.processes == processes and row.result is not None
    }


def goals(rows: list[Row], peaks: Mapping[tuple[str, int], int]) -> list[Goal]:
    """Every goal the rows can speak to: against Directus when it ran, else the recorded
    figures (c16 only); the flood, items and GraphQL-vs-REST goals on every process count and
    concurrency."""
    found: list[Goal] = []
    ours = _rps(rows, "authgate", 1)
    theirs = _rps(rows, "directus", 1)
    measured = bool(theirs)
    for (scenario, conc), value in sorted(ours.items()):
        if scenario not in RPS_GOALS:
            continue
        if measured:
            base: float | None = theirs.get((scenario, conc))
            basis = f"Directus measured here, c{conc}"
        else:
            base = (
                RECORDED_DIRECTUS_RPS[scenario] if conc == RECORDED_DIRECTUS_CONNECTIONS else None
            )
            basis = f"Directus as recorded in the issue, c{RECORDED_DIRECTUS_CONNECTIONS}"
        if base:
            ratio = value / base
            wanted = RPS_GOALS[scenario]
            found.append(
                Goal(
                    f"{scenario} c{conc} req/s",
                    round(ratio, 2),
                    f">= {wanted}x",
                    ratio >= wanted,
                    basis,
                )
            )
    our_peak = peaks.get(("authgate", 1))
    their_peak = peaks.get(("directus", 1)) or (None if measured else RECORDED_DIRECTUS_PEAK_RSS)
    if our_peak and their_peak:
        ratio = our_peak / their_peak
        basis = "Directus measured here" if measured else "Directus recorded: 0.7 GB (low end)"
        found.append(
            Goal(
                "peak RSS, 1 process",
                round(ratio, 3),
                f"<= {MEMORY_GOAL}x",
                ratio <= MEMORY_GOAL,
                basis,
            )
        )
    for row in rows:
        kept = row.flood_ratio()
        if row.target == "authgate" and kept is not None:
            found.append(
                Goal(
                    f"users_me during login flood, {row.processes}p c{row.connections}",
                    kept,
                    f">= {FLOOD_GOAL}",
                    kept >= FLOOD_GOAL,
                    "the same /users/me alone, just before",
                )
            )
    for processes in sorted({r.processes for r in rows if r.target == "authgate"}):
        values = _rps(rows, "authgate", processes)
        for conc in sorted({c for (_, c) in values}):
            small, large = values.get(("items_1k", conc)), values.get(("items_1m", conc))
            if small and large:
                ratio = large / small
                found.append(
                    Goal(
                        f"items 1M vs 1k rows, {processes}p c{conc}",
                        round(ratio, 3),
                        f">= {ITEMS_GOAL}",
                        ratio >= ITEMS_GOAL,
                        "req/s on 1,000 rows",
                    )
                )
        for (scenario, conc), value in sorted(values.items()):
            rest = values.get((GRAPHQL_TWINS.get(scenario, ""), conc))
            if rest:
                ratio = value / rest
                found.append(
                    Goal(
                        f"{scenario} vs REST, {processes}p c{conc}",
                        round(ratio, 3),
                        f">= {GRAPHQL_GOAL}",
                        ratio >= GRAPHQL_GOAL,
                        f"req/s of {GRAPHQL_TWINS[scenario]}",
                    )
                )
    return found


def comparison(rows: list[Row], peaks: Mapping[tuple[str, int], int]) -> str:
    """authgate (1 process) and Directus (1 process) side by side, where both ran."""
    ours = {
        (r.scenario, r.connections): r for r in rows if r.target == "authgate" and r.processes == 1
    }
    theirs = {(r.scenario, r.connections): r for r in rows if r.target == "directus"}
    head = (
        f"{'scenario':<17} {'conc':>4} {'authgate req/s':>15} {'p50':>9} {'p99':>9}   "
        f"{'Directus req/s':>14} {'p50':>9} {'p99':>9} {'ratio':>7}"
    )
    lines = [
        "authgate (1 process) and Directus 12.4 (1 process), side by side",
        head,
        "-" * len(head),
    ]
    for key in sorted(theirs, key=lambda k: (list(ours).index(k) if k in ours else 999, k)):
        a, d = ours.get(key), theirs[key]
        if a is None or a.result is None or d.result is None:
            continue
        ar, dr = a.result, d.result
        ratio = f"{ar.rps / dr.rps:>6.1f}x" if dr.rps else f"{'n/a':>7}"
        lines.append(
            f"{key[0]:<17} {key[1]:>4} {ar.rps:>15,.1f} {_ms(ar.p50_ms):>9} {_ms(ar.p99_ms):>9}   "
            f"{dr.rps:>14,.1f} {_ms(dr.p50_ms):>9} {_ms(dr.p99_ms):>9} {ratio}"
        )
        if a.flood_ratio() is not None or d.flood_ratio() is not None:
            lines.append(
                f"{'':<23}share of /users/me kept during the login flood: authgate "
                f"{a.flood_ratio()}, Directus {d.flood_ratio()}"
            )
    a_peak, d_peak = peaks.get(("authgate", 1), 0), peaks.get(("directus", 1), 0)
    if a_peak and d_peak:
        lines.append(
            f"{'peak RSS':<22} {a_peak / MB:>15,.0f} MB {'':>17} {d_peak / MB:>12,.0f} MB "
            f"{'':>19}{a_peak / d_peak:>6.2f}x"
        )
    return "\n".join(lines)


def goal_lines(found: list[Goal]) -> str:
    lines = ["goals"]
    for goal in found:
        verdict = {True: "met", False: "NOT met", None: "n/a"}[goal.met]
        want = f"(want {goal.wanted})"
        lines.append(f"  {goal.name:<40} {goal.measured!s:>8} {want} {verdict:<8} [{goal.basis}]")
    return "\n".join(lines)


def document(
    rows: list[Row],
    peaks: Mapping[tuple[str, int], int],
    meta: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        **meta,
        **(extra or {}),
        "rows": [row.as_json() for row in rows],
        "overall_peak_rss_mb": {
            f"{target}/{processes}p": round(peak / MB, 1)
            for (target, processes), peak in peaks.items()
        },
        "goals": [goal.as_json() for goal in goals(rows, peaks)],
    }


def by_target(rows: Iterable[Row]) -> dict[tuple[str, int], list[Row]]:
    grouped: dict[tuple[str, int], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.target, row.processes), []).append(row)
    return grouped
