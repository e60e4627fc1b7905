"""The bench's own parsing and goal arithmetic (pure; no server, no wrk)."""

from __future__ import annotations

import pytest
from bench.report import Row, goals
from bench.wrk import WrkError, WrkResult, parse_output

WRK_STDOUT = """Running 10s test @ http://127.0.0.1:8055
  1 threads and 16 connections
  1234 requests in 2.00s, 1.1MB read
BENCH_JSON {"requests":1234,"duration_us":2000000,"bytes":1153433,"errors":{"connect":0,\
"read":1,"write":0,"status":7,"timeout":2},"latency_us":{"p50":1500,"p90":4100,"p99":12345,\
"p999":20000,"mean":2100.5,"max":30500},"statuses":{"200":1227,"503":7},"pool_empty":3}
"""


def test_the_result_line_is_read_from_wrks_output() -> None:
    result = parse_output(WRK_STDOUT)

    assert result.requests == 1234
    assert result.rps == pytest.approx(617.0)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 12.345, 30.5)
    assert (result.non_2xx, result.socket_errors, result.timeouts) == (7, 3, 2)
    assert result.statuses == {200: 1227, 503: 7}
    assert result.pool_empty == 3


@pytest.mark.parametrize("stdout", ["Running 10s test\n", WRK_STDOUT + WRK_STDOUT])
def test_output_without_exactly_one_result_line_is_an_error(stdout: str) -> None:
    with pytest.raises(WrkError):
        parse_output(stdout)


def _result(rps: float) -> WrkResult:
    return WrkResult(int(rps * 10), 10.0, 1.0, 2.0, 3.0, 4.0, 0, 0, 0, {}, 0)


def test_goals_compare_one_process_with_directus_and_the_flood_with_itself() -> None:
    rows = [
        Row("authgate", 1, "users_me_jwt", 16, result=_result(2500)),
        Row("directus", 1, "users_me_jwt", 16, result=_result(400)),
        Row("authgate", 1, "refresh", 16, result=_result(500)),
        Row("directus", 1, "refresh", 16, result=_result(250)),
        Row("authgate", 2, "users_me_flood", 16, result=_result(900), alone=_result(2000)),
    ]
    peaks = {("authgate", 1): 100, ("directus", 1): 800}

    found = {goal.name: (goal.measured, goal.met) for goal in goals(rows, peaks)}

    assert found == {
        "users_me_jwt c16 req/s": (6.25, True),
        "refresh c16 req/s": (2.0, False),
        "peak RSS, 1 process": (0.125, True),
        "users_me during login flood, 2p c16": (0.45, False),
    }


def test_graphql_errors_are_read_and_each_graphql_row_meets_its_rest_twin() -> None:
    counted = WRK_STDOUT.replace('"pool_empty":3}', '"pool_empty":3,"graphql_errors":5}')
    rows = [
        Row("authgate", 1, "users_me_jwt", 16, result=_result(2000)),
        Row("authgate", 1, "gql_users_me", 16, result=_result(1500)),
        Row("authgate", 1, "refresh", 64, result=_result(1000)),
        Row("authgate", 1, "gql_refresh", 64, result=_result(400)),
        Row("authgate", 1, "gql_login", 16, result=_result(12)),  # no REST twin measured
    ]

    found = {goal.name: (goal.measured, goal.met) for goal in goals(rows, {})}

    assert parse_output(counted).graphql_errors == 5
    assert parse_output(WRK_STDOUT).graphql_errors == 0
    assert found == {
        "users_me_jwt c16 req/s": (5.0, True),  # against the recorded Directus figure
        "gql_users_me vs REST, 1p c16": (0.75, True),
        "gql_refresh vs REST, 1p c64": (0.4, False),
    }
