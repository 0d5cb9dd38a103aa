"""The server side of wsengine.asyncio: ``serve()`` / ``unix_serve()``, the Server they
return, and ServerConnection (the opening handshake and the handler task).

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 8765) as server:
        await server.serve_forever()
"""

from __future__ import annotations

import asyncio
import http
import inspect
import logging
from typing import (Any, Awaitable, Callable, Dict, Generator, List, Optional, Sequence, Set, Tuple,
                    Union, cast)

import wsengine

from . import transport as transport_module
from .config import DEFAULT, build_config
from .connection import Connection
from .exceptions import ConnectionClosed
from .http import Headers, HeadersLike, Request, Response

__all__ = ["serve", "unix_serve", "Server", "ServerConnection", "Handler", "ProcessRequest"]

logger = logging.getLogger("wsengine.asyncio.server")

ProcessRequestResult = Optional[Response]
#: A process_request hook: called with the connection and the request before the handshake;
#: a Response returned (or awaited) is sent instead of upgrading, None goes on.
ProcessRequest = Callable[["ServerConnection", Request],
                          Union[ProcessRequestResult, Awaitable[ProcessRequestResult]]]
#: The connection handler: a coroutine function taking the connection.
Handler = Callable[["ServerConnection"], Awaitable[None]]

_CONFIG_FIELDS = frozenset(
    name for name in dir(wsengine.Config())
    if not name.startswith("_") and not callable(getattr(wsengine.Config(), name))
)


_FRAMING = frozenset(("content-length", "transfer-encoding"))


def _split_options(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Keyword arguments named like a Config field go to the engine, the rest to the loop
    (``create_server`` / ``create_connection``: sock, backlog, reuse_port, ...)."""
    engine = {k: v for k, v in kwargs.items() if k in _CONFIG_FIELDS}
    loop = {k: v for k, v in kwargs.items() if k not in _CONFIG_FIELDS}
    return engine, loop


class ServerConnection(Connection):
    """A connection accepted by a Server; the handler receives it."""

    def __init__(self, server: "Server") -> None:
        super().__init__(wsengine.ServerConnection(server.config), max_queue=server.max_queue,
                         write_limit=server.write_limit)
        self.server = server
        self.handler_task: Optional["asyncio.Task[None]"] = None
        self._upgrade = True
        self._opened = False

    def respond(self, status: int, text: str) -> Response:
        """A plain-text Response for a process_request hook (websockets' helper)."""
        body = text.encode()
        headers = Headers([("Content-Type", "text/plain; charset=utf-8")])
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        return Response(status, phrase, headers, body)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.server.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        super().connection_lost(exc)
        self.server.connections.discard(self)
        if self._opened:
            self.server._open -= 1

    def _on_event(self, event: wsengine.Event) -> None:
        if isinstance(event, wsengine.Request):
            self._on_request(event, True)
        elif isinstance(event, wsengine.HttpRequest):
            self._on_request(event, False)
        elif isinstance(event, wsengine.Open):
            self._on_open(event)
        else:
            super()._on_event(event)

    def _on_request(self, event: Union[wsengine.Request, wsengine.HttpRequest], upgrade: bool) -> None:
        self._upgrade = upgrade
        self.request = Request(event.target, Headers(event.headers), event.method)
        server = self.server
        if upgrade and server.origins is not None and event.origin not in server.origins:
            self._answer(self.respond(403, "Failed to open a WebSocket connection: invalid Origin header.\n"))
            return
        if upgrade and server.max_connections is not None and server._open >= server.max_connections:
            # Over the server-wide limit: 503 with a hint to retry (RFC 9110 §15.6.4).
            response = self.respond(503, "Too many WebSocket connections; try again later.\n")
            response.headers.append("Retry-After", "1")
            self._answer(response)
            return
        if server.process_request is None:
            self._answer(None)
            return
        try:
            result = server.process_request(self, self.request)
        except Exception:
            logger.error("process_request failed", exc_info=True)
            self._answer(self.respond(500, "Internal Server Error\n"))
            return
        if inspect.isawaitable(result):
            task = self._loop.create_task(self._await_process_request(result))
            server._tasks.add(task)
            task.add_done_callback(server._tasks.discard)
        else:
            self._answer(result)

    async def _await_process_request(self, result: Awaitable[ProcessRequestResult]) -> None:
        try:
            response = await result
        except Exception:
            logger.error("process_request failed", exc_info=True)
            response = self.respond(500, "Internal Server Error\n")
        if self._closed is None and not self._lost.done():
            self._answer(response)
            self._flush()

    def _answer(self, response: Optional[Response]) -> None:
        """Sends the process_request hook's Response, or accepts the upgrade. A plain HTTP
        request without a Response gets 426 Upgrade Required (RFC 9110 §15.5.22)."""
        engine = self._engine
        if response is None and not self._upgrade:
            response = self.respond(426, "Failed to open a WebSocket connection: expected an upgrade request.\n")
            response.headers.append("Upgrade", "websocket")
        if response is None:
            engine.accept(None, self.server.extra_headers)
        else:
            self.response = response
            # The engine writes the framing headers itself (Content-Length from the body).
            headers = [(k, v) for k, v in response.headers.raw_items() if k.lower() not in _FRAMING]
            if self._upgrade:
                engine.reject(response.status_code, headers, response.body)
            else:
                engine.respond(response.status_code, headers, response.body)
        events = engine.events()
        if events:
            self._dispatch(events)

    def _on_open(self, event: wsengine.Open) -> None:
        self.response = Response(101, "Switching Protocols", Headers(event.headers))
        self._opened = True
        self.server._open += 1
        self.handler_task = self._loop.create_task(self._run_handler())

    async def _run_handler(self) -> None:
        try:
            await self.server.handler(self)
        except asyncio.CancelledError:
            # A cancelled handler ends its connection as a server error (RFC 6455 §7.4.1).
            self.close_nowait(1011, "handler cancelled")
            raise
        except ConnectionClosed:
            pass
        except Exception:
            logger.error("connection handler failed", exc_info=True)
            self.close_nowait(1011, "")
        else:
            self.close_nowait(1000, "")


class Server:
    """A listening WebSocket server: ``close()``, ``wait_closed()``, ``serve_forever()``,
    ``sockets``, ``connections`` (every connection alive), and ``async with``."""

    def __init__(
        self,
        handler: Handler,
        config: wsengine.Config,
        *,
        process_request: Optional[ProcessRequest] = None,
        origins: Optional[Sequence[Optional[str]]] = None,
        max_connections: Optional[int] = None,
        max_queue: Optional[int] = 16,
        write_limit: Optional[int] = None,
        extra_headers: Optional[HeadersLike] = None,
    ) -> None:
        self.handler = handler
        self.config = config
        self.process_request = process_request
        self.origins = None if origins is None else frozenset(origins)
        self.max_connections = max_connections
        self.max_queue = max_queue
        self.write_limit = write_limit
        self.extra_headers: Optional[List[Tuple[str, str]]] = (
            None if extra_headers is None else Headers(extra_headers).raw_items())
        self.connections: Set[ServerConnection] = set()
        self._open = 0
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._server: Optional[asyncio.AbstractServer] = None
        self._closed: Optional[asyncio.Future[None]] = None
        self._close_task: Optional["asyncio.Task[None]"] = None

    def _wrap(self, server: asyncio.AbstractServer) -> None:
        self._server = server
        self._closed = asyncio.get_running_loop().create_future()

    @property
    def sockets(self) -> Tuple[Any, ...]:
        """The listening sockets."""
        assert self._server is not None
        return tuple(getattr(self._server, "sockets", ()) or ())

    def is_serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    def close(self, close_connections: bool = True, code: int = 1001, reason: str = "server shutting down") -> None:
        """Stops listening and closes every connection with ``code`` (1001 going away, RFC
        6455 §7.4.1); ``wait_closed()`` waits for them and their handlers."""
        if self._close_task is None:
            self._close_task = asyncio.get_running_loop().create_task(self._close(close_connections, code, reason))

    async def _close(self, close_connections: bool, code: int, reason: str) -> None:
        assert self._server is not None and self._closed is not None
        self._server.close()
        if close_connections:
            for conn in list(self.connections):
                if conn.state == wsengine.State.CONNECTING and conn.handler_task is None:
                    conn._abort()
                else:
                    conn.close_nowait(code, reason)
        waits: List[Awaitable[Any]] = [c.wait_closed() for c in list(self.connections)]
        waits += [c.handler_task for c in list(self.connections) if c.handler_task is not None]
        waits += list(self._tasks)
        if waits:
            await asyncio.gather(*waits, return_exceptions=True)
        if not self._closed.done():
            self._closed.set_result(None)

    async def wait_closed(self) -> None:
        """Waits until close() has closed every connection and their handlers returned."""
        assert self._closed is not None
        await asyncio.shield(self._closed)

    async def serve_forever(self) -> None:
        """Serves until close() (or until cancelled, which closes the server)."""
        try:
            await self.wait_closed()
        except asyncio.CancelledError:
            self.close()
            raise

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()


class serve:
    """Starts a WebSocket server on ``host``:``port``; ``await serve(...)`` or
    ``async with serve(...) as server``. Options: ``ssl`` (an SSLContext: wss://),
    ``subprotocols`` (the server's preference order), ``origins`` (accepted Origin values;
    None in the list accepts requests without one), ``process_request`` (answer a request,
    e.g. a health check, instead of upgrading), ``max_connections`` (503 past it),
    ``max_size``, ``max_queue``, ``compression`` (``"deflate"`` or None), ``open_timeout``,
    ``ping_interval``, ``ping_timeout``, ``close_timeout`` (seconds, None to disable),
    ``extra_headers`` (added to the 101 response), ``config`` (a wsengine.Config) and any
    Config field as a keyword argument; other keyword arguments go to
    ``loop.create_server`` (sock, backlog, reuse_port...)."""

    def __init__(
        self,
        handler: Handler,
        host: Optional[str] = None,
        port: Optional[int] = None,
        *,
        ssl: Any = None,
        process_request: Optional[ProcessRequest] = None,
        origins: Optional[Sequence[Optional[str]]] = None,
        subprotocols: Optional[Sequence[str]] = None,
        max_connections: Optional[int] = None,
        compression: Optional[str] = DEFAULT,
        open_timeout: Optional[float] = DEFAULT,
        ping_interval: Optional[float] = DEFAULT,
        ping_timeout: Optional[float] = DEFAULT,
        close_timeout: Optional[float] = DEFAULT,
        max_size: Optional[int] = DEFAULT,
        max_queue: Optional[int] = 16,
        write_limit: Optional[int] = None,
        extra_headers: Optional[HeadersLike] = None,
        config: Optional[wsengine.Config] = None,
        unix: bool = False,
        path: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        options, self._loop_kwargs = _split_options(kwargs)
        engine_config = build_config(
            config, compression=compression, open_timeout=open_timeout, ping_interval=ping_interval,
            ping_timeout=ping_timeout, close_timeout=close_timeout, max_size=max_size,
            subprotocols=subprotocols, options=options)
        self.server = Server(handler, engine_config, process_request=process_request, origins=origins,
                             max_connections=max_connections, max_queue=max_queue, write_limit=write_limit,
                             extra_headers=extra_headers)
        self._host, self._port, self._ssl, self._unix, self._path = host, port, ssl, unix, path

    async def _create(self) -> Server:
        loop = asyncio.get_running_loop()
        server = self.server

        def factory() -> ServerConnection:
            return ServerConnection(server)

        # Connections get the engine's own socket I/O (transport.py), TLS included: asyncio
        # binds the sockets, SocketListener accepts.
        native = transport_module.AVAILABLE and self._loop_kwargs.get("start_serving", True)
        if native:
            kwargs = dict(self._loop_kwargs, start_serving=False)
            tls = None  # SocketListener runs TLS itself
        else:
            kwargs, tls = self._loop_kwargs, self._ssl
        if self._unix:
            listener = await loop.create_unix_server(factory, self._path, ssl=tls, **kwargs)
        else:
            listener = await loop.create_server(factory, self._host, self._port, ssl=tls, **kwargs)
        if native:
            accepting = transport_module.SocketListener(loop, listener, factory, self._loop_kwargs.get("backlog", 100),
                                                        self._ssl)
            accepting.start()
            server._wrap(cast(asyncio.AbstractServer, accepting))
        else:
            server._wrap(listener)
        return server

    def __await__(self) -> Generator[Any, None, Server]:
        return self._create().__await__()

    async def __aenter__(self) -> Server:
        return await self._create()

    async def __aexit__(self, *exc: Any) -> None:
        self.server.close()
        await self.server.wait_closed()


def unix_serve(handler: Handler, path: Optional[str] = None, **kwargs: Any) -> serve:
    """serve() on a Unix socket at ``path``."""
    return serve(handler, unix=True, path=path, **kwargs)
