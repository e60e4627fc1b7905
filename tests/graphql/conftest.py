"""Helpers for the GraphQL tests: posting documents, reading mailed tokens, and the data-API
world (collections and the five kinds of caller) of ``tests/data``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx

from tests.conftest import Harness
from tests.data.conftest import Caller, World, articles, world

SYSTEM = "/graphql/system"
ITEMS = "/graphql"


def gql(
    harness: Harness,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str = SYSTEM,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return harness.client.post(path, json=body, headers=headers or {})


def data(response: httpx.Response) -> Any:
    """The ``data`` of a 200 answer without errors."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def error(response: httpx.Response) -> dict[str, Any]:
    """The one resolver error of a 200 answer."""
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    first: dict[str, Any] = errors[0]
    return first


def code(response: httpx.Response) -> str:
    """The code of a resolver error (200) or of a refused request (4xx)."""
    found: str = response.json()["errors"][0]["extensions"]["code"]
    return found


def mailed_token(harness: Harness, email: str) -> str:
    mail = [m for m in harness.outbox.sent if m.to == email][-1]
    url: str = mail.data["url"]
    return parse_qs(urlsplit(url).query)["token"][0]


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header text)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header
    return found


__all__ = ["Caller", "World", "articles", "world"]
