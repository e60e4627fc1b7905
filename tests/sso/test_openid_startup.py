"""OpenID providers at start-up and in a real server: a misconfigured provider stops the start
naming the variable, a failed discovery too (or is retried in the background when allowed to
fail), and a whole login through a real ``authgate serve`` process."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from authgate.config import ConfigError
from authgate.providers.openid import OpenIDProvider
from tests.sso.conftest import APP_ORIGIN, BrowserFactory, OidcPeer, callbacks, free_port, sso_app
from tests.sso.test_openid import PASSWORD, account

# ------------------------------------------------------------------------- configuration


def _settings_env(peer: OidcPeer, **extra: str) -> dict[str, str]:
    env = {
        "AUTH_PROVIDERS": "corp",
        "AUTH_CORP_DRIVER": "openid",
        "AUTH_CORP_ISSUER_URL": peer.issuer,
        "AUTH_CORP_CLIENT_ID": "client",
        "AUTH_CORP_CLIENT_SECRET": "secret",
        "AUTH_CORP_CLIENT_HTTP_TIMEOUT": "1000",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v != "<unset>"}


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"AUTH_CORP_CLIENT_ID": "<unset>"}, "AUTH_CORP_CLIENT_ID"),
        ({"AUTH_CORP_CLIENT_SECRET": "<unset>"}, "AUTH_CORP_CLIENT_SECRET"),
        ({"AUTH_CORP_ISSUER_URL": "<unset>"}, "AUTH_CORP_ISSUER_URL"),
        ({"AUTH_CORP_ROLE_MAPPING": 'json:["staff"]'}, "AUTH_CORP_ROLE_MAPPING"),
        ({"AUTH_CORP_ROLE_MAPPING": 'json:{"staff": "admin"}'}, "AUTH_CORP_ROLE_MAPPING"),
        ({"AUTH_CORP_DEFAULT_ROLE_ID": "admin"}, "AUTH_CORP_DEFAULT_ROLE_ID"),
        ({"AUTH_CORP_LOGIN_TIMEOUT": "soon"}, "AUTH_CORP_LOGIN_TIMEOUT"),
        ({"PUBLIC_URL": "/"}, "PUBLIC_URL"),
    ],
)
def test_a_misconfigured_provider_stops_the_start_naming_the_variable(
    oidc_peer: OidcPeer, tmp_path: Path, extra: dict[str, str], variable: str
) -> None:
    with (
        pytest.raises(ConfigError) as raised,
        sso_app(_settings_env(oidc_peer, **extra), "sqlite", tmp_path),
    ):
        pass

    assert raised.value.variable == variable


def test_a_failed_discovery_stops_the_start(
    oidc_peer: OidcPeer, tmp_path: Path, closed_port: str, blackhole: str
) -> None:
    for issuer in (closed_port, blackhole, oidc_peer.url("/jwks")):
        env = _settings_env(oidc_peer, AUTH_CORP_ISSUER_URL=issuer)
        with pytest.raises(ConfigError) as raised, sso_app(env, "sqlite", tmp_path):
            pass
        assert raised.value.variable == "AUTH_CORP_ISSUER_URL"
        assert "discovery failed" in raised.value.problem


def test_the_discovery_document_url_is_accepted_as_issuer(
    oidc_peer: OidcPeer, tmp_path: Path
) -> None:
    issuer = oidc_peer.url("/.well-known/openid-configuration")
    with sso_app(_settings_env(oidc_peer, AUTH_CORP_ISSUER_URL=issuer), "sqlite", tmp_path) as app:
        response = app.client.get("/auth/login/corp")

    assert response.headers["location"].startswith(oidc_peer.url("/auth?"))


@contextmanager
def forwarder(port: int, target: str) -> Iterator[None]:
    """A TCP relay from 127.0.0.1:``port`` to ``target`` (``http://host:port``): the provider
    "comes back" on the address authgate was configured with."""
    parts = urlsplit(target)
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.2)
    stop = threading.Event()
    relayed: list[socket.socket] = []

    def pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        while not stop.is_set():
            try:
                inbound, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            outbound = socket.create_connection((parts.hostname, parts.port), timeout=5)
            relayed.extend((inbound, outbound))
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for connection in relayed:
            connection.close()


def test_a_provider_allowed_to_fail_discovery_is_retried_in_the_background(
    oidc_peer: OidcPeer, tmp_path: Path
) -> None:
    port = free_port()
    env = _settings_env(
        oidc_peer,
        AUTH_CORP_ISSUER_URL=f"http://127.0.0.1:{port}",
        AUTH_CORP_ISSUER_DISCOVERY_MUST_SUCCEED="false",
    )
    with sso_app(env, "sqlite", tmp_path) as app:
        unavailable = app.client.get("/auth/login/corp?redirect=/app")
        provider = app.app.services.providers.get("corp")
        assert isinstance(provider, OpenIDProvider)
        with forwarder(port, oidc_peer.issuer):
            deadline = time.monotonic() + 15
            while provider.metadata is None and time.monotonic() < deadline:
                time.sleep(0.05)  # no request: only the background retry can discover it
            discovered = provider.metadata is not None
            started = app.client.get("/auth/login/corp?redirect=/app")

    assert unavailable.status_code == 302
    assert unavailable.headers["location"] == (
        f"{APP_ORIGIN}/admin/login?reason=SERVICE_UNAVAILABLE"
    )
    assert discovered
    # (The provider names its endpoints after the address it was reached at.)
    assert started.headers["location"].startswith(f"http://127.0.0.1:{port}/auth?")


# ------------------------------------------------------------------- a real `authgate serve`


@pytest.mark.e2e
def test_a_login_through_a_real_server_process(
    oidc_peer: OidcPeer, tmp_path: Path, browser_factory: BrowserFactory
) -> None:
    from tests.e2e.conftest import Mailbox, Server, server_env

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    client = oidc_peer.register_client(callbacks("corp", origin=origin))
    env = _settings_env(oidc_peer, AUTH_CORP_ALLOW_PUBLIC_REGISTRATION="true")
    env.update(
        {
            "AUTH_CORP_CLIENT_ID": client["client_id"],
            "AUTH_CORP_CLIENT_SECRET": client["client_secret"],
            "AUTH_CORP_MODE": "cookie",
            "DB_CLIENT": "sqlite3",
            "DB_FILENAME": str(tmp_path / "authgate.db"),
            "EMAIL_TRANSPORT": "file",
        }
    )
    mailbox = Mailbox()  # never used: mail goes to files
    mailbox.port = 25
    server = Server(
        backend="sqlite",
        url=origin,
        data_dir=tmp_path / "data",
        env=server_env(port, tmp_path / "data", mailbox, env),
        stdout_path=tmp_path / "authgate.stdout",
        stderr_path=tmp_path / "authgate.stderr",
    )
    server.start()
    try:
        login = account(oidc_peer, groups=["anything"])
        browser = browser_factory(server.client(), origin)

        flow = browser.login(
            f"/auth/login/corp?redirect={origin}/app", login=login, password=PASSWORD
        )

        assert flow.location == f"{origin}/app"
        refresh_token = flow.cookies()["directus_refresh_token"]
        with httpx.Client(base_url=origin, timeout=15) as api:
            tokens = api.post(
                "/auth/refresh", json={"mode": "json", "refresh_token": refresh_token}
            )
            assert tokens.status_code == 200, tokens.text
            access = tokens.json()["data"]["access_token"]
            me = api.get("/users/me", headers={"Authorization": f"Bearer {access}"})
            user = api.get(
                f"/users/{me.json()['data']['id']}",
                params={"fields": "email,provider,external_identifier"},
                headers=server.admin,
            )
        assert user.json()["data"] == {
            "email": f"{login}@example.com",
            "provider": "corp",
            "external_identifier": login,
        }
    finally:
        server.stop()
    assert "Traceback" not in server.stderr()
