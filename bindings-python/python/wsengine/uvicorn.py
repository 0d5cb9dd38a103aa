"""uvicorn's WebSocket protocol on the wsengine engine:

    uvicorn app:app --ws wsengine.uvicorn:WebSocketProtocol
    uvicorn.run(app, ws="wsengine.uvicorn:WebSocketProtocol")

Same interface as uvicorn's own websockets / wsproto implementations: uvicorn's HTTP protocol
hands over the transport and the upgrade request; this class runs the ASGI ``websocket``
scope (``websocket.connect/accept/receive/send/close/disconnect`` and the
``websocket.http.response`` extension for denials). uvicorn's options apply: ``ws_max_size``,
``ws_max_queue`` (the bounded incoming queue: reading pauses when it is full),
``ws_ping_interval`` / ``ws_ping_timeout`` (the engine's keepalive) and
``ws_per_message_deflate``. Once the 101 is written, a plain TCP or Unix connection on
asyncio's loop is taken over from uvicorn's transport (SocketTransport.adopt): the engine reads
and writes the socket itself from then on, as under wsengine.asyncio.serve().
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, cast
from urllib.parse import unquote

import wsengine

from .asyncio.connection import Connection
from .asyncio.transport import SocketTransport

if TYPE_CHECKING:
    from uvicorn.config import Config as UvicornConfig
    from uvicorn.server import ServerState

__all__ = ["WebSocketProtocol"]

try:
    from uvicorn.protocols.utils import ClientDisconnected
except ImportError:  # pragma: no cover - uvicorn is what imports this module

    class ClientDisconnected(OSError):  # type: ignore[no-redef]
        """Sending on a connection that is gone."""


ASGIMessage = Dict[str, Any]


def _engine_config(config: "UvicornConfig") -> wsengine.Config:
    size = int(config.ws_max_size)
    options: Dict[str, Any] = {
        "max_message_size": size,
        "max_frame_size": size,
        "surface_pongs": True,
        "ping_interval": None if not config.ws_ping_interval else int(config.ws_ping_interval * 1000),
        "pong_timeout": None if config.ws_ping_timeout is None else int(config.ws_ping_timeout * 1000),
    }
    if config.ws_per_message_deflate and wsengine.DEFLATE_AVAILABLE:
        options["deflate"] = wsengine.DeflateConfig()
    return wsengine.Config(**options)


class WebSocketProtocol(Connection):
    """A uvicorn WebSocket protocol (``ws=`` of uvicorn.run / Config) on wsengine."""

    def __init__(self, config: "UvicornConfig", server_state: "ServerState", app_state: Dict[str, Any],
                 _loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        if not config.loaded:
            config.load()
        engine_config = getattr(config, "_wsengine_config", None)
        if engine_config is None:
            engine_config = _engine_config(config)
            setattr(config, "_wsengine_config", engine_config)
        super().__init__(wsengine.ServerConnection(engine_config), max_queue=config.ws_max_queue)
        self.config = config
        self.app = config.loaded_app
        self.app_state = app_state
        self.root_path = config.root_path
        self.connections: Any = server_state.connections
        self.tasks: Any = server_state.tasks
        self.default_headers: List[Tuple[bytes, bytes]] = server_state.default_headers
        self.logger = logging.getLogger("uvicorn.error")
        self.scope: Dict[str, Any] = {}
        self.handshake_started = False  # connect delivered
        self.handshake_complete = False  # accepted, refused, or answered with a response
        self.response_start: Optional[ASGIMessage] = None
        self.response_body: List[bytes] = []
        self.close_sent = False
        self.connect_sent = False

    # ---- uvicorn's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        super().connection_lost(exc)
        self.connections.discard(self)

    def shutdown(self) -> None:
        """uvicorn is stopping: 1012 (service restart, RFC 6455 §7.4.1 / IANA registry) on an
        open connection, 500 on one still in its handshake."""
        if self.handshake_complete:
            self.close_nowait(1012, "")
        elif self.handshake_started and self._engine.state == wsengine.State.CONNECTING:
            self._refuse(500, [], b"Internal Server Error")
        elif self._transport is not None:
            self._transport.close()

    def on_task_complete(self, task: "asyncio.Task[None]") -> None:
        self.tasks.discard(task)

    # ---- engine events

    def _on_event(self, event: wsengine.Event) -> None:
        if isinstance(event, wsengine.Request):
            self._on_request(event)
        elif isinstance(event, wsengine.HttpRequest):
            # uvicorn hands over upgrade requests only; anything else is refused.
            self._engine.respond(400, [("Content-Type", "text/plain")], b"Bad Request")
        elif isinstance(event, wsengine.Open):
            pass
        else:
            super()._on_event(event)

    def _on_request(self, event: wsengine.Request) -> None:
        transport = self._transport
        assert transport is not None
        from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl

        raw_path, _, query = event.target.partition("?")
        self.scope = {
            "type": "websocket",
            "asgi": {"version": self.config.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(transport) else "ws",
            "server": get_local_addr(transport),
            "client": get_remote_addr(transport),
            "root_path": self.root_path,
            "path": self.root_path + unquote(raw_path),
            "raw_path": self.root_path.encode("ascii") + raw_path.encode("ascii"),
            "query_string": query.encode("ascii"),
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in event.headers],
            "subprotocols": list(event.protocols),
            "state": self.app_state.copy(),
            "extensions": {"websocket.http.response": {}},
        }
        self.handshake_started = True
        task = self._loop.create_task(self.run_asgi())
        task.add_done_callback(self.on_task_complete)
        self.tasks.add(task)

    # ---- the ASGI application

    async def run_asgi(self) -> None:
        try:
            result = await self.app(self.scope, self.asgi_receive, self.asgi_send)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            if not self.handshake_complete:
                self._refuse(500, [], b"Internal Server Error")
            else:
                self.close_nowait(1011, "")
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self._refuse(500, [], b"Internal Server Error")
            else:
                if result is not None:
                    self.logger.error("ASGI callable should return None, but returned '%s'.", result)
                self.close_nowait(1000, "")

    async def asgi_receive(self) -> ASGIMessage:
        if not self.connect_sent:
            self.connect_sent = True
            return {"type": "websocket.connect"}
        try:
            message = await self.recv()
        except Exception:
            self._close_reported = True
            code = self.close_code if self.close_code is not None else 1006
            return {"type": "websocket.disconnect", "code": code, "reason": self.close_reason or ""}
        if type(message) is str:
            return {"type": "websocket.receive", "text": message}
        return {"type": "websocket.receive", "bytes": message}

    async def asgi_send(self, message: ASGIMessage) -> None:
        kind = message["type"]
        if not self.handshake_complete:
            if kind == "websocket.accept":
                headers = [(k.decode("latin-1"), v.decode("latin-1"))
                           for k, v in list(self.default_headers) + list(message.get("headers") or [])]
                self._log_handshake("[accepted]")
                self.handshake_complete = True
                if self._closed is None and self._engine.state == wsengine.State.CONNECTING:
                    self._engine.accept(message.get("subprotocol"), headers)
                    self._dispatch(self._engine.events())
                    self._flush()
                    self._adopt_transport()
            elif kind == "websocket.close":
                self._log_handshake("403")
                self._refuse(403, [], b"")
            elif kind == "websocket.http.response.start":
                if not 100 <= message["status"] < 600:
                    raise RuntimeError("Invalid HTTP status code '%d' in response." % message["status"])
                self._log_handshake(str(message["status"]))
                self.handshake_complete = True
                self.response_start = message
            else:
                raise RuntimeError("Expected ASGI message 'websocket.accept', 'websocket.close' or "
                                   f"'websocket.http.response.start' but got '{kind}'.")
        elif self.response_start is not None:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"Expected ASGI message 'websocket.http.response.body' but got '{kind}'.")
            self.response_body.append(message.get("body", b""))
            if not message.get("more_body", False):
                start = self.response_start
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
                self._refuse(start["status"], headers, b"".join(self.response_body))
        elif kind == "websocket.send":
            if self._write_paused:
                await self._drain()
            # Answers to messages that arrived with the peer's close still go out (before our
            # close frame) until the application has been told of the disconnect.
            if self.close_sent or self._close_reported:
                raise ClientDisconnected()
            try:
                data = message.get("bytes")
                if data is not None:
                    self._engine.send_binary(data)
                else:
                    self._engine.send_text(message["text"])
            except wsengine.ApplicationError as exc:
                if self._engine.state != wsengine.State.OPEN:
                    raise ClientDisconnected() from exc
                raise
            self._after_send()
        elif kind == "websocket.close":
            if self.close_sent or self._closed is not None:
                raise RuntimeError("Unexpected ASGI message 'websocket.close', after sending 'websocket.close'.")
            self.close_sent = True
            self.close_nowait(int(message.get("code") or 1000), message.get("reason") or "")
        else:
            raise RuntimeError(f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'.")

    # ---- helpers

    def _adopt_transport(self) -> None:
        """Once the 101 is written, the engine reads and writes the socket itself, as under
        wsengine.asyncio's own servers (SocketTransport.adopt: uvicorn's plain TCP and Unix
        connections on asyncio's loop; TLS and other loops keep uvicorn's transport)."""
        transport = self._transport
        if transport is None or self._native or self._closed is not None:
            return  # (adopt() also checks that uvicorn has handed the transport over to us)
        adopted = SocketTransport.adopt(transport, self, self._engine)
        if adopted is not None:
            self._transport = adopted
            self._native = True
            self._write_out = adopted.write_output  # type: ignore[method-assign]

    def _refuse(self, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        """Answers the upgrade request with an HTTP response instead of 101."""
        self.handshake_complete = True
        if self._closed is not None or self._engine.state != wsengine.State.CONNECTING:
            return
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
        try:
            self._engine.reject(status, headers, body)
        except wsengine.ApplicationError:
            self._engine.reject(500, None, b"Internal Server Error")
        self._dispatch(self._engine.events())
        self._flush()

    def _log_handshake(self, outcome: str) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            client = self.scope.get("client")
            where = "%s:%d" % cast(Tuple[str, int], client) if client else ""
            path = self.scope.get("raw_path", b"").decode("latin-1")
            if self.scope.get("query_string"):
                path += "?" + self.scope["query_string"].decode("ascii")
            self.logger.info('%s - "WebSocket %s" %s', where, path.replace('"', "%22"), outcome)
