"""``python -m conformance``: start both servers, seed, run every case on both, compare,
write the report, print ``N cases, N differences, N documented``; non-zero exit on any
difference that differences.toml does not document."""

from __future__ import annotations

import argparse
import fnmatch
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from conformance import corpus, documented, flows, mutations, saved
from conformance.cases import Case, Flow, World
from conformance.client import Request, Response
from conformance.diff import Difference, compare
from conformance.fixtures import seed
from conformance.normalise import Context, normalise
from conformance.report import write_report
from conformance.servers import Authgate, Directus, remove_tree

CHECKOUT = Path(__file__).resolve().parent.parent
Outcome = list[tuple[str, str, Response]]  # (case name, request line, response)
CORS_MARK = " [Origin]"  # request lines of requests that sent an Origin header


@dataclass
class Result:
    cases: int
    differences: list[Difference]
    requests: dict[str, str]


def all_cases() -> list[Case]:
    return corpus.cases() + mutations.cases()


def unordered_names() -> set[str]:
    return {case.name for case in all_cases() if case.unordered}


def run_on(world: World, cases: list[Case], flow_list: list[Flow]) -> Outcome:
    outcome: Outcome = [(f"SEED {name}", "", answer) for name, answer in seed(world)]
    for case in cases:
        request = case.request(world)
        outcome.append((case.name, _line(request), world.send(request)))
    for flow in flow_list:
        try:
            steps = flow.script(world)
        except Exception as exc:  # a broken flow is a difference, not a crash of the run
            steps = [("crashed", Response(0, [("x-conformance-error", repr(exc))], b""))]
        outcome += [(f"{flow.name} / {step}", "", answer) for step, answer in steps]
    return outcome


def _line(request: Request) -> str:
    target = request.target if len(request.target) < 200 else request.target[:200] + "..."
    origin = any(name.lower() == "origin" for name, _ in request.headers)
    return f"{request.method} {target}{CORS_MARK if origin else ''}"


def differences(
    ours: Outcome, theirs: Outcome, octx: Context, tctx: Context, unordered: set[str]
) -> Result:
    mine = {name: answer for name, _, answer in ours}
    other = {name: answer for name, _, answer in theirs}
    requests = {name: line for name, line, _ in ours + theirs if line}
    names = list(dict.fromkeys([*mine, *other]))
    diffs: list[Difference] = []
    for name in names:
        # CORS headers are read by browsers only, which always send Origin: compared then.
        cors = requests.get(name, "").endswith(CORS_MARK)
        loose = name in unordered
        a = normalise(mine[name], octx, cors, loose) if name in mine else {"status": "<no step>"}
        b = normalise(other[name], tctx, cors, loose) if name in other else {"status": "<no step>"}
        diffs += compare(name, a, b)
    return Result(len(names), diffs, requests)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__)
    parser.add_argument("--report", type=Path, default=CHECKOUT / "conformance-report.txt")
    parser.add_argument(
        "--reference", type=Path, default=CHECKOUT.parent / "shared" / "reference" / "directus"
    )
    parser.add_argument("--only", default="*", help="fnmatch pattern on case names")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--save", type=Path, help="also write both servers' raw answers here")
    parser.add_argument("--replay", type=Path, help="compare the answers saved by --save")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    if args.replay:
        ours, theirs, octx, tctx = saved.load(args.replay)
        return finish(args, differences(ours, theirs, octx, tctx, unordered_names()), started)
    work = Path(tempfile.mkdtemp(prefix="authgate-conformance-"))
    directus = Directus(args.reference.resolve(), work)
    authgate = Authgate(CHECKOUT, args.reference.resolve(), work)
    keep = args.keep
    try:
        with ThreadPoolExecutor(2) as pool:
            ours_f = pool.submit(authgate.start)
            theirs_f = pool.submit(directus.start)
            ours_server, theirs_server = ours_f.result(), theirs_f.result()
        print(
            f"[conformance] servers up after {time.monotonic() - started:.0f}s: "
            f"authgate {ours_server.base}, directus {theirs_server.base}",
            flush=True,
        )
        cases = [c for c in all_cases() if fnmatch.fnmatchcase(c.name, args.only)]
        flow_list = [f for f in flows.FLOWS if fnmatch.fnmatchcase(f.name, args.only)]
        worlds = World(ours_server), World(theirs_server)
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(run_on, world, cases, flow_list) for world in worlds]
            ours, theirs = runs[0].result(), runs[1].result()
        octx, tctx = _ctx(worlds[0]), _ctx(worlds[1])
        if args.save:
            saved.dump(args.save, ours, theirs, octx, tctx)
        result = differences(ours, theirs, octx, tctx, unordered_names())
    except RuntimeError as exc:  # a server did not install or start: say so, keep its logs
        print(f"[conformance] {exc}", file=sys.stderr)
        keep = True
        return 2
    finally:
        authgate.stop()
        directus.stop()
        if keep:
            print(f"[conformance] kept {work} (logs: */run.log, directus/directus.log)")
        else:
            remove_tree(work)
    return finish(args, result, started)


def finish(args: argparse.Namespace, result: Result, started: float) -> int:
    entries = documented.load()
    explained = [(d, documented.explain(d, entries)) for d in result.differences]
    write_report(args.report, result.cases, explained, result.requests)
    undocumented = sum(1 for _, entry in explained if entry is None)
    print(f"[conformance] report: {args.report} ({time.monotonic() - started:.0f}s)")
    documented_count = len(explained) - undocumented
    print(f"{result.cases} cases, {len(explained)} differences, {documented_count} documented")
    return 1 if undocumented else 0


def _ctx(world: World) -> Context:
    return Context(world.server.base, dict(world.labels))
