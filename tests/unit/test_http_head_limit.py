"""The request-head limit of authgate's HTTP protocol, in process: a real asyncio server with
``NoDelayProtocol`` and a small ASGI app, spoken to over TCP (tests/e2e/test_edge.py does the
same against ``authgate serve``). Node counts the request target and the header names and
values; at 16 KiB it answers a bodyless 431 and closes."""

from __future__ import annotations

import asyncio
import contextlib
import re

from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from authgate.http.protocol import HEAD_LIMIT, TOO_LARGE, NoDelayProtocol


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the size of the body it read."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _exchange(*writes: bytes) -> list[bytes]:
    """Sends each of ``writes`` on one connection, reading what the server answers to each (one
    response, or all it sends until it closes) before the next; returns those answers, the
    last with all the server sent until it closed."""

    async def one_answer(reader: asyncio.StreamReader) -> bytes:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        except asyncio.IncompleteReadError as cut:
            return cut.partial
        length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        if length is None:  # the 431: nothing follows, the server closes
            return head + await asyncio.wait_for(reader.read(), 5)
        return head + await asyncio.wait_for(reader.readexactly(int(length[1])), 5)

    async def main() -> list[bytes]:
        config = Config(app=_app, loop="asyncio", log_config=None)
        state = ServerState()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: NoDelayProtocol(config, state, {}), "127.0.0.1", 0
        )
        try:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            answers = []
            for data in writes:
                writer.write(data)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                answers.append(await one_answer(reader))
            # every exchange ends with the server closing; whatever came before that is the
            # last answer's too
            with contextlib.suppress(ConnectionError):
                answers[-1] += await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return answers
        finally:
            server.close()

    return asyncio.run(main())


def _request(counted: int, body: bytes = b"", close: bool = True) -> bytes:
    """A request whose target, header names and values count ``counted`` bytes."""
    fixed = (
        len(b"/") + len(b"Hostx") + len(b"X-Big") + len(b"Content-Length") + len(b"%d" % len(body))
    )
    fixed += len(b"Connectionclose") if close else 0
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (counted - fixed)
    head += b"\r\nContent-Length: %d\r\n" % len(body)
    head += b"Connection: close\r\n" if close else b""
    return head + b"\r\n" + body


def test_a_head_one_byte_under_the_limit_is_served() -> None:
    (answer,) = _exchange(_request(HEAD_LIMIT - 1))

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_head_at_the_limit_answers_431_and_closes() -> None:
    assert _exchange(_request(HEAD_LIMIT)) == [TOO_LARGE]


def test_a_body_sent_with_its_head_does_not_count() -> None:
    """A 10 KiB head and a 200 KiB body in one write: only the head is measured."""
    (answer,) = _exchange(_request(10 * 1024, body=b"x" * (200 * 1024)))

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n204800")


def test_each_request_of_a_connection_is_measured_on_its_own() -> None:
    first = _request(12 * 1024, body=b"abc", close=False)
    second = _request(12 * 1024, body=b"de")
    too_large = _request(HEAD_LIMIT)

    served = _exchange(first, second)
    refused = _exchange(first, too_large)

    assert [answer[:17] for answer in served] == [b"HTTP/1.1 200 OK\r\n"] * 2
    assert [answer[-1:] for answer in served] == [b"3", b"2"]
    assert refused[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert refused[1] == TOO_LARGE


def test_a_header_of_megabytes_is_answered_after_its_first_32_kib() -> None:
    """The raw head is cut off before the parser (which joins a header's pieces in memory):
    the answer comes while the client has sent 40 KiB of a header meant to be megabytes."""
    start = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "

    assert _exchange(start + b"b" * (40 * 1024)) == [TOO_LARGE]


def test_behind_a_request_being_answered_it_is_answered_and_the_connection_ends() -> None:
    """Node, for a too-large head pipelined behind a request: the first answer, then the end."""
    first = _request(1024, body=b"abc", close=False)

    (answer,) = _exchange(first + _request(HEAD_LIMIT))

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n3")
