"""The deliberate differences, read from differences.toml, and the matching of a found
difference against them. Each entry names the README "Differences from Directus" item."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from conformance.diff import Difference

FILE = Path(__file__).with_name("differences.toml")


@dataclass(frozen=True)
class Documented:
    item: int  # README "Differences from Directus" item number
    case: str  # fnmatch pattern on the case name
    aspect: str  # fnmatch pattern on the aspect
    authgate: str | None  # optional fnmatch pattern on authgate's (normalised) value
    directus: str | None
    why: str
    # Optional: the values are equal once these (old, new) replacements are made in
    # authgate's value (e.g. a quoting style), so nothing else may differ.
    same_after: tuple[tuple[str, str], ...] = ()

    def matches(self, diff: Difference) -> bool:
        if not (
            fnmatchcase(diff.case, self.case)
            and fnmatchcase(diff.aspect, self.aspect)
            and (self.authgate is None or fnmatchcase(diff.authgate, self.authgate))
            and (self.directus is None or fnmatchcase(diff.directus, self.directus))
        ):
            return False
        if not self.same_after:
            return True
        value = diff.authgate
        for old, new in self.same_after:
            value = value.replace(old, new)
        return value == diff.directus


def load(path: Path = FILE) -> list[Documented]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries: list[Documented] = []
    for raw in data.get("difference", []):
        item = raw["item"]
        if not isinstance(item, int) or item < 1:
            raise ValueError(f"{path}: every difference needs its README item number: {raw}")
        entries.append(
            Documented(
                item=item,
                case=str(raw.get("case", "*")),
                aspect=str(raw.get("aspect", "*")),
                authgate=raw.get("authgate"),
                directus=raw.get("directus"),
                why=str(raw["why"]),
                same_after=tuple((str(a), str(b)) for a, b in raw.get("same_after", [])),
            )
        )
    return entries


def explain(diff: Difference, entries: list[Documented]) -> Documented | None:
    for entry in entries:
        if entry.matches(diff):
            return entry
    return None
