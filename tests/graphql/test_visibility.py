"""A caller's schema shows only what its permissions allow, and follows every change at once on
every instance: two applications on one database (and one Redis) stand for two instances
behind a load balancer; each caches schemas by the shared epoch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from authgate.access.model import PUBLIC_POLICY_ID
from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.graphql.engine import GraphQLEngine
from authgate.mail.outbox import MemoryOutbox
from authgate.web.pipeline import Pipeline
from tests.conftest import ADMIN_TOKEN, settings_for_tests
from tests.support.backends import postgres_database, redis_namespace, sqlite_database
from tests.support.clock import FrozenClock

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FIELDS = '{ __type(name: "notes") { fields { name } } }'


@pytest.fixture(scope="module", params=["sqlite", "postgres+redis"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, TestClient]]:
    tmp = tmp_path_factory.mktemp("graphql-pair")
    with ExitStack() as stack:
        if request.param == "sqlite":
            env = stack.enter_context(sqlite_database(tmp))
        else:
            env = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        settings = settings_for_tests(tmp, env)
        bootstrap(settings)
        clock = FrozenClock()
        one, two = (
            stack.enter_context(
                TestClient(create_app(settings, clock=clock, outbox=MemoryOutbox()))
            )
            for _ in range(2)
        )
        created = one.post(
            "/collections",
            json={
                "collection": "notes",
                "fields": [
                    {"field": "body", "type": "string"},
                    {"field": "secret", "type": "string"},
                ],
            },
            headers=ADMIN,
        )
        assert created.status_code == 200, created.text
        one.post("/items/notes", json={"body": "hello", "secret": "s3"}, headers=ADMIN)
        yield one, two


def _query(client: TestClient, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/graphql", json={"query": query}, headers=headers or {})


def _root_fields(client: TestClient, headers: dict[str, str] | None = None) -> set[str]:
    response = _query(client, "{ __schema { queryType { fields { name } } } }", headers)
    return {f["name"] for f in response.json()["data"]["__schema"]["queryType"]["fields"]}


def test_an_anonymous_schema_lacks_what_it_cannot_read(pair: tuple[TestClient, TestClient]) -> None:
    one, _ = pair

    anonymous = _root_fields(one)
    admin = _root_fields(one, ADMIN)

    assert anonymous == {"_empty"}
    assert {"notes", "notes_by_id", "notes_aggregated"} <= admin
    assert not any(name.startswith("directus_") or name.startswith("users") for name in admin)


def test_a_grant_on_one_instance_shows_on_the_other_at_its_next_request(
    pair: tuple[TestClient, TestClient],
) -> None:
    one, two = pair
    before = _query(two, "{ notes { body } }")  # builds and caches the anonymous schema
    granted = one.post(
        "/permissions",
        json={
            "policy": PUBLIC_POLICY_ID,
            "collection": "notes",
            "action": "read",
            "fields": ["body"],
        },
        headers=ADMIN,
    ).json()["data"]
    try:
        after = _query(two, "{ notes { body } }")
        fields = _query(two, FIELDS)
        hidden = _query(two, "{ notes { secret } }")
    finally:
        one.delete(f"/permissions/{granted['id']}", headers=ADMIN)
    revoked = _query(two, "{ notes { body } }")

    assert before.status_code == 400
    assert after.json() == {"data": {"notes": [{"body": "hello"}]}}
    assert {f["name"] for f in fields.json()["data"]["__type"]["fields"]} == {"body"}
    assert hidden.status_code == 400
    assert revoked.status_code == 400


def test_a_new_field_shows_on_the_other_instance(pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    before = _query(two, FIELDS, ADMIN)
    one.post("/fields/notes", json={"field": "mood", "type": "string"}, headers=ADMIN)
    try:
        after = _query(two, FIELDS, ADMIN)
    finally:
        one.delete("/fields/notes/mood", headers=ADMIN)
    dropped = _query(two, FIELDS, ADMIN)

    def names(response: Any) -> set[str]:
        return {f["name"] for f in response.json()["data"]["__type"]["fields"]}

    assert "mood" not in names(before)
    assert "mood" in names(after)
    assert "mood" not in names(dropped)


def test_schemas_are_cached_per_permission_set(pair: tuple[TestClient, TestClient]) -> None:
    one, _ = pair
    assert isinstance(one.app, Pipeline)
    sdl = one.app.services.graphql_sdl  # app.py binds the engine's sdl to GraphQL's services
    assert isinstance(sdl, partial)
    engine = getattr(sdl.func, "__self__", None)
    assert isinstance(engine, GraphQLEngine)
    _query(one, "{ notes { body } }", ADMIN)
    cached = len(engine.schemas.entries)

    for _ in range(3):
        _query(one, "{ notes { body } }", ADMIN)
        _query(one, "{ _empty }")

    assert len(engine.schemas.entries) <= cached + 1  # the anonymous one, once
