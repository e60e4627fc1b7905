"""End-to-end fixtures: a real SMTP server and real ``authgate serve`` processes.

Everything here talks to the server over TCP exactly as a client would: no app object, no
in-memory outbox. Mail goes through the server's SMTP transport to an ``aiosmtpd`` server
that keeps every message; tests wait (bounded) for the mail and take the link out of it.

The ``server`` fixture is one process per backend for the whole session: SQLite always,
PostgreSQL + Redis when those services run (locally a missing service skips that variant;
under ``CI=true`` it fails, as in tests/support/backends.py).
"""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import ADMIN_TOKEN, BASE_ENV
from tests.support.backends import postgres_database, redis_namespace, sqlite_database

MAIL_FROM = "authgate-e2e@example.com"
MAIL_TIMEOUT = 10.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
IN_CI = os.environ.get("CI", "").lower() == "true"

# Allow-listed URLs (the same as the in-process suite's).
RESET_URL = BASE_ENV["PASSWORD_RESET_URL_ALLOW_LIST"]
REGISTER_URL = BASE_ENV["USER_REGISTER_URL_ALLOW_LIST"]
INVITE_URL = BASE_ENV["USER_INVITE_URL_ALLOW_LIST"]

# Only these variables of the caller's environment reach the server: a developer's own DB_*,
# SECRET or EMAIL_* must not change what the tests run against.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------------------------
# SMTP


@dataclass
class Mail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def sender(self) -> str:
        """The address of the From header."""
        return parseaddr(str(self.message["From"]))[1]

    @property
    def sender_name(self) -> str:
        """The display name of the From header (Directus: the project name)."""
        return parseaddr(str(self.message["From"]))[0]

    @property
    def to(self) -> str:
        return parseaddr(str(self.message["To"]))[1]

    def _part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return ""
        content: str = part.get_content()
        return content

    @property
    def html(self) -> str:
        return self._part("html")

    @property
    def text(self) -> str:
        return self._part("plain")

    @property
    def links(self) -> list[str]:
        return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', self.html)]

    @property
    def link(self) -> str:
        """The one link that carries a token (the action the mail asks for)."""
        with_token = [link for link in self.links if "token=" in link]
        assert len(set(with_token)) == 1, (
            f"expected one link with a token in the mail, got {self.links}"
        )
        return with_token[0]

    @property
    def token(self) -> str:
        return parse_qs(urlsplit(self.link).query)["token"][0]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.add(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Mailbox:
    """Every message the SMTP server received, and a bounded wait for the next one to an address."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._taken: dict[str, int] = {}
        self._changed = threading.Condition()
        self.host = "127.0.0.1"
        self.port = 0

    def add(self, mail: Mail) -> None:
        with self._changed:
            self.messages.append(mail)
            self._changed.notify_all()

    def _to(self, address: str) -> list[Mail]:
        wanted = address.lower()
        return [m for m in self.messages if wanted in (r.lower() for r in m.envelope_to)]

    def next_for(self, address: str, timeout: float = MAIL_TIMEOUT) -> Mail:
        """The next mail to ``address`` not returned before; fails after ``timeout`` seconds."""
        key = address.lower()
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                mails = self._to(address)
                taken = self._taken.get(key, 0)
                if len(mails) > taken:
                    self._taken[key] = taken + 1
                    return mails[taken]
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"no mail to {address} within {timeout:.0f}s "
                        f"({len(self.messages)} mail(s) received in all, to "
                        f"{sorted({r for m in self.messages for r in m.envelope_to})})",
                        pytrace=False,
                    )
                self._changed.wait(left)

    def count_for(self, address: str) -> int:
        with self._changed:
            return len(self._to(address))

    def assert_none_for(self, address: str, wait: float = 1.0) -> None:
        """Waits a little (delivery is asynchronous), then checks nothing new came."""
        before = self._taken.get(address.lower(), 0)
        time.sleep(wait)
        assert self.count_for(address) == before, f"unexpected mail to {address}"


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = free_port()
    controller = Controller(_Handler(box), hostname=box.host, port=box.port, ready_timeout=10)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# --------------------------------------------------------------------------------------------
# The server process

_RUNNING: list[Server] = []


@dataclass
class Server:
    backend: str
    url: str
    data_dir: Path
    env: dict[str, str]
    stdout_path: Path
    stderr_path: Path
    process: subprocess.Popen[bytes] | None = None
    mailbox: Mailbox | None = None
    sqlite_path: Path | None = None
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def client(self) -> httpx.Client:
        """A new client with its own cookie jar; closed when the server stops."""
        client = httpx.Client(base_url=self.url, timeout=15.0, follow_redirects=False)
        self._clients.append(client)
        return client

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_excerpt(self, since: int = 0, lines: int = 200) -> str:
        text = self.stderr()[since:]
        return "\n".join(text.splitlines()[-lines:])

    # -- lifecycle --

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [_authgate_command(), "serve"]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command,
                cwd=self.data_dir.parent,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        _RUNNING.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail_start(f"exited with status {self.process.returncode}")
            if "listening on http://" in self.stdout_path.read_text(errors="replace"):
                break
            time.sleep(0.05)
        else:
            self._fail_start("printed no 'listening on http://' line")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail_start(f"exited with status {self.process.returncode}")
            try:
                response = httpx.get(f"{self.url}/server/ping", timeout=2.0)
                if response.status_code == 200 and response.text == "pong":
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self._fail_start(f"did not answer GET /server/ping within {START_TIMEOUT:.0f}s")

    def _fail_start(self, why: str) -> None:
        self.stop()
        stdout = self.stdout_path.read_text(errors="replace")
        pytest.fail(
            f"authgate serve ({self.backend}) {why}\n--- stdout ---\n{stdout}\n"
            f"--- stderr ---\n{self.log_excerpt()}",
            pytrace=False,
        )

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    # -- the few admin actions every flow needs --

    def enable_registration(self) -> None:
        with httpx.Client(base_url=self.url, timeout=15.0) as client:
            response = client.patch(
                "/settings",
                json={"public_registration": True, "public_registration_verify_email": True},
                headers=self.admin,
            )
        assert response.status_code == 200, response.text

    def create_user(self, email: str, password: str, **fields: Any) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=15.0) as client:
            response = client.post(
                "/users", json={"email": email, "password": password, **fields}, headers=self.admin
            )
        assert response.status_code == 200, response.text
        user: dict[str, Any] = response.json()["data"]
        return user

    def admin_role(self) -> str:
        with httpx.Client(base_url=self.url, timeout=15.0) as client:
            response = client.get("/users/me", params={"fields": "id,role"}, headers=self.admin)
        assert response.status_code == 200, response.text
        role: str = response.json()["data"]["role"]
        return role


def _authgate_command() -> str:
    beside = Path(sys.executable).with_name("authgate")
    if beside.exists():
        return str(beside)
    found = shutil.which("authgate")
    if found is None:
        pytest.fail(
            "the authgate command is not installed (run ./scripts/install test)", pytrace=False
        )
    return found


def server_env(
    port: int, data_dir: Path, mailbox: Mailbox, backend_env: Mapping[str, str]
) -> dict[str, str]:
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(BASE_ENV)
    env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "info",
            "EMAIL_TRANSPORT": "smtp",
            "EMAIL_SMTP_HOST": mailbox.host,
            "EMAIL_SMTP_PORT": str(mailbox.port),
            "EMAIL_SMTP_IGNORE_TLS": "true",
            "EMAIL_FROM": MAIL_FROM,
        }
    )
    env.update(backend_env)
    return env


def start_server(
    backend: str,
    stack: ExitStack,
    tmp: Path,
    mailbox: Mailbox,
    extra_env: Mapping[str, str] | None = None,
) -> Server:
    """Starts ``authgate serve`` on ``backend``; the stack stops it and drops its database."""
    if backend == "postgres":
        backend_env = {
            **stack.enter_context(postgres_database()),
            **stack.enter_context(redis_namespace()),
        }
        sqlite_path = None
    else:
        backend_env = stack.enter_context(sqlite_database(tmp))
        sqlite_path = Path(backend_env["DB_FILENAME"])
    port = free_port()
    data_dir = tmp / "data"
    server = Server(
        backend=backend,
        url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        env=server_env(port, data_dir, mailbox, {**backend_env, **(extra_env or {})}),
        stdout_path=tmp / "authgate.stdout",
        stderr_path=tmp / "authgate.stderr",
        mailbox=mailbox,
        sqlite_path=sqlite_path,
    )
    stack.callback(server.stop)
    server.start()
    server.enable_registration()
    return server


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[Server]:
    """One running server per backend, shared by every e2e test of the session."""
    backend: str = request.param
    with ExitStack() as stack:
        yield start_server(backend, stack, tmp_path_factory.mktemp(f"e2e-{backend}"), mailbox)


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    """A server of its own on SQLite, for tests that read its database file."""
    with ExitStack() as stack:
        yield start_server("sqlite", stack, tmp_path_factory.mktemp("e2e-own-sqlite"), mailbox)


# --------------------------------------------------------------------------------------------
# Show the server's log of a failing test

_OFFSETS = pytest.StashKey[dict[int, int]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "setup" and report.passed:
        item.stash[_OFFSETS] = {id(s): len(s.stderr()) for s in _RUNNING}
    elif report.failed:
        offsets = item.stash.get(_OFFSETS, {})
        for running in _RUNNING:
            excerpt = running.log_excerpt(since=offsets.get(id(running), 0))
            if excerpt.strip():
                report.sections.append(
                    (f"authgate stderr ({running.backend}, {running.url})", excerpt)
                )
    return report
