"""wsengine: a fast sans-IO WebSocket engine (RFC 6455, RFC 7692) written in Rust.

Bytes and time go in, events and bytes come out; the caller owns every socket, task and
clock. See README.md for the calling pattern and the examples/ folder for asyncio servers
and a client.
"""

from typing import Union

from ._wsengine import (
    DEFLATE_AVAILABLE,
    ApplicationError,
    BinaryMessage,
    Chunk,
    ClientConnection,
    CloseInfo,
    CloseReceived,
    Closed,
    Config,
    Connection,
    Failed,
    HttpRequest,
    InternalError,
    Open,
    Ping,
    Pong,
    ProtocolError,
    ProxyConfig,
    ProxyConnected,
    Rejected,
    Request,
    ServerConnection,
    State,
    TextMessage,
    WebSocketError,
    Writable,
    __version__,
    open_connection,
)

if DEFLATE_AVAILABLE:
    from ._wsengine import DeflateConfig  # noqa: F401

#: Any event returned by Connection.events() / Connection.receive().
Event = Union[
    Request,
    HttpRequest,
    Open,
    Rejected,
    ProxyConnected,
    TextMessage,
    BinaryMessage,
    Chunk,
    Ping,
    Pong,
    CloseReceived,
    Failed,
    Closed,
    Writable,
]

__all__ = [
    "DEFLATE_AVAILABLE",
    "ApplicationError",
    "BinaryMessage",
    "Chunk",
    "ClientConnection",
    "CloseInfo",
    "CloseReceived",
    "Closed",
    "Config",
    "Connection",
    "DeflateConfig",
    "Event",
    "Failed",
    "HttpRequest",
    "InternalError",
    "Open",
    "Ping",
    "Pong",
    "ProtocolError",
    "ProxyConfig",
    "ProxyConnected",
    "Rejected",
    "Request",
    "ServerConnection",
    "State",
    "TextMessage",
    "WebSocketError",
    "Writable",
    "__version__",
    "open_connection",
]
