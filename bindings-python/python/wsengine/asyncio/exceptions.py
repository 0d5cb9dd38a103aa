"""The exceptions of wsengine.asyncio, named and arranged as in websockets (v13+), so that
code catching ``websockets.exceptions.ConnectionClosed`` moves over with an import change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .http import Response

__all__ = [
    "WebSocketException",
    "ConnectionClosed",
    "ConnectionClosedOK",
    "ConnectionClosedError",
    "InvalidHandshake",
    "InvalidStatus",
    "InvalidURI",
    "ConcurrencyError",
]

#: Close codes that end a connection normally (RFC 6455 §7.4.1): 1000 normal closure, 1001
#: going away, and 1005 when the peer's close frame carried no code.
OK_CODES = frozenset((1000, 1001, 1005))


class WebSocketException(Exception):
    """Base class of every exception raised by wsengine.asyncio."""


class ConnectionClosed(WebSocketException):
    """The connection is closed (or closing): raised by recv(), send() and ping().

    ``code`` / ``reason`` are the close code and reason the connection ended with (1006 and
    "" when no close frame was received), ``was_clean`` whether the closing handshake
    completed (RFC 6455 §7.1.5), ``initiated_by`` ``"local"`` or ``"remote"`` (None when the
    TCP connection simply dropped), ``sent_code`` the code we sent, if any.
    """

    def __init__(
        self,
        code: int = 1006,
        reason: str = "",
        was_clean: bool = False,
        initiated_by: Optional[str] = None,
        sent_code: Optional[int] = None,
    ) -> None:
        self.code = code
        self.reason = reason
        self.was_clean = was_clean
        self.initiated_by = initiated_by
        self.sent_code = sent_code
        super().__init__(code, reason)

    def __str__(self) -> str:
        how = "cleanly" if self.was_clean else "abnormally"
        by = f" by the {'peer' if self.initiated_by == 'remote' else 'local side'}" if self.initiated_by else ""
        reason = f" ({self.reason})" if self.reason else ""
        return f"connection closed {how}{by}: {self.code}{reason}"


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed cleanly with 1000, 1001 or no code (1005)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed with an error code, or without a complete closing handshake."""


def closed_exception(
    code: int, reason: str, was_clean: bool, initiated_by: Optional[str], sent_code: Optional[int]
) -> ConnectionClosed:
    """The ConnectionClosedOK or ConnectionClosedError that describes a close."""
    cls = ConnectionClosedOK if was_clean and code in OK_CODES else ConnectionClosedError
    return cls(code, reason, was_clean, initiated_by, sent_code)


class InvalidHandshake(WebSocketException):
    """The opening handshake failed."""


class InvalidStatus(InvalidHandshake):
    """Client: the server answered the upgrade request with another status than 101.

    ``response`` holds the status, headers and body it sent.
    """

    def __init__(self, response: "Response") -> None:
        self.response = response
        super().__init__(f"server rejected WebSocket connection: HTTP {response.status_code}")


class InvalidURI(InvalidHandshake):
    """connect() was given a URI that is not ws:// or wss://."""

    def __init__(self, uri: str, msg: str) -> None:
        self.uri = uri
        super().__init__(f"{uri} isn't a valid URI: {msg}")


class ConcurrencyError(WebSocketException, RuntimeError):
    """Two coroutines called recv() at once on the same connection."""
