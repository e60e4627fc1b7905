"""The HTTP protocol uvicorn runs for authgate: its httptools protocol, with Nagle off.

asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only for sockets it knows to be TCP. With
``WORKERS`` > 1 uvicorn binds the listening socket itself without naming the protocol, so the
connections it accepts look like something else and keep Nagle on: every small response then
waited for the client's delayed ACK, 40 ms a request (measured: /server/ping at 350 req/s
instead of thousands). Setting the option on each connection makes it hold for every way the
server is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What ``authgate serve`` hands to uvicorn as its ``http`` setting.
PROTOCOL = "authgate.http.protocol:NoDelayProtocol"


class NoDelayProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # OSError: the peer is already gone; the transport will say so
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
