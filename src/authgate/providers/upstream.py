"""Calls to an identity provider over HTTP, each bounded in time and size, every failure an
``AuthError`` with the spec's code (never an exception from the HTTP library).

* the whole exchange (connect, send, every byte of the answer) must finish within the
  provider's timeout (``CLIENT_HTTP_TIMEOUT``); a socket that never answers costs that long;
* answers larger than ``MAX_BODY`` are refused rather than buffered;
* token endpoint errors follow spec §6.7.3: ``invalid_grant`` is ``403 INVALID_TOKEN``, any
  other error or an unusable answer ``503 SERVICE_UNAVAILABLE`` (service ``oauth2``/``openid``),
  and nothing secret (codes, tokens, client secrets) is logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2
import orjson

from authgate.errors import AuthError, Code, service_unavailable

log = logging.getLogger("authgate.providers")

MAX_BODY = 1 << 20


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any  # the JSON body, or None when it is not JSON

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _parse(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def basic_auth(client_id: str, client_secret: str) -> str:
    """``client_secret_basic`` (RFC 6749 §2.3.1: both parts form-encoded first)."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


class Upstream:
    """One provider's outbound calls (``service`` names it in errors: ``oauth2``/``openid``)."""

    def __init__(
        self, http: httpx2.AsyncClient, *, service: str, provider: str, timeout: float
    ) -> None:
        self.http = http
        self.service = service
        self.provider = provider
        self.timeout = timeout

    def unavailable(self, why: str) -> AuthError:
        log.warning("%s (%s): %s", self.provider, self.service, why)
        return service_unavailable(self.service, f"Service returned unexpected response: {why}")

    async def request(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One call, bounded by the timeout as a whole.

        Raises:
            AuthError: ``SERVICE_UNAVAILABLE`` when the provider cannot be reached, is too slow,
                or answers more than ``MAX_BODY``.
        """
        all_headers = {"Accept": "application/json", **(headers or {})}
        try:
            async with asyncio.timeout(self.timeout):
                async with self.http.stream(
                    method,
                    url,
                    data=dict(form) if form is not None else None,
                    headers=all_headers,
                    timeout=self.timeout,
                    follow_redirects=method == "GET",
                ) as response:
                    raw = await _read_bounded(response)
                    return Answer(response.status_code, _parse(raw))
        except TimeoutError:
            raise self.unavailable(f"no answer within {self.timeout:g}s") from None
        except httpx2.TimeoutException:
            raise self.unavailable(f"no answer within {self.timeout:g}s") from None
        except httpx2.HTTPError as exc:
            raise self.unavailable(
                f"cannot reach the provider ({exc.__class__.__name__})"
            ) from None
        except _TooLarge:
            raise self.unavailable("answer too large") from None

    async def get_json(self, url: str, *, bearer: str | None = None) -> dict[str, Any]:
        """A JSON object from ``url`` (discovery, JWKS, userinfo)."""
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else None
        answer = await self.request("GET", url, headers=headers)
        if not answer.ok:
            raise self.unavailable(f"HTTP {answer.status} from {_where(url)}")
        if not isinstance(answer.data, dict):
            raise self.unavailable(f"no JSON object from {_where(url)}")
        return answer.data

    async def token(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """A token endpoint's successful answer (``access_token`` present).

        Raises:
            AuthError: ``INVALID_TOKEN`` for ``invalid_grant``, ``SERVICE_UNAVAILABLE`` else.
        """
        answer = await self.request("POST", url, form=form, headers=headers)
        data = answer.data if isinstance(answer.data, dict) else {}
        if not answer.ok or "error" in data:
            raise self.token_error(answer.status, data)
        if not isinstance(data.get("access_token"), str):
            raise self.unavailable("the token endpoint gave no access_token")
        return data

    def token_error(self, status: int, data: Mapping[str, Any]) -> AuthError:
        error = data.get("error")
        if error == "invalid_grant":
            log.info("%s (%s): the provider refused the grant", self.provider, self.service)
            return AuthError(Code.INVALID_TOKEN)
        description = data.get("error_description") or error or f"HTTP {status}"
        return self.unavailable(str(description)[:200])


async def _read_bounded(response: httpx2.Response) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _where(url: str) -> str:
    """A URL for a log line or an error: without its query, which may carry secrets."""
    return url.split("?", 1)[0]


def fetch_json_sync(url: str, *, timeout: float) -> dict[str, Any] | str:
    """A JSON object fetched at start-up (OpenID discovery), or why it could not be had."""
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx2.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > MAX_BODY:
                return "answer too large"
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > MAX_BODY:
                    return "answer too large"
                if time.monotonic() > deadline:  # a server that drips its answer
                    return f"no answer within {timeout:g}s"
            status = response.status_code
    except httpx2.TimeoutException:
        return f"no answer within {timeout:g}s"
    except httpx2.HTTPError as exc:
        return f"cannot reach it ({exc.__class__.__name__})"
    if not 200 <= status < 300:
        return f"HTTP {status}"
    data = _parse(raw)
    return data if isinstance(data, dict) else "not a JSON object"
