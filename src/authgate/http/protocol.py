"""The HTTP protocol uvicorn runs for authgate: its httptools protocol, with Nagle off and
Node's limit on the size of a request's head.

Nagle: asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only for sockets it knows to be
TCP. With ``WORKERS`` > 1 uvicorn binds the listening socket itself without naming the
protocol, so the connections it accepts look like something else and keep Nagle on: every small
response then waited for the client's delayed ACK, 40 ms a request (measured: /server/ping at
350 req/s instead of thousands). Setting the option on each connection makes it hold for every
way the server is started.

Head size: Directus (Node's HTTP server) answers ``431`` with no body and closes the connection
once the request target plus every header name and value reach 16 KiB (``HEAD_LIMIT``; the
method, separators and line ends do not count). httptools has no such limit, and it joins the
pieces of a header in memory until the header ends: an 8 MB header was read whole. So the head
is measured twice: exactly as Node does, from the parser's callbacks, and on the raw bytes
before they reach the parser (at most ``RAW_HEAD_LIMIT``), which bounds what one request's head
can make the server hold whatever its shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What ``authgate serve`` hands to uvicorn as its ``http`` setting.
PROTOCOL = "authgate.http.protocol:NoDelayProtocol"

HEAD_LIMIT = 16 * 1024  # Node's default --max-http-header-size
# The raw head also holds the request line's method and version and ": " and CRLF per header;
# twice the limit leaves room for thousands of headers that Node would still take.
RAW_HEAD_LIMIT = 2 * HEAD_LIMIT
TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
_END_OF_HEAD = b"\r\n\r\n"


class _HeadTooLarge(Exception):
    pass


class NoDelayProtocol(HttpToolsProtocol):
    _head_size = 0  # the request target and header names and values, as Node counts them
    _raw_head_size = 0  # the raw bytes of the head so far
    _in_head = True  # between two requests or in a request's head (not in its body)
    _tail = b""  # the last bytes of the head seen so far (a CRLFCRLF can span two reads)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # OSError: the peer is already gone; the transport will say so
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._in_head and not self._head_fits(data):
            self._refuse_head()
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._refuse_head()
                return
            self._invalid()
        except httptools.HttpParserError:
            self._invalid()
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _head_fits(self, data: bytes) -> bool:
        """Counts the bytes of ``data`` that belong to the head (up to its blank line)."""
        seen = self._tail + data
        end = seen.find(_END_OF_HEAD)
        used = len(data) if end < 0 else end + len(_END_OF_HEAD) - len(self._tail)
        self._raw_head_size += max(used, 0)
        self._tail = seen[-3:]
        return self._raw_head_size <= RAW_HEAD_LIMIT

    def _invalid(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def _refuse_head(self) -> None:
        """What Node does: a bodyless 431 and the end of the connection (the rest of the head
        is not read); behind a request still being answered (pipelined), that answer goes out
        and then the connection ends, without a 431."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not self.transport.is_closing():
            cycle.keep_alive = False  # uvicorn closes the connection once it has answered
            self.flow.pause_reading()
            return
        self.transport.write(TOO_LARGE)
        self.transport.close()

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size >= HEAD_LIMIT:
            raise _HeadTooLarge

    def on_message_begin(self) -> None:
        self._head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._raw_head_size, self._tail = True, 0, b""
        super().on_message_complete()
