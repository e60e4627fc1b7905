"""The HTTP edge of a real ``authgate serve`` (``WORKERS=2``, umask 0): the request-head limit
Directus's Node server applies, and the modes of the files the server creates."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Mailbox, Server, start_server

TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    """Two worker processes (uvicorn imports the protocol by name there), started under a
    umask that takes nothing away: the files' modes must come from the server itself."""
    tmp = tmp_path_factory.mktemp("e2e-edge")
    private = tmp / "private" / "data"  # two folders the server makes
    previous = os.umask(0)
    try:
        with ExitStack() as stack:
            server = start_server(
                "sqlite",
                stack,
                tmp,
                mailbox,
                {
                    "WORKERS": "2",
                    "EMAIL_TRANSPORT": "file",
                    "SECRET": "",  # generated into DATA_DIR/secret
                    "DATA_DIR": str(private),
                    "DB_FILENAME": str(private / "data.db"),
                },
            )
            os.umask(previous)
            yield server
    finally:
        os.umask(previous)


def _exchange(server: Server, request: bytes) -> bytes:
    """Sends ``request`` on a new connection and reads until the server closes it."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _ping_with(target_size: int, header_size: int) -> bytes:
    """A ping whose target, header names and values (what Node counts) sum to the sizes'
    sum plus len('Host') + len('x') + len('Connection') + len('close') + len('X-Big') = 25."""
    target = b"/server/ping"
    if target_size > len(target):
        target += b"?" + b"a" * (target_size - len(target) - 1)
    return (
        b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * header_size
        + b"\r\nConnection: close\r\n\r\n"
    )  # fmt: skip


@pytest.mark.parametrize("worker_round", range(2))  # each connection may land on either worker
def test_a_head_just_under_16_kib_is_served_and_16_kib_answers_431(
    edge_server: Server, worker_round: int
) -> None:
    under = _exchange(edge_server, _ping_with(12, 16383 - 12 - 25))
    at_limit = _exchange(edge_server, _ping_with(12, 16384 - 12 - 25))
    long_target = _exchange(edge_server, _ping_with(16384 - 25, 0))

    assert under.startswith(b"HTTP/1.1 200 OK\r\n"), under[:200]
    assert under.endswith(b"pong")
    assert at_limit == TOO_LARGE
    assert long_target == TOO_LARGE


def test_a_40_kib_header_answers_431_and_the_next_connection_is_served(
    edge_server: Server,
) -> None:
    answer = _exchange(edge_server, _ping_with(12, 40 * 1024))

    assert answer == TOO_LARGE
    assert _exchange(edge_server, _ping_with(12, 10)).endswith(b"pong")


def test_an_8_mb_header_is_refused_before_it_is_read(edge_server: Server) -> None:
    """The answer comes while the client has sent 40 KiB of a header meant to be 8 MB long:
    the server does not wait for (or keep) the rest; what the client sends after it is lost."""
    parts = urlsplit(edge_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET /server/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (40 * 1024))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        rest_failed = False
        try:
            for _ in range(128):  # the other 8 MB
                sock.sendall(b"b" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            rest_failed = True

    assert answer == TOO_LARGE
    assert rest_failed, "the connection took 8 MB more after its 431"
    assert _exchange(edge_server, _ping_with(12, 10)).endswith(b"pong")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_files_the_server_creates_are_its_own_user_s_only(edge_server: Server) -> None:
    data_dir = Path(edge_server.env["DATA_DIR"])
    database = data_dir / "data.db"
    email = f"edge-{time.time_ns()}@example.com"
    # A write (SQLite then has its -wal and -shm) and a mail (written to DATA_DIR/mail).
    edge_server.create_user(email, "Str0ng-Passw0rd!")
    with edge_server.client() as client:
        response = client.post(
            "/auth/password/request",
            json={"email": email, "reset_url": "http://example.com/reset"},
        )
    assert response.status_code == 204, response.text
    mails = data_dir / "mail"
    deadline = time.monotonic() + 10
    while not (mails.exists() and any(mails.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    created = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    created += [Path(f"{database}-writer.lock"), Path(f"{database}.migrate.lock")]
    created += [data_dir / "secret", *mails.iterdir()]

    assert len(created) == 7
    for path in created:
        assert _mode(path) == 0o600, f"{path} is {oct(_mode(path))}"
    for folder in (data_dir.parent, data_dir, mails):
        assert _mode(folder) == 0o700, f"{folder} is {oct(_mode(folder))}"
