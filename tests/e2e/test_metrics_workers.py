"""Metrics add up across WORKERS processes: whichever worker answers the scrape, it counts
the requests every worker served (prometheus-client's multi-process mode, set up by serve)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import httpx2 as httpx
import pytest

from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import Mailbox, Server, start_server

pytestmark = pytest.mark.e2e

TOKEN = "e2e-metrics-token-0123456789"


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    env = {"WORKERS": "2", "METRICS_ENABLED": "true", "METRICS_TOKENS": TOKEN}
    with ExitStack() as stack:
        yield start_server(
            "sqlite", stack, tmp_path_factory.mktemp("metrics-workers"), mailbox, env
        )


def _count(text: str, route: str) -> float:
    pattern = rf'^authgate_http_requests_total\{{[^}}]*route="{re.escape(route)}"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def test_counts_add_up_across_worker_processes(workers: Server) -> None:
    assert workers.mailbox is not None
    for _ in range(40):  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{workers.url}/server/info").status_code == 200
    email = unique_email("metrics")
    workers.create_user(email, PASSWORD)
    response = httpx.post(f"{workers.url}/auth/password/request", json={"email": email})
    assert response.status_code == 204
    workers.mailbox.next_for(email)

    scrapes = [
        httpx.get(f"{workers.url}/metrics", headers={"Authorization": f"Metrics {TOKEN}"})
        for _ in range(6)
    ]

    for scrape in scrapes:
        assert scrape.status_code == 200, scrape.text
        assert _count(scrape.text, "/server/info") == 40
        assert 'authgate_mail_total{outcome="sent"} 1.0' in scrape.text
