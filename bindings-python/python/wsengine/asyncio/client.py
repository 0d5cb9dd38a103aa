"""The client side of wsengine.asyncio: ``connect()`` / ``unix_connect()`` and
ClientConnection (the opening handshake of a client).

    async with connect("ws://127.0.0.1:8765/") as ws:
        await ws.send("hello")
        print(await ws.recv())
"""

from __future__ import annotations

import asyncio
import socket
import ssl as ssl_module
from typing import Any, Dict, Generator, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import wsengine

from .config import DEFAULT, build_config
from . import transport as transport_module
from .connection import Connection
from .exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from .http import Headers, HeadersLike, Request, Response
from .server import _split_options

__all__ = ["connect", "unix_connect", "ClientConnection"]


class ClientConnection(Connection):
    """A client connection: ``await`` its handshake through connect()."""

    def __init__(self, engine: wsengine.ClientConnection, *, max_queue: Optional[int] = 16,
                 write_limit: Optional[int] = None) -> None:
        super().__init__(engine, max_queue=max_queue, write_limit=write_limit)
        self._handshake: asyncio.Future[None] = self._loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The engine queued the upgrade request at once: keep it as self.request.
        head = b"".join(self._engine.output_buffers()).split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        fields = [tuple(line.split(":", 1)) for line in lines[1:] if ":" in line]
        self.request = Request(parts[1] if len(parts) > 1 else "/",
                               Headers([(k, v.strip()) for k, v in fields]), parts[0])
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        super().connection_lost(exc)
        self._fail_handshake(InvalidHandshake("connection closed during the opening handshake"))

    def _on_event(self, event: wsengine.Event) -> None:
        if isinstance(event, wsengine.Open):
            self.response = Response(101, "Switching Protocols", Headers(event.headers))
            if not self._handshake.done():
                self._handshake.set_result(None)
        elif isinstance(event, wsengine.Rejected):
            self.response = Response(event.status, event.reason, Headers(event.headers), event.body)
            self._fail_handshake(InvalidStatus(self.response))
        else:
            super()._on_event(event)
            if isinstance(event, wsengine.Closed):
                why = self._failure.message if self._failure is not None else "connection closed"
                self._fail_handshake(InvalidHandshake(f"opening handshake failed: {why}"))

    def _fail_handshake(self, exc: Exception) -> None:
        if not self._handshake.done():
            self._handshake.set_exception(exc)


class connect:
    """Opens a client connection to ``uri`` (ws:// or wss://); ``await connect(...)`` or
    ``async with connect(...) as ws``. Options: ``ssl`` (an SSLContext; wss:// uses the
    default context when omitted), ``server_hostname``, ``origin``, ``subprotocols`` (offered
    in this order), ``additional_headers``, ``compression`` (``"deflate"`` or None),
    ``open_timeout``, ``ping_interval``, ``ping_timeout``, ``close_timeout`` (seconds, None to
    disable), ``max_size``, ``max_queue``, ``config`` (a wsengine.Config) and any Config field
    as a keyword argument; other keyword arguments go to ``loop.create_connection`` (sock,
    local_addr...). InvalidStatus if the server refuses, InvalidHandshake on other failures."""

    def __init__(
        self,
        uri: str,
        *,
        ssl: Any = None,
        server_hostname: Optional[str] = None,
        origin: Optional[str] = None,
        subprotocols: Optional[Sequence[str]] = None,
        additional_headers: Optional[HeadersLike] = None,
        compression: Optional[str] = DEFAULT,
        open_timeout: Optional[float] = DEFAULT,
        ping_interval: Optional[float] = DEFAULT,
        ping_timeout: Optional[float] = DEFAULT,
        close_timeout: Optional[float] = DEFAULT,
        max_size: Optional[int] = DEFAULT,
        max_queue: Optional[int] = 16,
        write_limit: Optional[int] = None,
        config: Optional[wsengine.Config] = None,
        unix: bool = False,
        path: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        parts = urlsplit(uri)
        if parts.scheme not in ("ws", "wss"):
            raise InvalidURI(uri, "the scheme must be ws or wss")
        if not parts.hostname and not unix:
            raise InvalidURI(uri, "no host")
        self.uri = uri
        self._secure = parts.scheme == "wss"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._secure else 80)
        if self._secure and ssl is None:
            ssl = ssl_module.create_default_context()
        if not self._secure and ssl is not None:
            raise ValueError("connect() got an ssl context for a ws:// URI")
        self._ssl = ssl
        self._server_hostname = server_hostname
        self._origin = origin
        self._headers = None if additional_headers is None else Headers(additional_headers).raw_items()
        options, self._loop_kwargs = _split_options(kwargs)
        # As in websockets: host= / port= connect elsewhere than the URI says (the URI still
        # gives the Host header and the TLS server name).
        self._connect_host = self._loop_kwargs.pop("host", self._host)
        self._connect_port = self._loop_kwargs.pop("port", self._port)
        self.config = build_config(
            config, compression=compression, open_timeout=open_timeout, ping_interval=ping_interval,
            ping_timeout=ping_timeout, close_timeout=close_timeout, max_size=max_size,
            subprotocols=subprotocols, options=options)
        self._open_timeout = None if open_timeout is DEFAULT else open_timeout
        self._max_queue = max_queue
        self._write_limit = write_limit
        self._unix = unix
        self._path = path
        self._connection: Optional[ClientConnection] = None

    async def _create(self) -> ClientConnection:
        loop = asyncio.get_running_loop()
        engine = wsengine.ClientConnection(self.uri, self.config, origin=self._origin, headers=self._headers)

        def factory() -> ClientConnection:
            return ClientConnection(engine, max_queue=self._max_queue, write_limit=self._write_limit)

        tls: Dict[str, Any] = {}
        if self._ssl is not None:
            tls = {"ssl": self._ssl, "server_hostname": self._server_hostname or self._host}
        if not self._loop_kwargs and transport_module.AVAILABLE:
            conn = factory()
            sock = await self._connect_socket(loop)
            if self._ssl is None:
                transport_module.SocketTransport(loop, sock, conn, engine).start()
            else:
                # As asyncio: server_hostname="" turns SNI and the hostname check off.
                hostname = self._host if self._server_hostname is None else (self._server_hostname or None)
                secure = transport_module.TLSSocketTransport(
                    loop, sock, conn, engine, self._ssl, server_side=False, server_hostname=hostname,
                    handshake_timeout=transport_module.handshake_timeout(engine))
                secure.start()
                try:
                    await secure.handshake  # raises as asyncio's would (ssl.SSLCertVerificationError...)
                except BaseException:
                    secure.abort()
                    raise
        elif self._unix:
            _, conn = await loop.create_unix_connection(factory, self._path, **tls, **self._loop_kwargs)
        else:
            _, conn = await loop.create_connection(factory, self._connect_host, self._connect_port, **tls, **self._loop_kwargs)
        # The engine's handshake_timeout bounds the wait; a failure closes the connection.
        await conn._handshake
        self._connection = conn
        return conn

    async def _connect_socket(self, loop: asyncio.AbstractEventLoop) -> socket.socket:
        """A connected non-blocking socket to the server (each address getaddrinfo gives in
        turn, as loop.create_connection() tries them), for a SocketTransport."""
        if self._unix:
            targets: List[Tuple[int, int, int, Any]] = [(socket.AF_UNIX, socket.SOCK_STREAM, 0, self._path)]
        else:
            infos = await loop.getaddrinfo(self._connect_host, self._connect_port, type=socket.SOCK_STREAM)
            targets = [(family, kind, proto, address) for family, kind, proto, _, address in infos]
        errors: List[OSError] = []
        for family, kind, proto, address in targets:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                await loop.sock_connect(sock, address)
                return sock
            except OSError as exc:
                sock.close()
                errors.append(exc)
            except BaseException:
                sock.close()
                raise
        if not errors:
            raise OSError(f"getaddrinfo() found no address for {self._connect_host!r}")
        if len(errors) == 1:
            raise errors[0]
        raise OSError(f"Multiple exceptions: {', '.join(str(e) for e in errors)}")

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self._timed().__await__()

    async def _timed(self) -> ClientConnection:
        if self._open_timeout is None:
            return await self._create()
        try:
            return await asyncio.wait_for(self._create(), self._open_timeout)
        except asyncio.TimeoutError:
            raise InvalidHandshake("timed out during the opening handshake") from None

    async def __aenter__(self) -> ClientConnection:
        return await self

    async def __aexit__(self, *exc: Any) -> None:
        if self._connection is not None:
            await self._connection.close()


def unix_connect(path: Optional[str] = None, uri: Optional[str] = None, **kwargs: Any) -> connect:
    """connect() over a Unix socket at ``path`` (``uri`` defaults to ws://localhost/)."""
    if uri is None:
        uri = "wss://localhost/" if kwargs.get("ssl") is not None else "ws://localhost/"
    return connect(uri, unix=True, path=path, **kwargs)
