"""Both servers' raw answers in one JSON file (``--save``), to compare again (``--replay``)
after changing the normaliser or differences.toml without running the servers."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from conformance.client import Response
from conformance.normalise import Context

Outcome = list[tuple[str, str, Response]]


def _out(outcome: Outcome) -> list[dict[str, Any]]:
    return [
        {
            "name": n,
            "line": line,
            "status": r.status,
            "headers": r.headers,
            "body": base64.b64encode(r.body).decode(),
        }
        for n, line, r in outcome
    ]


def _in(rows: list[dict[str, Any]]) -> Outcome:
    return [
        (
            row["name"],
            row["line"],
            Response(
                row["status"], [tuple(h) for h in row["headers"]], base64.b64decode(row["body"])
            ),
        )
        for row in rows
    ]


def dump(path: Path, ours: Outcome, theirs: Outcome, octx: Context, tctx: Context) -> None:
    data = {
        "authgate": _out(ours),
        "directus": _out(theirs),
        "contexts": [[octx.base, octx.labels], [tctx.base, tctx.labels]],
    }
    path.write_text(json.dumps(data))


def load(path: Path) -> tuple[Outcome, Outcome, Context, Context]:
    data = json.loads(path.read_text())
    (ob, ol), (tb, tl) = data["contexts"]
    return _in(data["authgate"]), _in(data["directus"]), Context(ob, ol), Context(tb, tl)
