"""GET /metrics: Prometheus text for admins and listed scraper tokens, 403 for anyone else (as
Directus), with requests per route template, logins and refreshes by outcome, hashing."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Harness

SCRAPER = "scraper-token-0123456789"
ENV = {"METRICS_ENABLED": "true", "METRICS_TOKENS": f"other-token,{SCRAPER}"}


def _value(text: str, name: str, **labels: str) -> float:
    """The sample of ``name`` whose labels include ``labels`` (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(2))
    return total


def _scrape(harness: Harness) -> str:
    response = harness.client.get("/metrics", headers={"Authorization": f"Metrics {SCRAPER}"})
    assert response.status_code == 200, response.text
    return response.text


def test_admins_and_listed_tokens_read_metrics_others_get_403(harness: Harness) -> None:
    user = harness.create_user()
    as_admin = harness.client.get("/metrics", headers=harness.admin)
    as_scraper = harness.client.get("/metrics", headers={"Authorization": f"Metrics {SCRAPER}"})
    forbidden = [
        harness.client.get("/metrics"),
        harness.client.get("/metrics", headers=harness.bearer(user["email"])),
        harness.client.get("/metrics", headers={"Authorization": "Metrics wrong-token"}),
        harness.client.get("/metrics", headers={"Authorization": f"metrics {SCRAPER}"}),
        harness.client.get("/metrics", headers={"Authorization": f"Metrics {SCRAPER} x"}),
    ]

    assert as_admin.status_code == 200
    assert as_admin.headers["content-type"].startswith("text/plain")
    assert "# TYPE authgate_http_requests_total counter" in as_admin.text
    assert as_scraper.status_code == 200
    for response in forbidden:
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_requests_are_counted_per_route_template_and_status(harness: Harness) -> None:
    user = harness.create_user()
    before = _scrape(harness)
    for _ in range(3):
        assert harness.client.get(f"/users/{user['id']}", headers=harness.admin).status_code == 200
    assert harness.client.get("/users/not-a-user", headers=harness.admin).status_code == 403
    after = _scrape(harness)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("authgate_http_requests_total", route="/users/{key}", status="200") == 3
    assert delta("authgate_http_requests_total", route="/users/{key}", status="403") == 1
    assert delta("authgate_http_request_duration_seconds_count", route="/users/{key}") == 4
    assert f"/users/{user['id']}" not in after  # templates, never the ids of the path


def test_logins_and_refreshes_by_outcome(harness: Harness) -> None:
    before = _scrape(harness)
    tokens = harness.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)
    assert harness.login(ADMIN_EMAIL, "wrong-password").status_code == 401
    refresh = tokens["refresh_token"]
    rotated = harness.client.post("/auth/refresh", json={"refresh_token": refresh})
    repeat = harness.client.post("/auth/refresh", json={"refresh_token": refresh})
    harness.clock.advance(60)  # past the grace period: a reuse revokes the chain
    reused = harness.client.post("/auth/refresh", json={"refresh_token": refresh})
    after = _scrape(harness)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert (rotated.status_code, repeat.status_code, reused.status_code) == (200, 200, 401)
    assert delta("authgate_login_total", outcome="success") == 1
    assert delta("authgate_login_total", outcome="invalid_credentials") == 1
    assert delta("authgate_refresh_total", outcome="rotated") == 1
    assert delta("authgate_refresh_total", outcome="grace") == 1
    assert delta("authgate_refresh_total", outcome="reuse_detected") == 1
    assert delta("authgate_hash_wait_seconds_count") >= 2  # both logins hashed
    assert _value(after, "authgate_hash_queue") == 0
    assert "authgate_db_connections" in after
    if harness.backend == "postgres":  # Redis holds the login counters there
        assert "# TYPE authgate_redis_connections gauge" in after
        assert _value(after, "authgate_redis_connections") == 0  # every one given back
