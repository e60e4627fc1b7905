"""A real ``authgate serve`` process signed into the suite's OpenID peer, for the flows in
which the provider calls authgate itself (back-channel logout) and every request crosses a
real socket (RP-initiated logout, linking identities).

``start_op_server`` picks the port first, registers a client for it at the peer (callback,
post-logout redirects, ``backchannel_logout_uri`` with ``sid``), then starts the server with
an ``openid`` provider ``op`` for that client.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.e2e.conftest import Mailbox, Server, free_port, server_env
from tests.sso.conftest import OidcPeer
from tests.support.backends import postgres_database, redis_namespace, sqlite_database

ALLOWED = "http://app.example.com/bye"
PEER_PASSWORD = "peer-Passw0rd"
LOCAL_PASSWORD = "Local-Passw0rd!"


@dataclass
class OpServer:
    server: Server
    client_id: str
    peer: OidcPeer

    @property
    def url(self) -> str:
        return self.server.url

    def client(self) -> httpx.Client:
        return self.server.client()

    def account(self, **claims: Any) -> str:
        """A new account at the peer (its login is its ``sub``)."""
        login = f"user-{uuid.uuid4().hex[:10]}"
        self.peer.add_account(
            login,
            PEER_PASSWORD,
            email=claims.pop("email", f"{login}@peer.example.com"),
            email_verified=True,
            given_name="Ada",
            family_name="Lovelace",
            **claims,
        )
        return login

    def local_user(self, email: str | None = None) -> tuple[str, str]:
        """A user with a password (``(id, email)``), created by the admin."""
        email = email or f"local-{uuid.uuid4().hex[:10]}@example.com"
        user = self.server.create_user(email, LOCAL_PASSWORD)
        return str(user["id"]), email

    def password_login(self, client: httpx.Client, email: str, mode: str = "session") -> Any:
        response = client.post(
            "/auth/login", json={"email": email, "password": LOCAL_PASSWORD, "mode": mode}
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]


def start_op_server(
    stack: ExitStack,
    tmp: Path,
    backend: str,
    peer: OidcPeer,
    extra_env: Mapping[str, str] | None = None,
) -> OpServer:
    if backend == "postgres":
        backend_env = {
            **stack.enter_context(postgres_database()),
            **stack.enter_context(redis_namespace()),
        }
    else:
        backend_env = stack.enter_context(sqlite_database(tmp))
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    client = peer.register_client(
        [f"{origin}/auth/login/op/callback"],
        post_logout_redirect_uris=[ALLOWED, f"{origin}/after-logout"],
        backchannel_logout_uri=f"{origin}/auth/login/op/backchannel-logout",
        backchannel_logout_session_required=True,
    )
    env = {
        **backend_env,
        "AUTH_PROVIDERS": "op",
        "AUTH_OP_DRIVER": "openid",
        "AUTH_OP_ISSUER_URL": peer.issuer,
        "AUTH_OP_CLIENT_ID": client["client_id"],
        "AUTH_OP_CLIENT_SECRET": client["client_secret"],
        "AUTH_OP_ALLOW_PUBLIC_REGISTRATION": "true",
        "AUTH_OP_REDIRECT_ALLOW_LIST": ALLOWED,
        **(extra_env or {}),
    }
    mailbox = Mailbox()  # no mail is sent in these flows; the SMTP address is never used
    mailbox.port = free_port()
    server = Server(
        backend=backend,
        url=origin,
        data_dir=tmp / "data",
        env=server_env(port, tmp / "data", mailbox, env),
        stdout_path=tmp / "authgate.stdout",
        stderr_path=tmp / "authgate.stderr",
        mailbox=mailbox,
    )
    stack.callback(server.stop)
    server.start()
    return OpServer(server, str(client["client_id"]), peer)
