"""X-Request-Id: a valid incoming id is kept, anything else is replaced by a new one, on every
response (errors too)."""

from __future__ import annotations

from tests.conftest import Harness


def test_a_valid_incoming_request_id_is_echoed(harness: Harness) -> None:
    response = harness.client.get("/server/info", headers={"X-Request-Id": "abc-123.DEF:9"})

    assert response.headers["x-request-id"] == "abc-123.DEF:9"


def test_an_invalid_or_missing_request_id_is_replaced_by_a_new_one(harness: Harness) -> None:
    forged = harness.client.get("/server/info", headers={"X-Request-Id": 'x" y {'})
    too_long = harness.client.get("/server/info", headers={"X-Request-Id": "a" * 200})
    missing = [harness.client.get("/users/me").headers["x-request-id"] for _ in range(3)]

    assert forged.headers["x-request-id"] not in ('x" y {', "")
    assert len(too_long.headers["x-request-id"]) < 200
    assert len(set(missing)) == 3
    assert all(len(value) >= 16 for value in missing)
