"""Running wrk with bench/scenario.lua, and reading the one JSON line its done() prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("scenario.lua")
MARKER = "BENCH_JSON "
# Above the slowest answer we expect (a login queued behind a flood of argon2 hashes): a
# request that times out is left out of wrk's latency figures, so it must not happen quietly.
TIMEOUT = "30s"


class WrkError(Exception):
    """wrk did not run, or printed no result line."""


@dataclass(frozen=True)
class Request:
    """What every request of a run looks like (the pool, if any, varies the body)."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None  # JSON text; "__POOL__" in it is replaced per request
    pool: tuple[str, ...] = ()  # one-use values for __POOL__ (refresh tokens)
    count_statuses: bool = False
    # GraphQL answers its errors with HTTP 200: count the responses carrying "errors".
    graphql: bool = False


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int  # responses with a status of 400 or more (wrk's "status errors")
    socket_errors: int  # connect, read, write errors and timeouts
    timeouts: int
    statuses: Mapping[int, int]  # only when counted (pools, logins)
    pool_empty: int
    graphql_errors: int = 0  # GraphQL requests only: 200 responses carrying "errors"

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "rps": round(self.rps, 1),
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
            "timeouts": self.timeouts,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "pool_empty": self.pool_empty,
            "graphql_errors": self.graphql_errors,
        }


def parse_output(stdout: str) -> WrkResult:
    """The result line of scenario.lua's done(), from wrk's whole standard output."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if len(lines) != 1:
        raise WrkError(f"expected one {MARKER.strip()} line in wrk's output, found {len(lines)}")
    data = json.loads(lines[0][len(MARKER) :])
    errors = data["errors"]
    latency = data["latency_us"]
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=int(data["duration_us"]) / 1e6,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        non_2xx=int(errors["status"]),
        socket_errors=sum(int(errors[k]) for k in ("connect", "read", "write", "timeout")),
        timeouts=int(errors["timeout"]),
        statuses={int(code): int(n) for code, n in data["statuses"].items()},
        pool_empty=int(data["pool_empty"]),
        graphql_errors=int(data.get("graphql_errors", 0)),
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed: apt-get install wrk (bench/run does it as root)")
    return found


def command(base_url: str, connections: int, seconds: float, threads: int = 1) -> list[str]:
    return [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={TIMEOUT}",
        "-s",
        str(SCRIPT),
        base_url,
    ]


def environment(request: Request, pool_file: Path | None, threads: int = 1) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BENCH_METHOD": request.method,
        "BENCH_PATH": request.path,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in request.headers.items()),
        "BENCH_THREADS": str(threads),
        "BENCH_COUNT_STATUSES": "1" if request.count_statuses or request.pool else "0",
        "BENCH_GRAPHQL": "1" if request.graphql else "0",
    }
    if request.body is not None:
        env["BENCH_BODY"] = request.body
    if pool_file is not None:
        env["BENCH_POOL"] = str(pool_file)
    return env


class Run:
    """One wrk process in the background; ``result()`` waits for it (bounded) and parses."""

    def __init__(
        self,
        base_url: str,
        request: Request,
        *,
        connections: int,
        seconds: float,
        workdir: Path,
    ) -> None:
        self.seconds = seconds
        self._pool_file: Path | None = None
        if request.pool:
            fd, name = _private_file(workdir, "pool-")
            with os.fdopen(fd, "w") as out:
                out.write("\n".join(request.pool) + "\n")
            self._pool_file = Path(name)
        self._process = subprocess.Popen(  # noqa: S603 - wrk with arguments we built
            command(base_url, connections, seconds),
            env=environment(request, self._pool_file),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._output: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def result(self) -> WrkResult:
        with self._lock:
            if self._output is None:
                try:
                    self._output = self._process.communicate(timeout=self.seconds + 60)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.communicate()
                    raise WrkError("wrk did not finish in time") from None
                finally:
                    if self._pool_file is not None:
                        self._pool_file.unlink(missing_ok=True)
        stdout, stderr = self._output
        if self._process.returncode != 0:
            raise WrkError(f"wrk exited with {self._process.returncode}: {stderr.strip()[:300]}")
        return parse_output(stdout)


def run(
    base_url: str, request: Request, *, connections: int, seconds: float, workdir: Path
) -> WrkResult:
    return Run(
        base_url, request, connections=connections, seconds=seconds, workdir=workdir
    ).result()


def _private_file(folder: Path, prefix: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=prefix, dir=folder)  # mode 0600: it holds refresh tokens
