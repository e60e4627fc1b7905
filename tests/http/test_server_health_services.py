"""``HEALTHCHECK_SERVICES`` chooses what ``/server/health`` checks, as in Directus."""

from __future__ import annotations

from tests.conftest import Harness

ENV = {"HEALTHCHECK_SERVICES": "database"}


def test_only_the_listed_services_are_checked(harness: Harness) -> None:
    body = harness.client.get("/server/health", headers=harness.admin).json()

    name = "sqlite3" if harness.backend == "sqlite" else "pg"
    assert sorted(body["checks"]) == sorted(
        f"{name}:{key}" for key in ("responseTime", "connectionsAvailable", "connectionsUsed")
    )
