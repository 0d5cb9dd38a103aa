"""Small asyncio drivers for wsengine connections, shared by the interop tests.

The engine does no I/O; these classes move bytes between it and asyncio streams and keep
its clock running.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional

import wsengine

TIMEOUT = 10.0


def now_ms() -> int:
    return int(asyncio.get_running_loop().time() * 1000)


class Peer:
    """One wsengine connection over an asyncio stream pair."""

    def __init__(self, conn: wsengine.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.log: list[Any] = []  # every event seen
        self.pending: list[Any] = []

    async def flush(self) -> None:
        out = self.conn.data_to_send()
        if out and not self.writer.is_closing():
            self.writer.write(out)
            try:
                await self.writer.drain()
            except ConnectionError:
                pass

    async def pump(self) -> list[Any]:
        """Reads once (or runs a due timer) and returns the events that produced."""
        await self.flush()
        loop = asyncio.get_running_loop()
        deadline = self.conn.next_timeout()
        timeout = None if deadline is None else max(0.0, deadline / 1000 - loop.time())
        try:
            data: Optional[bytes] = await asyncio.wait_for(self.reader.read(65536), timeout)
        except asyncio.TimeoutError:
            data = None
        except ConnectionError:
            data = b""
        if data is None:
            self.conn.handle_timeout(now_ms())
            events = self.conn.events()
        elif data:
            events = self.conn.receive(data)
        else:
            self.conn.receive_eof()
            events = self.conn.events()
        self.log.extend(events)
        await self.flush()
        return events

    async def next_event(self, *types: type) -> Any:
        """The next event (of one of `types`, skipping others), reading as needed."""
        while True:
            queued = self.conn.events()  # e.g. Open after accept(), CloseReceived after close()
            self.log.extend(queued)
            self.pending.extend(queued)
            while self.pending:
                ev = self.pending.pop(0)
                if not types or isinstance(ev, types):
                    return ev
            if self.conn.state == wsengine.State.CLOSED and not self.pending:
                raise EOFError("connection closed")
            self.pending.extend(await asyncio.wait_for(self.pump(), TIMEOUT))

    async def wait_closed(self) -> wsengine.CloseInfo:
        while self.conn.state != wsengine.State.CLOSED:
            queued = self.conn.events()
            self.log.extend(queued)
            self.pending.extend(queued)
            if self.conn.state == wsengine.State.CLOSED:
                break
            self.pending.extend(await asyncio.wait_for(self.pump(), TIMEOUT))
        await self.flush()
        self.writer.close()
        info = self.conn.close_info
        assert info is not None
        return info


async def open_client(url: str, host: str, port: int, **kwargs: Any) -> Peer:
    reader, writer = await asyncio.open_connection(host, port)
    conn = wsengine.ClientConnection(url, **kwargs)
    conn.handle_timeout(now_ms())
    peer = Peer(conn, reader, writer)
    await peer.flush()
    ev = await peer.next_event(wsengine.Open, wsengine.Rejected, wsengine.Failed)
    if not isinstance(ev, wsengine.Open):
        raise AssertionError(f"handshake failed: {ev!r}")
    return peer


Handler = Callable[[Peer], Awaitable[None]]


async def echo_handler(peer: Peer) -> None:
    """Echoes every data message until the connection closes."""
    while True:
        try:
            ev = await peer.next_event()
        except EOFError:
            return
        match ev:
            case wsengine.TextMessage(data=text):
                peer.conn.send_text(text)
            case wsengine.BinaryMessage(data=data):
                peer.conn.send_binary(data)
            case wsengine.Closed():
                await peer.flush()
                return
            case _:
                pass
        await peer.flush()


class EngineServer:
    """A wsengine server on 127.0.0.1: accepts every upgrade, then runs `handler`."""

    def __init__(self, handler: Handler = echo_handler, **config: Any) -> None:
        self.handler = handler
        self.config = wsengine.Config(**config)
        self.peers: list[Peer] = []
        self.server: Optional[asyncio.base_events.Server] = None
        self.errors: list[BaseException] = []

    async def __aenter__(self) -> "EngineServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.close()
        for p in self.peers:
            p.writer.close()
        await self.server.wait_closed()
        if self.errors:
            raise self.errors[0]

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = wsengine.ServerConnection(self.config)
        conn.handle_timeout(now_ms())
        peer = Peer(conn, reader, writer)
        self.peers.append(peer)
        try:
            ev = await peer.next_event(wsengine.Request, wsengine.HttpRequest)
            if isinstance(ev, wsengine.HttpRequest):
                conn.respond(404)
                await peer.wait_closed()
                return
            conn.accept()
            await peer.flush()
            await self.handler(peer)
            await peer.wait_closed()
        except EOFError:
            pass
        except BaseException as e:  # surfaced in __aexit__
            self.errors.append(e)
            writer.close()
