"""Type stubs of the compiled module wsengine._wsengine."""

from typing import Any, ClassVar, Iterable, List, Literal, Mapping, Optional, Tuple, Union, final
import ssl

__version__: str
DEFLATE_AVAILABLE: bool

_Bytes = Union[bytes, bytearray, memoryview]
_Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]
_Delivery = Union[Literal["messages", "frames"], int]

class WebSocketError(Exception):
    """Base class of every wsengine error."""

    kind: str
    """The core's stable error name, e.g. "invalid_utf8", "invalid_state"."""
    close_code: int
    """The close code sent because of this error (1006 when none could be sent)."""
    message: str

class ProtocolError(WebSocketError):
    """The peer (or the transport, or a timer) failed the connection."""

class ApplicationError(WebSocketError):
    """The call is not allowed (wrong state, bad argument or option); nothing changed."""

class InternalError(WebSocketError):
    """A bug in wsengine (a caught Rust panic); the connection is unusable afterwards."""

class DeflateConfig:
    """permessage-deflate options (only when DEFLATE_AVAILABLE)."""

    def __init__(self, **kwargs: Any) -> None: ...
    def __getattr__(self, name: str) -> Any: ...
    def __setattr__(self, name: str, value: Any) -> None: ...

class Config:
    """Connection options: every field of the core's Config, same names and defaults."""

    max_frame_size: int
    """Largest frame payload accepted (1009 beyond). Default 16 MiB."""
    max_message_size: int
    """Largest message accepted, after decompression (1009 beyond). Default 16 MiB."""
    max_fragments: int
    """Most frames in one message (1009 beyond). Default 131072."""
    max_output_buffer: int
    """Most bytes the application may queue; sends beyond raise output_buffer_full. Default 64 MiB."""
    high_water_mark: int
    """Above this many queued bytes, is_writable is False. Default 1 MiB."""
    low_water_mark: int
    """A Writable event is emitted when output drains to this. Default 64 KiB."""
    max_outgoing_frame_size: Optional[int]
    """Split outgoing messages into frames of at most this many bytes. Default None."""
    max_header_bytes: int
    """Longest HTTP head accepted. Default 8 KiB."""
    max_headers: int
    """Most HTTP header fields accepted. Default 64."""
    max_reject_body: int
    """Most body bytes of a refusal kept for Rejected. Default 64 KiB."""
    delivery: _Delivery
    """"messages" (default), "frames" (one Chunk per frame) or an int: Chunks of at most that many bytes."""
    ignore_utf8_errors: bool
    """Accept text that is not UTF-8 (replaced by U+FFFD). Default False."""
    surface_pings: bool
    """Emit Ping events (pings are answered either way). Default False."""
    surface_pongs: bool
    """Emit Pong events. Default False."""
    auto_pong: bool
    """Answer pings automatically. Default True."""
    handshake_timeout: Optional[int]
    """Milliseconds; default 10000."""
    ping_interval: Optional[int]
    """Milliseconds between keepalive pings; default None (off)."""
    pong_timeout: Optional[int]
    """Milliseconds to wait for a keepalive pong (then 1011); default 20000."""
    idle_timeout: Optional[int]
    """Close with 1001 after this long without input; default None."""
    max_lifetime: Optional[int]
    """Close with 1001 this long after opening; default None."""
    close_timeout: Optional[int]
    """Milliseconds to wait for the closing handshake; default 5000."""
    protocols: List[str]
    """Subprotocols: a server's preference list, or the list a client offers."""
    allowed_origins: Optional[List[str]]
    """Server: Origin values accepted (others get 403); None accepts every origin."""
    deflate: Optional[DeflateConfig]
    """permessage-deflate options; None (default) disables it."""

    def __init__(
        self,
        *,
        max_frame_size: int = ...,
        max_message_size: int = ...,
        max_fragments: int = ...,
        max_output_buffer: int = ...,
        high_water_mark: int = ...,
        low_water_mark: int = ...,
        max_outgoing_frame_size: Optional[int] = ...,
        max_header_bytes: int = ...,
        max_headers: int = ...,
        max_reject_body: int = ...,
        delivery: _Delivery = ...,
        ignore_utf8_errors: bool = ...,
        surface_pings: bool = ...,
        surface_pongs: bool = ...,
        auto_pong: bool = ...,
        handshake_timeout: Optional[int] = ...,
        ping_interval: Optional[int] = ...,
        pong_timeout: Optional[int] = ...,
        idle_timeout: Optional[int] = ...,
        max_lifetime: Optional[int] = ...,
        close_timeout: Optional[int] = ...,
        protocols: Iterable[str] = ...,
        allowed_origins: Optional[Iterable[str]] = ...,
        deflate: Optional[DeflateConfig] = ...,
    ) -> None: ...
    def replace(self, **kwargs: Any) -> "Config":
        """A copy with some options changed."""
    def validate(self) -> None:
        """Raises ApplicationError if the values are inconsistent."""

@final
class ProxyConfig:
    """Tunnel a client through an HTTP proxy with CONNECT."""

    authorization: Optional[str]
    headers: List[Tuple[str, str]]
    def __init__(self, authorization: Optional[str] = None, headers: Optional[_Headers] = None) -> None: ...

@final
class State:
    """The W3C ready state."""

    CONNECTING: ClassVar["State"]
    OPEN: ClassVar["State"]
    CLOSING: ClassVar["State"]
    CLOSED: ClassVar["State"]
    def __int__(self) -> int: ...

# ---- events ----

@final
class Request:
    """Server: a valid WebSocket upgrade request; answer with accept() or reject()."""

    __match_args__ = ("method", "target", "path", "query", "headers", "host", "origin", "key", "protocols", "extensions")
    method: str
    target: str
    path: str
    query: Optional[str]
    headers: List[Tuple[str, str]]
    host: Optional[str]
    origin: Optional[str]
    key: Optional[str]
    protocols: List[str]
    extensions: List[str]
    def __init__(
        self,
        method: str,
        target: str,
        path: str,
        query: Optional[str],
        headers: List[Tuple[str, str]],
        host: Optional[str],
        origin: Optional[str],
        key: Optional[str],
        protocols: List[str],
        extensions: List[str],
    ) -> None: ...

@final
class HttpRequest:
    """Server: a valid HTTP request that is not an upgrade; answer with respond()."""

    __match_args__ = ("method", "target", "path", "query", "headers", "host", "origin", "key", "protocols", "extensions")
    method: str
    target: str
    path: str
    query: Optional[str]
    headers: List[Tuple[str, str]]
    host: Optional[str]
    origin: Optional[str]
    key: Optional[str]
    protocols: List[str]
    extensions: List[str]
    def __init__(
        self,
        method: str,
        target: str,
        path: str,
        query: Optional[str],
        headers: List[Tuple[str, str]],
        host: Optional[str],
        origin: Optional[str],
        key: Optional[str],
        protocols: List[str],
        extensions: List[str],
    ) -> None: ...

@final
class Open:
    """The opening handshake completed."""

    __match_args__ = ("protocol", "extensions", "headers")
    protocol: Optional[str]
    extensions: Optional[str]
    headers: List[Tuple[str, str]]
    def __init__(self, protocol: Optional[str], extensions: Optional[str], headers: List[Tuple[str, str]]) -> None: ...

@final
class Rejected:
    """Client: the server (or the CONNECT proxy) refused the handshake."""

    __match_args__ = ("status", "reason", "headers", "body", "from_proxy")
    status: int
    reason: str
    headers: List[Tuple[str, str]]
    body: bytes
    from_proxy: bool
    def __init__(self, status: int, reason: str, headers: List[Tuple[str, str]], body: bytes, from_proxy: bool) -> None: ...

@final
class ProxyConnected:
    """Client: the CONNECT proxy opened the tunnel (start TLS now for wss://)."""

    __match_args__ = ()
    def __init__(self) -> None: ...

@final
class TextMessage:
    """A complete text message."""

    __match_args__ = ("data",)
    data: str
    def __init__(self, data: str) -> None: ...

@final
class BinaryMessage:
    """A complete binary message."""

    __match_args__ = ("data",)
    data: bytes
    def __init__(self, data: bytes) -> None: ...

@final
class Chunk:
    """A piece of a data message (chunk or frame delivery)."""

    __match_args__ = ("kind", "data", "first", "last")
    kind: Literal["text", "binary"]
    data: bytes
    first: bool
    last: bool
    @property
    def text(self) -> str:
        """data decoded as UTF-8 (invalid sequences become U+FFFD)."""
    def __init__(self, kind: Literal["text", "binary"], data: bytes, first: bool, last: bool) -> None: ...

@final
class Ping:
    """A ping arrived (with surface_pings)."""

    __match_args__ = ("data",)
    data: bytes
    def __init__(self, data: bytes) -> None: ...

@final
class Pong:
    """A pong arrived (with surface_pongs)."""

    __match_args__ = ("data",)
    data: bytes
    def __init__(self, data: bytes) -> None: ...

@final
class CloseReceived:
    """The peer sent a close frame (code 1005 if it had none); the answer is queued."""

    __match_args__ = ("code", "reason")
    code: int
    reason: str
    def __init__(self, code: int, reason: str) -> None: ...

@final
class Failed:
    """The connection failed; close_code was sent if it was open. Closed follows."""

    __match_args__ = ("kind", "close_code", "message")
    kind: str
    close_code: int
    message: str
    @property
    def error(self) -> ProtocolError:
        """The failure as an exception instance."""
    def __init__(self, kind: str, close_code: int, message: str) -> None: ...

@final
class Closed:
    """The connection is over: write what is left, then drop the transport."""

    __match_args__ = ("code", "reason", "was_clean", "initiated_by", "sent_code")
    code: int
    reason: str
    was_clean: bool
    initiated_by: Optional[Literal["local", "remote"]]
    sent_code: Optional[int]
    def __init__(
        self,
        code: int,
        reason: str,
        was_clean: bool,
        initiated_by: Optional[Literal["local", "remote"]],
        sent_code: Optional[int],
    ) -> None: ...

@final
class Writable:
    """Queued output drained below the low-water mark."""

    __match_args__ = ()
    def __init__(self) -> None: ...

@final
class CloseInfo:
    """How the connection ended (Connection.close_info)."""

    __match_args__ = ("code", "reason", "was_clean", "initiated_by", "sent_code")
    code: int
    reason: str
    was_clean: bool
    initiated_by: Optional[Literal["local", "remote"]]
    sent_code: Optional[int]
    def __init__(
        self,
        code: int,
        reason: str,
        was_clean: bool,
        initiated_by: Optional[Literal["local", "remote"]],
        sent_code: Optional[int],
    ) -> None: ...

_Event = Union[
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

# ---- connections ----

class Connection:
    """A WebSocket connection (either role); a pure state machine with no I/O."""

    def receive_data(self, data: _Bytes) -> None:
        """Feeds bytes read from the transport (read in place, never copied); take the
        events with events()."""
    def receive(self, data: _Bytes) -> List[_Event]:
        """Feeds bytes read from the transport and returns the events they produced (with any
        left from before), in one call. Input is read in place, never copied; with bytes,
        each whole single-frame message becomes its str/bytes straight from the engine's
        buffer (the fastest path).

        Messages in this input that precede the peer's close frame or a frame that fails
        the connection come first and can still be answered: the replies go out before the
        engine's close frame until data_to_send() (or consume()) takes it.
        Taking events never changes the connection's state."""
    def receive_from(self, fd: int) -> Optional[List[_Event]]:
        """Reads once from a connected non-blocking socket (its file descriptor) and feeds
        what it read, as receive() does: the events ([] when there was nothing to read), or
        None at end of input (then call receive_eof()). OSError when the read fails. The
        socket stays the caller's. Unix only."""
    def receive_tls_from(self, fd: int, session: "TlsSession") -> Optional[List[_Event]]:
        """receive_from() over TLS: reads records once, decrypts them with the session and
        feeds the plaintext. The events ([] when there was nothing to read or no whole
        record), or None at end of input; session.state then says what is left to do.
        ssl.SSLError when a record fails (once no plaintext precedes it), OSError when the
        read does. Unix only."""
    def receive_eof(self) -> None:
        """The transport reached end of input."""
    def events(self) -> List[_Event]:
        """Every pending event, in order (possibly []). Taking events never changes the
        connection's state or output."""
    def data_to_send(self) -> bytes:
        """Takes every queued output byte (b"" when nothing is queued)."""
    def send_to(self, fd: int) -> int:
        """Writes the queued output to a connected non-blocking socket (its file descriptor),
        as much as it takes now; returns the number of bytes still queued (0: all written).
        OSError when the write fails. The socket stays the caller's. Unix only."""
    def send_tls_to(self, fd: int, session: "TlsSession") -> Optional[bytes]:
        """send_to() over TLS: encrypts the queued output with the session and sends the
        records (with any TLS made before), as many as the socket takes now; returns the
        records it did not take (None: all sent). ssl.SSLError / OSError on failure. Unix only."""
    def output_buffers(self) -> List[bytes]:
        """The queued output runs, without consuming them; call consume(n) after writing."""
    def consume(self, n: int) -> None:
        """Marks n bytes of output as written."""
    def send_text(self, text: str) -> None: ...
    def send_binary(self, data: _Bytes) -> None: ...
    def send_fragment(
        self, data: Union[str, _Bytes], fin: bool, kind: Optional[Literal["text", "binary"]] = None
    ) -> None:
        """One fragment of a message: str is text, bytes-like is binary unless kind says so."""
    def ping(self, data: Union[str, _Bytes, None] = None) -> None: ...
    def pong(self, data: Union[str, _Bytes, None] = None) -> None: ...
    def close(self, code: Optional[int] = None, reason: str = "") -> None:
        """W3C-style close: code 1000 or 3000-4999, reason at most 123 bytes."""
    def close_with(self, code: int, reason: str = "") -> None:
        """Close with any code valid on the wire (1001, 1008, ...)."""
    def accept(self, protocol: Optional[str] = None, headers: Optional[_Headers] = None) -> None:
        """Server: accept the upgrade request of a Request event."""
    def reject(self, status: int, headers: Optional[_Headers] = None, body: Union[str, _Bytes, None] = None) -> None:
        """Server: refuse the upgrade request; the connection closes."""
    def respond(self, status: int, headers: Optional[_Headers] = None, body: Union[str, _Bytes, None] = None) -> None:
        """Server: answer a plain HTTP request (HttpRequest event); the connection closes."""
    def handle_timeout(self, now_ms: int) -> None:
        """Gives the current time (milliseconds, any fixed origin) and runs due timers."""
    def next_timeout(self) -> Optional[int]:
        """When to call handle_timeout() next (same clock), or None."""
    @property
    def state(self) -> State: ...
    @property
    def role(self) -> Literal["client", "server"]: ...
    @property
    def buffered_amount(self) -> int: ...
    @property
    def is_writable(self) -> bool: ...
    @property
    def can_send(self) -> bool:
        """Whether a message may be sent now: open, or answering messages that came before
        a close or failure whose close frame data_to_send() has not taken yet."""
    @property
    def close_info(self) -> Optional[CloseInfo]: ...
    @property
    def protocol(self) -> Optional[str]: ...
    @property
    def extensions(self) -> Optional[str]: ...
    @property
    def config(self) -> Config: ...

class ServerConnection(Connection):
    """A server connection: reads the HTTP upgrade request first (Request event)."""

    def __init__(self, config: Optional[Config] = None, **kwargs: Any) -> None: ...

class ClientConnection(Connection):
    """A client connection: the upgrade request is queued at once."""

    def __init__(
        self,
        url: str,
        config: Optional[Config] = None,
        *,
        origin: Optional[str] = None,
        headers: Optional[_Headers] = None,
        proxy: Union[bool, ProxyConfig, None] = None,
        **kwargs: Any,
    ) -> None: ...

def open_connection(
    role: Literal["client", "server"],
    config: Optional[Config] = None,
    *,
    protocol: Optional[str] = None,
    extensions: Optional[str] = None,
    **kwargs: Any,
) -> Connection:
    """A connection that is already open (post-handshake mode: RFC 8441 / RFC 9220 stacks)."""


class TlsSession:
    """The OpenSSL objects under a TLS connection's ssl objects, whose handshake Python's ssl
    has done: receive_tls_from / send_tls_to move application records through it in one
    native call each, while Python's ssl keeps the handshake, verification, close_notify and
    errors. ValueError where this interpreter's or ssl module's objects are not known ones.
    Unix only."""

    def __init__(self, sslobj: Any, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO) -> None: ...
    @property
    def state(self) -> int:
        """After receive_tls_from: 0, or bits of what the transport must still do: 1 decrypt
        the records left, 2 the peer sent close_notify, 4 send records reading produced, 8
        fail with take_failure() once the events returned are handled."""
    def take_failure(self) -> Optional[BaseException]:
        """With state 8: the ssl exception a record raised after the plaintext returned
        (once; None otherwise)."""
