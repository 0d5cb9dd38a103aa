"""wsengine.asyncio against the `websockets` library over 127.0.0.1: our serve() with
websockets clients and our connect() with websockets servers, compression off and on, TLS
with a certificate made here (trustme), Unix sockets, subprotocols, origins, process_request,
refusals and the close codes each side sees."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest
import trustme
import websockets
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.client import unix_connect as ws_unix_connect
from websockets.asyncio.server import ServerConnection as WsServerConnection
from websockets.asyncio.server import serve as ws_serve

import wsengine
from wsengine.asyncio import (ConnectionClosedError, ConnectionClosedOK, InvalidStatus, Request, Response,
                              ServerConnection, connect, serve, unix_connect, unix_serve)

TIMEOUT = 10.0
COMPRESSION = [None] + (["deflate"] if wsengine.DEFLATE_AVAILABLE else [])
TEXTS = ["", "Hello", "héllo wörld ✓ 🎉", "x" * 70_000]
BLOBS = [b"", b"\x00\xff" * 3, bytes(range(256)) * 4096]  # up to 1 MiB


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


def port_of(server: Any) -> int:
    return int(server.sockets[0].getsockname()[1])


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A CA and a certificate for 127.0.0.1 / localhost, made for this run."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


# ---- websockets client -> wsengine.asyncio server ----


@pytest.mark.parametrize("compression", COMPRESSION)
def test_websockets_client_against_our_server(compression: Optional[str]) -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, compression=compression, max_size=4 << 20) as server:
            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/", compression=compression,
                                  max_size=4 << 20) as ws:
                for text in TEXTS:
                    await ws.send(text)
                    assert await ws.recv() == text
                for blob in BLOBS:
                    await ws.send(blob)
                    assert await ws.recv() == blob
                await ws.send(["frag", "mented ", "tëxt"])
                assert await ws.recv() == "fragmented tëxt"
                pong = await ws.ping(b"are you there")
                await asyncio.wait_for(pong, TIMEOUT)
                extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "") if ws.response else ""
                assert ("permessage-deflate" in extensions) == (compression == "deflate")
                await ws.close(4001, "done")
            assert ws.close_code == 4001
    run(main())


@pytest.mark.parametrize("compression", COMPRESSION)
def test_our_client_against_websockets_server(compression: Optional[str]) -> None:
    async def ws_echo(ws: WsServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with ws_serve(ws_echo, "127.0.0.1", 0, compression=compression, max_size=4 << 20) as server:
            async with connect(f"ws://127.0.0.1:{port_of(server)}/", compression=compression,
                               max_size=4 << 20) as ws:
                for text in TEXTS:
                    await ws.send(text)
                    assert await ws.recv() == text
                for blob in BLOBS:
                    await ws.send(blob)
                    assert await ws.recv() == blob
                await ws.send([b"ab", b"", b"cd"])
                assert await ws.recv() == b"abcd"
                await ws.send(["a", "b"])
                assert await ws.recv() == "ab"
                latency = await asyncio.wait_for(await ws.ping(), TIMEOUT)
                assert latency >= 0
                assert ws.response is not None and ws.response.status_code == 101
                extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
                assert ("permessage-deflate" in extensions) == (compression == "deflate")
            assert (ws.close_code, ws.close_reason) == (1000, "")
    run(main())


def test_messages_and_close_codes_both_ways() -> None:
    """recv() returns every message received before the close, then raises the exception
    that says whether the close was clean."""
    seen: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        await ws.send("one")
        await ws.send(b"two")
        await ws.close(4000, "bye")
        try:
            await ws.recv()
        except ConnectionClosedError as exc:
            seen.append((exc.code, exc.reason, exc.was_clean))

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            ws = await connect(f"ws://127.0.0.1:{port_of(server)}/")
            assert await ws.recv() == "one"
            assert await ws.recv() == b"two"
            with pytest.raises(ConnectionClosedError) as info:
                await ws.recv()
            assert (info.value.code, info.value.reason, info.value.was_clean) == (4000, "bye", True)
            await ws.wait_closed()
            # websockets sees the same: both messages, then a close with 4000.
            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/") as peer:
                assert [await peer.recv(), await peer.recv()] == ["one", b"two"]
                with pytest.raises(websockets.ConnectionClosedError):
                    await peer.recv()
            assert (peer.close_code, peer.close_reason) == (4000, "bye")
    run(main())
    assert seen == [(4000, "bye", True)] * 2


def test_async_for_ends_on_normal_close_and_decode() -> None:
    async def ws_handler(ws: WsServerConnection) -> None:
        await ws.send(b"caf\xc3\xa9")
        await ws.send("x")
        await ws.close()

    async def main() -> None:
        async with ws_serve(ws_handler, "127.0.0.1", 0) as server:
            async with connect(f"ws://127.0.0.1:{port_of(server)}/") as ws:
                assert await ws.recv(decode=True) == "café"
                got = [m async for m in ws]
                assert got == ["x"]
                with pytest.raises(ConnectionClosedOK):
                    await ws.send("late")
    run(main())


def test_process_request_answers_plain_http_and_refuses() -> None:
    def process_request(conn: ServerConnection, request: Request) -> Optional[Response]:
        if request.path == "/healthz":
            return conn.respond(200, "OK\n")
        if request.headers.get("Authorization") != "secret":
            return conn.respond(401, "no\n")
        return None

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, process_request=process_request) as server:
            port = port_of(server)
            loop = asyncio.get_running_loop()
            body = await loop.run_in_executor(
                None, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=TIMEOUT).read())
            assert body == b"OK\n"
            with pytest.raises(websockets.InvalidStatus) as info:
                async with ws_connect(f"ws://127.0.0.1:{port}/"):
                    pass
            assert info.value.response.status_code == 401
            async with ws_connect(f"ws://127.0.0.1:{port}/", additional_headers={"Authorization": "secret"}) as ws:
                await ws.send("in")
                assert await ws.recv() == "in"
        # A plain GET to a server without a hook: 426 Upgrade Required.
        async with serve(echo, "127.0.0.1", 0) as server:
            port = port_of(server)
            with pytest.raises(urllib.error.HTTPError) as http_info:
                await loop.run_in_executor(
                    None, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=TIMEOUT))
            assert http_info.value.code == 426
    run(main())


def test_async_process_request() -> None:
    async def process_request(conn: ServerConnection, request: Request) -> Optional[Response]:
        await asyncio.sleep(0.01)
        return conn.respond(403, "later\n") if request.path == "/deny" else None

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, process_request=process_request) as server:
            with pytest.raises(InvalidStatus) as info:
                await connect(f"ws://127.0.0.1:{port_of(server)}/deny")
            assert info.value.response.status_code == 403
            assert info.value.response.body == b"later\n"
            async with connect(f"ws://127.0.0.1:{port_of(server)}/ok") as ws:
                await ws.send("y")
                assert await ws.recv() == "y"
    run(main())


def test_subprotocols_and_origins() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send(ws.subprotocol or "none")
        assert ws.request is not None
        await ws.send(ws.request.path)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, subprotocols=["chat.v2", "chat.v1"],
                         origins=["https://good.example", None]) as server:
            url = f"ws://127.0.0.1:{port_of(server)}/room?x=1"
            async with ws_connect(url, subprotocols=["chat.v1", "chat.v2"],  # type: ignore[list-item]
                                  origin="https://good.example") as ws:  # type: ignore[arg-type]
                assert ws.subprotocol == "chat.v2"  # the server's preference
                assert await ws.recv() == "chat.v2"
                assert await ws.recv() == "/room?x=1"
            async with connect(url, subprotocols=["chat.v1"]) as ours:  # no Origin: accepted (None listed)
                assert ours.subprotocol == "chat.v1"
                assert await ours.recv() == "chat.v1"
            with pytest.raises(websockets.InvalidStatus) as info:
                async with ws_connect(url, origin="https://evil.example"):  # type: ignore[arg-type]
                    pass
            assert info.value.response.status_code == 403
    run(main())


def test_tls_both_sides(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls

    async def ws_echo(ws: WsServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, ssl=server_ctx) as server:
            url = f"wss://localhost:{port_of(server)}/"
            async with ws_connect(url, ssl=client_ctx, host="127.0.0.1") as ws:
                await ws.send("secure")
                assert await ws.recv() == "secure"
                await ws.send(BLOBS[2])
                assert await ws.recv() == BLOBS[2]
            async with connect(url, ssl=client_ctx, host="127.0.0.1") as ours:
                await ours.send(b"ours")
                assert await ours.recv() == b"ours"
        async with ws_serve(ws_echo, "127.0.0.1", 0, ssl=server_ctx) as ws_server:
            async with connect(f"wss://localhost:{port_of(ws_server)}/", ssl=client_ctx,
                               compression=None) as ours:
                await ours.send("to websockets")
                assert await ours.recv() == "to websockets"
                await ours.send(BLOBS[2])
                assert await ours.recv() == BLOBS[2]
            assert ours.close_code == 1000
    run(main())


def test_unix_sockets() -> None:
    async def ws_echo(ws: WsServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "ours.sock")
            async with unix_serve(echo, path):
                async with ws_unix_connect(path) as ws:
                    await ws.send("over unix")
                    assert await ws.recv() == "over unix"
            other = os.path.join(tmp, "theirs.sock")
            async with websockets.asyncio.server.unix_serve(ws_echo, other):
                async with unix_connect(other) as ours:
                    await ours.send("to websockets")
                    assert await ours.recv() == "to websockets"
    run(main())


def test_our_client_sees_refusal() -> None:
    async def ws_process(conn: WsServerConnection, request: Any) -> Any:
        return conn.respond(404, "nothing here\n")

    async def main() -> None:
        async with ws_serve(echo, "127.0.0.1", 0, process_request=ws_process) as server:  # type: ignore[arg-type]
            with pytest.raises(InvalidStatus) as info:
                await connect(f"ws://127.0.0.1:{port_of(server)}/")
            assert info.value.response.status_code == 404
            assert info.value.response.body == b"nothing here\n"
    run(main())
