"""Interop over 127.0.0.1 against the `websockets` library, as client and as server."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Optional

import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection as WsServerConnection
from websockets.asyncio.server import serve

import wsengine
from _driver import TIMEOUT, EngineServer, Peer, open_client

COMPRESSION = [None] + (["deflate"] if wsengine.DEFLATE_AVAILABLE else [])


def engine_config(compression: Optional[str]) -> dict[str, Any]:
    if compression == "deflate":
        return {"deflate": wsengine.DeflateConfig()}  # type: ignore[attr-defined]
    return {}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


TEXTS = ["", "Hello", "héllo wörld ✓ 🎉", "x" * 70_000]
BLOBS = [b"", b"\x00\xff" * 3, bytes(range(256)) * 4096]  # up to 1 MiB


# ---- websockets client -> wsengine server ----


@pytest.mark.parametrize("compression", COMPRESSION)
def test_websockets_client_echo(compression: Optional[str]) -> None:
    async def main() -> None:
        async with EngineServer(max_message_size=4 << 20, **engine_config(compression)) as server:
            async with connect(server.url, compression=compression, max_size=4 << 20) as ws:
                for text in TEXTS:
                    await ws.send(text)
                    assert await ws.recv() == text
                for blob in BLOBS:
                    await ws.send(blob)
                    assert await ws.recv() == blob
                # fragmented messages
                await ws.send(["frag", "mented ", "tëxt"])
                assert await ws.recv() == "fragmented tëxt"
                await ws.send([b"ab", b"", b"cd"])
                assert await ws.recv() == b"abcd"
                # a ping is answered automatically
                pong = await ws.ping(b"are you there")
                await asyncio.wait_for(pong, TIMEOUT)
                if compression:
                    assert ws.response is not None
                    assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
                await ws.close(4001, "done")
            peer = server.peers[0]
            info = await peer.wait_closed()
            assert info.code == 4001 and info.reason == "done" and info.was_clean
            assert info.initiated_by == "remote"
            assert any(isinstance(e, wsengine.CloseReceived) and e.code == 4001 for e in peer.log)

    run(main())


def test_websockets_client_subprotocol_and_headers() -> None:
    async def main() -> None:
        seen: list[wsengine.Request] = []

        class Server(EngineServer):
            async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                conn = wsengine.ServerConnection(self.config)
                peer = Peer(conn, reader, writer)
                self.peers.append(peer)
                req = await peer.next_event(wsengine.Request)
                seen.append(req)
                conn.accept(protocol="superchat", headers={"X-Test": "yes"})
                await peer.flush()
                await peer.next_event(wsengine.Open)
                assert conn.protocol == "superchat"
                conn.close(1000)
                await peer.wait_closed()

        async with Server(protocols=["chat"]) as server:
            async with connect(
                server.url + "path?q=1",
                subprotocols=["chat", "superchat"],  # type: ignore[list-item]
                additional_headers={"Authorization": "Bearer x"},
                origin="http://example.com",  # type: ignore[arg-type]
            ) as ws:
                assert ws.subprotocol == "superchat"
                assert ws.response is not None and ws.response.headers["X-Test"] == "yes"
                with pytest.raises(websockets.ConnectionClosedOK):
                    await ws.recv()
                assert ws.close_code == 1000
        req = seen[0]
        assert req.path == "/path" and req.query == "q=1"
        assert req.protocols == ["chat", "superchat"]
        assert req.origin == "http://example.com"
        assert ("Authorization", "Bearer x") in req.headers

    run(main())


def test_websockets_client_rejected() -> None:
    async def main() -> None:
        class Server(EngineServer):
            async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                peer = Peer(wsengine.ServerConnection(self.config), reader, writer)
                await peer.next_event(wsengine.Request)
                peer.conn.reject(403, [("Content-Type", "text/plain")], b"go away")
                await peer.wait_closed()

        async with Server() as server:
            with pytest.raises(websockets.InvalidStatus) as exc:
                async with connect(server.url):
                    pass
            assert exc.value.response.status_code == 403
            assert exc.value.response.body == b"go away"

    run(main())


def test_server_initiated_close_and_origin_policy() -> None:
    async def handler(peer: Peer) -> None:
        msg = await peer.next_event(wsengine.TextMessage)
        peer.conn.close(4000, "bye " + msg.data)
        await peer.flush()

    async def main() -> None:
        async with EngineServer(handler, allowed_origins=["http://good.example"]) as server:
            async with connect(server.url, origin="http://good.example") as ws:  # type: ignore[arg-type]
                await ws.send("alice")
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
                assert ws.close_code == 4000 and ws.close_reason == "bye alice"
            with pytest.raises(websockets.InvalidStatus) as exc:
                async with connect(server.url, origin="http://evil.example"):  # type: ignore[arg-type]
                    pass
            assert exc.value.response.status_code == 403

    run(main())


# ---- wsengine client -> websockets server ----


async def ws_echo(ws: WsServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.mark.parametrize("compression", COMPRESSION)
def test_engine_client_against_websockets_server(compression: Optional[str]) -> None:
    async def main() -> None:
        async with serve(ws_echo, "127.0.0.1", 0, compression=compression, max_size=4 << 20) as server:
            port = server.sockets[0].getsockname()[1]
            peer = await open_client(
                f"ws://127.0.0.1:{port}/", "127.0.0.1", port, surface_pongs=True,
                max_message_size=4 << 20, **engine_config(compression)
            )
            conn = peer.conn
            if compression:
                assert conn.extensions and "permessage-deflate" in conn.extensions
            else:
                assert conn.extensions is None
            for text in TEXTS:
                conn.send_text(text)
                await peer.flush()
                assert (await peer.next_event(wsengine.TextMessage)).data == text
            for blob in BLOBS:
                conn.send_binary(blob)
                await peer.flush()
                assert (await peer.next_event(wsengine.BinaryMessage)).data == blob
            conn.send_binary(memoryview(bytearray(b"view")))
            await peer.flush()
            assert (await peer.next_event(wsengine.BinaryMessage)).data == b"view"
            # fragments, including a character split across them
            snow = "☃".encode()
            conn.send_fragment(b"a" + snow[:1], False, kind="text")
            conn.send_fragment(snow[1:], False, kind="text")
            conn.send_fragment("z", True)
            await peer.flush()
            assert (await peer.next_event(wsengine.TextMessage)).data == "a☃z"
            conn.ping(b"p1")
            await peer.flush()
            assert (await peer.next_event(wsengine.Pong)).data == b"p1"
            conn.close(1000, "finished")
            await peer.flush()
            info = await peer.wait_closed()
            assert info.was_clean and info.code == 1000 and info.initiated_by == "local"

    run(main())


def test_engine_client_sees_server_close() -> None:
    async def handler(ws: WsServerConnection) -> None:
        await ws.close(1001, "shutting down")

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            peer = await open_client(f"ws://127.0.0.1:{port}/", "127.0.0.1", port)
            ev = await peer.next_event(wsengine.CloseReceived)
            assert (ev.code, ev.reason) == (1001, "shutting down")
            info = await peer.wait_closed()
            assert info.was_clean and info.code == 1001 and info.initiated_by == "remote"

    run(main())


def test_engine_client_rejected_by_websockets_server() -> None:
    async def handler(ws: WsServerConnection) -> None:
        await ws.close()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, subprotocols=["only-this"]) as server:  # type: ignore[list-item]
            port = server.sockets[0].getsockname()[1]
            # websockets refuses a client that offers no subprotocol it supports (400)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            conn = wsengine.ClientConnection(f"ws://127.0.0.1:{port}/", protocols=["other"])
            peer = Peer(conn, reader, writer)
            await peer.flush()
            ev = await peer.next_event(wsengine.Rejected, wsengine.Open, wsengine.Failed)
            assert isinstance(ev, wsengine.Rejected), ev
            assert ev.status == 400 and not ev.from_proxy
            writer.close()

    run(main())


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]
