"""The readable report of every difference: undocumented first, grouped by case."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from conformance.diff import Difference
from conformance.documented import Documented

PER_CASE = 30  # aspects shown per case; the count is always complete
WIDTH = 400


def _cut(text: str) -> str:
    return text if len(text) <= WIDTH else f"{text[:WIDTH]}... ({len(text)} chars)"


def write_report(
    path: Path,
    cases: int,
    explained: list[tuple[Difference, Documented | None]],
    requests: dict[str, str],
) -> None:
    undocumented: dict[str, list[Difference]] = defaultdict(list)
    documented: dict[str, list[tuple[Difference, Documented]]] = defaultdict(list)
    for diff, entry in explained:
        if entry is None:
            undocumented[diff.case].append(diff)
        else:
            documented[diff.case].append((diff, entry))
    total_undoc = sum(len(v) for v in undocumented.values())
    lines = [
        "authgate vs Directus 12.4.0: differential conformance report",
        f"{cases} cases, {len(explained)} differences, {len(explained) - total_undoc} documented",
        "",
        f"UNDOCUMENTED: {total_undoc} differences in {len(undocumented)} cases",
        "",
    ]
    for case, diffs in undocumented.items():
        lines.append(f"== {case}    ({requests.get(case, 'flow step')})")
        for diff in diffs[:PER_CASE]:
            lines.append(f"   {diff.aspect}")
            lines.append(f"      authgate: {_cut(diff.authgate)}")
            lines.append(f"      directus: {_cut(diff.directus)}")
        if len(diffs) > PER_CASE:
            lines.append(f"   ... and {len(diffs) - PER_CASE} more aspects")
        lines.append("")
    lines.append(
        f"DOCUMENTED: {len(explained) - total_undoc} differences in {len(documented)} cases"
    )
    lines.append("")
    for case, pairs in documented.items():
        for diff, entry in pairs[:PER_CASE]:
            lines.append(
                f"   [item {entry.item}] {case} :: {diff.aspect}: "
                f"authgate {_cut(diff.authgate)} / directus {_cut(diff.directus)}"
            )
    path.write_text("\n".join(lines) + "\n")
