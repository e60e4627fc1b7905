"""``/server/health`` has Directus's checks: the database's response time and pool
connections, and mail (``EMAIL_VERIFY_SETUP``); administrators get them, other signed-in users
the status only, anonymous callers a 403."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, unique_email


def _caller(harness: Harness, kind: str) -> dict[str, str]:
    if kind == "admin":
        return harness.admin
    role = None
    if kind != "role-less":
        role = harness.create_role(f"Health {kind} {unique_email()}", app=kind == "app")
        harness.grant(role, "directus_users", "read")
    return harness.bearer(harness.create_user(unique_email("health"), role=role)["email"])


def test_administrators_get_directus_checks(harness: Harness) -> None:
    response = harness.client.get("/server/health", headers=harness.admin)

    body = response.json()
    name = "sqlite3" if harness.backend == "sqlite" else "pg"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/health+json; charset=utf-8"
    assert list(body) == ["status", "releaseId", "serviceId", "checks"]
    assert body["status"] in ("ok", "warn")
    checks = body["checks"]
    assert set(checks) >= {
        f"{name}:responseTime",
        f"{name}:connectionsAvailable",
        f"{name}:connectionsUsed",
        "email:connection",
    }
    for key in ("connectionsAvailable", "connectionsUsed"):
        [entry] = checks[f"{name}:{key}"]
        assert set(entry) == {"status", "componentType", "observedValue"}
        assert entry["status"] == "ok"
        assert entry["componentType"] == "datastore"
        assert isinstance(entry["observedValue"], int)
        assert entry["observedValue"] >= 0
    assert checks["email:connection"] == [{"status": "ok", "componentType": "email"}]
    [timing] = checks[f"{name}:responseTime"]
    assert set(timing) == {"status", "componentType", "observedUnit", "observedValue", "threshold"}
    if harness.backend == "postgres":  # the tests' PostgreSQL runs with Redis
        [cache] = checks["redis:responseTime"]
        assert (cache["componentType"], cache["observedUnit"], cache["threshold"]) == (
            "cache",
            "ms",
            150,
        )


@pytest.mark.parametrize("kind", ["custom", "app", "role-less"])
def test_other_users_get_the_status_only(harness: Harness, kind: str) -> None:
    response = harness.client.get("/server/health", headers=_caller(harness, kind))

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_anonymous_callers_are_refused(harness: Harness) -> None:
    response = harness.client.get("/server/health")

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
