"""Nagle stays off on every connection, however the listening socket was made.

With ``WORKERS`` > 1 uvicorn binds the listening socket as ``socket.socket(AF_INET)``, whose
``proto`` is 0; asyncio then does not recognise the accepted connections as TCP and leaves
Nagle on, which cost every small response a 40 ms delayed ACK."""

from __future__ import annotations

import asyncio
import socket

from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from authgate.http.protocol import PROTOCOL, NoDelayProtocol


async def _app(scope: Scope, receive: Receive, send: Send) -> None:  # never called: no request
    raise AssertionError("no request is sent")


def _nodelay_of_accepted(protocol: type[HttpToolsProtocol]) -> int:
    """Serve with ``protocol`` on a listening socket made as uvicorn makes it for several
    workers, connect once, and read TCP_NODELAY on the server's side of the connection."""

    async def main() -> int:
        listening = socket.socket(socket.AF_INET)  # proto 0, as uvicorn's bind_socket
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", 0))
        config = Config(app=_app, loop="asyncio", log_config=None)
        state = ServerState()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: protocol(config, state, {}), sock=listening)
        try:
            _reader, writer = await asyncio.open_connection(*listening.getsockname())
            for _ in range(100):  # the server's side exists once the loop accepted it
                if state.connections:
                    break
                await asyncio.sleep(0.01)
            (accepted,) = state.connections
            value = accepted.transport.get_extra_info("socket").getsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY
            )
            writer.close()
            return int(value)
        finally:
            server.close()

    return asyncio.run(main())


def test_the_accepted_connections_have_nagle_off() -> None:
    assert _nodelay_of_accepted(NoDelayProtocol) == 1


def test_without_it_asyncio_leaves_nagle_on_for_such_sockets() -> None:
    # The reason for NoDelayProtocol: if this ever holds no more, it can go.
    assert _nodelay_of_accepted(HttpToolsProtocol) == 0


def test_serve_names_the_protocol_uvicorn_imports() -> None:
    config = Config(app=_app, http=PROTOCOL, loop="asyncio", log_config=None)
    config.load()

    assert config.http_protocol_class is NoDelayProtocol
