"""Shared SSO fixtures: a real OpenID Provider, an authgate app configured with providers, and a
``Browser`` that walks a login across both as a person's browser would.

* ``oidc_peer`` (session): the certified ``oidc-provider`` npm package run by
  ``peers/oidc/server.mjs`` on a free 127.0.0.1 port. Tests seed their own accounts and
  register their own clients through it (RFC 7591 dynamic registration).
* ``sso_app(env, backend)``: an in-process authgate (Starlette ``TestClient`` at
  ``http://authgate.test``) on a fresh database, with the wall clock (the provider's tokens
  carry real times).
* ``Browser``: follows redirects between authgate and the provider, fills in the provider's
  login form and consent form, and submits ``form_post`` pages, until authgate sends the
  browser out of the flow (the final redirect, with a cookie or with ``?reason=``).

Under ``CI=true`` a missing Node.js or ``npm ci`` is a failure; locally it skips with a reason.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, RowMapping
from starlette.testclient import TestClient

from authgate.app import create_app
from authgate.bootstrap import bootstrap
from authgate.config import Settings
from authgate.mail.outbox import MemoryOutbox
from authgate.storage.db import Database
from authgate.web.pipeline import Pipeline
from tests.conftest import ADMIN_TOKEN, settings_for_tests
from tests.sso.peers.saml_idp.peer import SamlIdp, installed
from tests.support.backends import postgres_database, redis_namespace, sqlite_database

IN_CI = os.environ.get("CI", "").lower() == "true"
PEER_DIR = Path(__file__).parent / "peers" / "oidc"
APP_ORIGIN = "http://authgate.test"
START_TIMEOUT = 20.0
MAX_HOPS = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (required under CI=true)", pytrace=False)
    pytest.skip(what)


# --------------------------------------------------------------------------------------------
# The OpenID Provider


@dataclass
class OidcPeer:
    issuer: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return self.issuer + path

    def add_account(self, login: str, password: str, **claims: Any) -> None:
        response = httpx.post(
            self.url("/_test/accounts"),
            json={"login": login, "password": password, "claims": claims},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def register_client(self, redirect_uris: list[str], **metadata: Any) -> dict[str, Any]:
        """RFC 7591 dynamic registration; returns the client (``client_id``, ``client_secret``)."""
        body = {
            "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            **metadata,
        }
        response = httpx.post(self.url("/reg"), json=body, timeout=10)
        assert response.status_code == 201, response.text
        client: dict[str, Any] = response.json()
        return client

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def oidc_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcPeer]:
    node = shutil.which("node")
    if node is None:
        missing("Node.js is not installed (the OpenID peer runs on it)")
    if not (PEER_DIR / "node_modules" / "oidc-provider").is_dir():
        missing(f"run `npm ci` in {PEER_DIR} (./scripts/test does)")
    assert node is not None
    port = free_port()
    log_path = tmp_path_factory.mktemp("oidc-peer") / "peer.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "server.mjs"],
            cwd=PEER_DIR,
            env={"PATH": os.environ.get("PATH", ""), "PORT": str(port), "NODE_ENV": "test"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    peer = OidcPeer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_for(peer)
        yield peer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for(peer: OidcPeer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if peer.process.poll() is not None:
            pytest.fail(f"the OpenID peer exited:\n{peer.log()}", pytrace=False)
        try:
            response = httpx.get(peer.url("/.well-known/openid-configuration"), timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the OpenID peer did not start:\n{peer.log()}", pytrace=False)


# --------------------------------------------------------------------------------------------
# The SAML Identity Provider


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    absent = installed()
    if absent:
        message = f"SimpleSAMLphp is not installed ({', '.join(absent)}): apt-get install simplesamlphp php-cli php-xml"
        missing(message)
    server = SamlIdp.create(tmp_path_factory.mktemp("saml-idp"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def blackhole() -> Iterator[str]:
    """``http://127.0.0.1:<port>``: a socket that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.fixture(scope="session")
def closed_port() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


# --------------------------------------------------------------------------------------------
# authgate, in process


@dataclass
class SsoApp:
    client: TestClient
    app: Pipeline
    settings: Settings
    backend: str

    @property
    def db(self) -> Database:
        return self.app.services.db

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def create_role(self, role_id: str, name: str, *, enforce_tfa: bool = False) -> None:
        """A role; with ``enforce_tfa``, a policy of its own that enforces two-factor."""
        from authgate.storage.tables import access, policies, roles

        def work(conn: Connection) -> None:
            conn.execute(roles.insert().values(id=role_id, name=name))
            if enforce_tfa:
                policy = str(uuid.uuid4())
                conn.execute(
                    policies.insert().values(id=policy, name=f"{name} policy", enforce_tfa=True)
                )
                conn.execute(
                    access.insert().values(id=str(uuid.uuid4()), role=role_id, policy=policy)
                )

        self.db.write_sync(work)

    def user_by_identifier(self, identifier: str) -> dict[str, Any] | None:
        from sqlalchemy import func, select

        from authgate.storage.tables import users

        def read(conn: Connection) -> RowMapping | None:
            statement = select(users).where(
                func.lower(users.c.external_identifier) == identifier.lower()
            )
            return conn.execute(statement).mappings().first()

        row = self.db.read_sync(read)
        return dict(row) if row else None

    def set_user(self, user_id: str, **values: Any) -> None:
        from sqlalchemy import update

        from authgate.storage.tables import users

        self.db.write_sync(
            lambda conn: conn.execute(update(users).where(users.c.id == user_id).values(**values))
        )

    def user(self, user_id: str) -> dict[str, Any]:
        from sqlalchemy import select

        from authgate.storage.tables import users

        row = self.db.read_sync(
            lambda conn: conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
        )
        assert row is not None
        return dict(row)

    def me(self, cookies: Mapping[str, str]) -> dict[str, Any]:
        """The user the session cookie signs in (asked over HTTP), as stored."""
        name = self.settings.session_cookie.name
        response = self.client.get("/users/me", headers={"Cookie": f"{name}={cookies[name]}"})
        assert response.status_code == 200, response.text
        return self.user(response.json()["data"]["id"])


@contextmanager
def sso_app(env: Mapping[str, str], backend: str, tmp_path: Path) -> Iterator[SsoApp]:
    """An authgate app with ``env`` on a fresh database of ``backend`` (wall clock)."""
    with ExitStack() as stack:
        if backend == "postgres":
            db_env = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        else:
            db_env = stack.enter_context(sqlite_database(tmp_path))
        settings = settings_for_tests(tmp_path, {**db_env, "PUBLIC_URL": APP_ORIGIN, **env})
        bootstrap(settings)
        app = create_app(settings, outbox=MemoryOutbox())
        client = stack.enter_context(
            TestClient(
                app, base_url=APP_ORIGIN, client=("127.0.0.1", 40000), follow_redirects=False
            )
        )
        yield SsoApp(client, app, settings, backend)


def callbacks(*providers: str, origin: str = APP_ORIGIN) -> list[str]:
    return [f"{origin}/auth/login/{name}/callback" for name in providers]


def new_login(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------------------------
# The browser


class _Forms(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")


@dataclass
class Step:
    method: str
    url: str
    response: httpx.Response


@dataclass
class Flow:
    steps: list[Step] = field(default_factory=list)

    @property
    def last(self) -> httpx.Response:
        return self.steps[-1].response

    @property
    def location(self) -> str:
        """Where authgate finally sent the browser."""
        return self.last.headers.get("location", "")

    @property
    def reason(self) -> str | None:
        values = parse_qs(urlsplit(self.location).query).get("reason")
        return values[0] if values else None

    def cookies(self) -> dict[str, str]:
        """Cookies authgate set with its last answer (name -> value; empty when cleared)."""
        found: dict[str, str] = {}
        for header in self.last.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            found[name] = rest.split(";", 1)[0]
        return found

    def app_steps(self, path_part: str) -> list[Step]:
        return [s for s in self.steps if s.url.startswith(APP_ORIGIN) and path_part in s.url]


class Browser:
    """Walks a login: authgate requests go to ``app`` (in process or a real server), the rest
    over the network; redirects are followed and the provider's forms are submitted."""

    def __init__(self, app: httpx.Client, app_origin: str = APP_ORIGIN) -> None:
        self.app = app
        self.app_origin = app_origin
        self.web = httpx.Client(timeout=15.0, follow_redirects=False)

    def close(self) -> None:
        self.web.close()

    def is_app(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.app_origin

    def _client(self, url: str) -> httpx.Client:
        return self.app if self.is_app(url) else self.web

    def send(self, method: str, url: str, data: Mapping[str, str] | None = None) -> httpx.Response:
        client = self._client(url)
        if data is not None:
            return client.request(method, url, data=dict(data), follow_redirects=False)
        return client.request(method, url, follow_redirects=False)

    def _in_flow(self, url: str) -> bool:
        """Still inside the SSO flow: the provider, or authgate's /auth/login routes."""
        if not self.is_app(url):
            return True
        return urlsplit(url).path.startswith("/auth/login/")

    def login(
        self,
        start: str,
        *,
        login: str | None = None,
        password: str | None = None,
        stop_before: str | None = None,
    ) -> Flow:
        """From ``start`` until authgate sends the browser out of the flow (or answers
        something else than a redirect). ``stop_before``: stop when about to request an
        authgate URL containing it (the callback, to replay it)."""
        flow = Flow()
        url = start if start.startswith(("http://", "https://")) else self.app_origin + start
        method, data = "GET", None
        for _ in range(MAX_HOPS):
            if stop_before and self.is_app(url) and stop_before in url:
                flow.steps.append(Step(method, url, httpx.Response(0, headers={"location": url})))
                return flow
            response = self.send(method, url, data)
            flow.steps.append(Step(method, url, response))
            if response.is_redirect:
                target = urljoin(url, response.headers["location"])
                if self.is_app(url) and not self._in_flow(target):
                    return flow
                url, method, data = target, "GET", None
                continue
            form = self._form(response)
            if form is None:
                return flow
            fields = dict(form["fields"])
            if "login" in fields and login is not None:
                fields["login"] = login
            if "password" in fields and password is not None:
                fields["password"] = password
            url, method, data = urljoin(url, form["action"]), "POST", fields
        pytest.fail(f"the login did not end within {MAX_HOPS} requests")

    @staticmethod
    def _form(response: httpx.Response) -> dict[str, Any] | None:
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            return None
        if "Wrong login or password" in response.text:
            return None
        parser = _Forms()
        parser.feed(response.text)
        return parser.forms[0] if parser.forms else None


class BrowserFactory(Protocol):
    """Makes a ``Browser`` in front of ``app`` (closed when the test ends)."""

    def __call__(self, app: httpx.Client, origin: str = APP_ORIGIN) -> Browser: ...


@pytest.fixture
def browser_factory() -> Iterator[BrowserFactory]:
    made: list[Browser] = []

    def make(app: httpx.Client, origin: str = APP_ORIGIN) -> Browser:
        browser = Browser(app, origin)
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()
