"""web/cors.py: which origin is answered, and when credentials are allowed."""

from __future__ import annotations

from starlette.datastructures import Headers

from authgate.config.cors import CorsSettings
from authgate.web.cors import Cors


def _headers(config: CorsSettings, origin: str) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in Cors(config).response_headers(origin)}


def test_star_answers_a_literal_star_and_never_allows_credentials() -> None:
    config = CorsSettings(enabled=True, origins=("*",), credentials=True)

    headers = _headers(config, "https://evil.example")

    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers
    assert "vary" not in headers


def test_star_in_a_list_is_still_a_literal_star() -> None:
    config = CorsSettings(enabled=True, origins=("https://app.example", "*"), credentials=True)

    assert _headers(config, "https://evil.example")["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in _headers(config, "https://evil.example")


def test_true_reflects_the_origin_with_credentials() -> None:
    config = CorsSettings(enabled=True, reflect_origin=True, credentials=True)

    headers = _headers(config, "https://app.example")

    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["vary"] == "Origin"


def test_a_list_reflects_only_its_own_origins() -> None:
    config = CorsSettings(enabled=True, origins=("https://app.example",), credentials=True)

    listed = _headers(config, "https://app.example")
    other = _headers(config, "https://evil.example")

    assert listed["access-control-allow-origin"] == "https://app.example"
    assert listed["access-control-allow-credentials"] == "true"
    assert other == {}


def test_a_preflight_for_star_answers_star() -> None:
    config = CorsSettings(enabled=True, origins=("*",))
    request = Headers({"origin": "https://evil.example", "access-control-request-method": "GET"})

    response = Cors(config).preflight(request)

    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "GET,POST,PATCH,DELETE"
    assert _headers(config, "https://evil.example")["access-control-allow-origin"] == "*"
