"""Interop over 127.0.0.1 against `wsproto` (sans-IO too), both roles."""

from __future__ import annotations

import asyncio
from typing import Any

import wsproto
import wsproto.events as wse
from wsproto.connection import ConnectionType

import wsengine
from _driver import TIMEOUT, EngineServer, open_client


class WsprotoPeer:
    """wsproto over asyncio streams."""

    def __init__(self, ws: wsproto.WSConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.ws = ws
        self.reader = reader
        self.writer = writer
        self.pending: list[Any] = []

    async def send(self, event: Any) -> None:
        self.writer.write(self.ws.send(event))
        await self.writer.drain()

    async def next_event(self, *types: type) -> Any:
        while True:
            while self.pending:
                ev = self.pending.pop(0)
                if not types or isinstance(ev, types):
                    return ev
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
            if not data and not self.pending:
                raise EOFError


async def read_message(peer: WsprotoPeer) -> Any:
    parts: list[Any] = []
    while True:
        ev = await peer.next_event(wse.TextMessage, wse.BytesMessage, wse.CloseConnection)
        if isinstance(ev, wse.CloseConnection):
            return ev
        parts.append(ev.data)
        if ev.message_finished:
            return "".join(parts) if isinstance(ev, wse.TextMessage) else b"".join(parts)


def test_wsproto_client_against_engine_server() -> None:
    async def main() -> None:
        async with EngineServer(max_message_size=4 << 20) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            peer = WsprotoPeer(wsproto.WSConnection(ConnectionType.CLIENT), reader, writer)
            await peer.send(wse.Request(host="127.0.0.1", target="/ws", subprotocols=[]))
            await peer.next_event(wse.AcceptConnection)
            for msg in ["hi", "ünïcødé", "y" * 100_000, b"\x01\x02", bytes(1 << 20)]:
                if isinstance(msg, str):
                    await peer.send(wse.TextMessage(data=msg))
                else:
                    await peer.send(wse.BytesMessage(data=msg))
                assert await read_message(peer) == msg
            # fragmented text from wsproto
            await peer.send(wse.TextMessage(data="par", message_finished=False))
            await peer.send(wse.TextMessage(data="tial", message_finished=True))
            assert await read_message(peer) == "partial"
            await peer.send(wse.Ping(payload=b"hb"))
            pong = await peer.next_event(wse.Pong)
            assert pong.payload == b"hb"
            await peer.send(wse.CloseConnection(code=1000, reason="ok"))
            ev = await peer.next_event(wse.CloseConnection)
            assert ev.code == 1000
            info = await server.peers[0].wait_closed()
            assert info.was_clean and info.code == 1000 and info.reason == "ok"
            writer.close()

    asyncio.run(main())


def test_engine_client_against_wsproto_server() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = WsprotoPeer(wsproto.WSConnection(ConnectionType.SERVER), reader, writer)
        req = await peer.next_event(wse.Request)
        await peer.send(wse.AcceptConnection(subprotocol="v2" if "v2" in req.subprotocols else None))
        while True:
            msg = await read_message(peer)
            if isinstance(msg, wse.CloseConnection):
                await peer.send(msg.response())
                writer.close()
                return
            await peer.send(wse.TextMessage(data=msg) if isinstance(msg, str) else wse.BytesMessage(data=msg))

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            peer = await open_client(f"ws://127.0.0.1:{port}/x", "127.0.0.1", port, protocols=["v1", "v2"],
                                     max_message_size=4 << 20)
            assert peer.conn.protocol == "v2"
            for msg in ["hello", "ü" * 40_000, b"\x00" * 70_000, bytes(1 << 20)]:
                if isinstance(msg, str):
                    peer.conn.send_text(msg)
                else:
                    peer.conn.send_binary(msg)
                ev = await peer.next_event(wsengine.TextMessage, wsengine.BinaryMessage)
                assert ev.data == msg
            peer.conn.close(3000, "later")
            info = await peer.wait_closed()
            assert info.was_clean and info.code == 3000 and info.reason == "later"
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(main())
