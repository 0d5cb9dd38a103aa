"""An asyncio WebSocket server and client on the wsengine engine, modelled on websockets'
asyncio API (``websockets.asyncio.server`` / ``.client``, v13+): moving over is mostly an
import change.

    from wsengine.asyncio import serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 8765) as server:
        await server.serve_forever()

Built on asyncio protocols (not streams) and transports of its own (transport.py): the
engine reads from and writes to the socket itself; over TLS, Python's ssl.SSLObject does
the handshake and the engine moves the records through its OpenSSL objects (TlsSession).
The engine runs the handshake, framing, permessage-deflate and every timer.
"""

from .client import ClientConnection, connect, unix_connect
from .connection import Connection, Data
from .exceptions import (ConcurrencyError, ConnectionClosed, ConnectionClosedError, ConnectionClosedOK,
                         InvalidHandshake, InvalidStatus, InvalidURI, WebSocketException)
from .http import Headers, Request, Response
from .server import Server, ServerConnection, serve, unix_serve

__all__ = [
    "ClientConnection",
    "ConcurrencyError",
    "Connection",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "Data",
    "Headers",
    "InvalidHandshake",
    "InvalidStatus",
    "InvalidURI",
    "Request",
    "Response",
    "Server",
    "ServerConnection",
    "WebSocketException",
    "connect",
    "serve",
    "unix_connect",
    "unix_serve",
]
