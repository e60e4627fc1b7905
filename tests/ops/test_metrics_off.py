"""Metrics are off unless METRICS_ENABLED: no /metrics route (404, as in Directus)."""

from __future__ import annotations

from tests.conftest import Harness


def test_metrics_route_is_absent_by_default(harness: Harness) -> None:
    response = harness.client.get("/metrics", headers=harness.admin)

    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "ROUTE_NOT_FOUND"
