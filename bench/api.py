"""A small JSON client for seeding through the API (standard library only; loopback only)."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit


class ApiError(Exception):
    """A seeding call did not answer 2xx."""


class Api:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        host = urlsplit(base_url).hostname
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the bench only talks to servers on the loopback interface")
        self.base_url = base_url.rstrip("/")
        self.token = token

    def with_token(self, token: str) -> Api:
        return Api(self.base_url, token)

    def call(self, method: str, path: str, body: Any = None, *, timeout: float = 60) -> Any:
        """The ``data`` of the answer (None for 204); ApiError on any other status."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback URL checked above
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise ApiError(f"{method} {path} -> {error.code} {detail}") from None
        return json.loads(text).get("data") if text else None

    def login(self, email: str, password: str) -> dict[str, Any]:
        data: dict[str, Any] = self.call(
            "POST", "/auth/login", {"email": email, "password": password, "mode": "json"}
        )
        return data

    def logins(self, email: str, password: str, count: int, parallel: int = 8) -> list[str]:
        """``count`` refresh tokens of as many new sessions (``parallel`` logins at a time)."""
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            done = pool.map(lambda _: self.login(email, password)["refresh_token"], range(count))
            return [str(token) for token in done]

    def wait_ready(self, alive: Any, timeout: float = 120) -> None:
        """Poll ``GET /server/ping`` until "pong" (``alive()`` false: the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive():
                raise ApiError("the server exited during start-up")
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback URL checked above
                    self.base_url + "/server/ping", timeout=2
                ) as response:
                    if response.read() == b"pong":
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise ApiError(f"no pong from {self.base_url} within {timeout:.0f} s")


# Access tokens live 15 minutes; a run lasts well under a minute.
JWT_REUSE_SECONDS = 300


class UserFixtures:
    """What both targets seed alike: the bench user (a JWT by a real login, and a static
    token), the custom-policy user (a role whose only policy reads ``directus_users`` with
    ``*``: no app access, nothing on ``directus_access``), the login user and the flood user,
    all with one password."""

    def __init__(self, api: Api, password: str) -> None:
        self.api = api
        self.user_email = "bench-user@example.com"
        self.user_password = password
        self.user_token = f"bench-user-static-{secrets.token_hex(16)}"
        self.custom_email = "bench-custom@example.com"
        self.custom_token = f"bench-custom-static-{secrets.token_hex(16)}"
        self.login_email = "bench-login@example.com"
        self.login_password = password
        self.flood_email = "bench-flood@example.com"
        self._jwts: dict[str, tuple[str, float]] = {}

    def _jwt_of(self, email: str) -> str:
        found = self._jwts.get(email)
        if found is None or time.monotonic() - found[1] > JWT_REUSE_SECONDS:
            token = str(self.api.login(email, self.user_password)["access_token"])
            found = self._jwts[email] = (token, time.monotonic())
        return found[0]

    def forget_jwts(self) -> None:
        """A server restarted with another ``AUTH_JWT_ALGORITHM`` refuses the JWTs kept."""
        self._jwts.clear()

    def jwt(self) -> str:
        return self._jwt_of(self.user_email)

    def static_token(self) -> str:
        return self.user_token

    def api_key(self) -> str:
        raise RuntimeError("this target has no API keys (see its lacks)")

    def custom_jwt(self) -> str:
        return self._jwt_of(self.custom_email)

    def custom_static_token(self) -> str:
        return self.custom_token
