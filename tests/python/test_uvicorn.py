"""wsengine.uvicorn:WebSocketProtocol as uvicorn's ``ws`` implementation: a Starlette app's
WebSocket routes served through it, driven by `websockets` clients over 127.0.0.1 (echo,
subprotocols, headers both ways, close codes, denials with websocket.http.response, refusals,
an app error, keepalive, deflate, uvicorn's shutdown). Once accepted, a plain connection is
taken over from uvicorn's asyncio transport by the engine's own (SocketTransport.adopt): the
tests check it is, that flow control and shutdown work on it, and that a TLS connection stays on
uvicorn's transport and works too."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Callable

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

TIMEOUT = 10.0
WS = "wsengine.uvicorn:WebSocketProtocol"
disconnects: list[int] = []
current: dict[str, Any] = {}  # the running uvicorn.Server


def ws_transports() -> list[str]:
    """The transport class of each WebSocket connection the running server has."""
    from wsengine.uvicorn import WebSocketProtocol

    connections = current["server"].server_state.connections
    return [type(c.transport).__name__ for c in connections if isinstance(c, WebSocketProtocol)]


async def echo(ws: WebSocket) -> None:
    offered = ws.scope["subprotocols"]
    await ws.accept(subprotocol="b" if "b" in offered else None)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                disconnects.append(message["code"])
                return
            if message.get("text") is not None:
                await ws.send_text(message["text"])
            else:
                await ws.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        pass


async def headers(ws: WebSocket) -> None:
    await ws.accept(headers=[(b"x-served-by", b"wsengine")])
    await ws.send_json({"path": ws.url.path, "query": ws.url.query, "token": ws.headers.get("x-token"),
                        "scheme": ws.scope["scheme"], "client": ws.scope["client"][0]})
    await ws.close(4001, "bye")


async def deny(ws: WebSocket) -> None:
    await ws.send_denial_response(PlainTextResponse("no entry", status_code=401))


async def refuse(ws: WebSocket) -> None:
    await ws.close()


async def broken(ws: WebSocket) -> None:
    raise RuntimeError("the app failed before accepting")


async def chatty(ws: WebSocket) -> None:
    await ws.accept()
    for i in range(1000):
        await ws.send_text(f"message {i}")
    await ws.close()


APP = Starlette(routes=[WebSocketRoute("/echo", echo), WebSocketRoute("/headers", headers),
                        WebSocketRoute("/deny", deny), WebSocketRoute("/refuse", refuse),
                        WebSocketRoute("/broken", broken), WebSocketRoute("/chatty", chatty)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_with_server(body: Callable[[str], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        port = free_port()
        config = uvicorn.Config(APP, host="127.0.0.1", port=port, ws=WS, log_level="warning", lifespan="off",
                                **options)
        server = current["server"] = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            scheme = "wss" if options.get("ssl_certfile") else "ws"
            await asyncio.wait_for(body(f"{scheme}://127.0.0.1:{port}"), TIMEOUT)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, TIMEOUT)

    asyncio.run(main())


@pytest.mark.parametrize("deflate", [False, True])
def test_echo(deflate: bool) -> None:
    async def body(url: str) -> None:
        async with connect(url + "/echo", subprotocols=["a", "b"],  # type: ignore[list-item]
                           compression="deflate" if deflate else None, max_size=None) as ws:
            assert ws.subprotocol == "b"
            assert ws_transports() == ["SocketTransport"]  # taken over from asyncio's
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "") if ws.response else ""
            assert ("permessage-deflate" in extensions) == deflate
            for message in ["", "héllo ✓", "x" * 100_000, b"", b"\x00\xff" * 50_000]:
                await ws.send(message)
                assert await ws.recv() == message
            await ws.send(["frag", "mented"])
            assert await ws.recv() == "fragmented"
            await asyncio.wait_for(await ws.ping(), TIMEOUT)
            await ws.close(1000, "done")
        for _ in range(100):
            if disconnects:
                break
            await asyncio.sleep(0.01)
        assert disconnects.pop() == 1000

    run_with_server(body, ws_per_message_deflate=deflate)


def test_headers_scope_and_close_code() -> None:
    async def body(url: str) -> None:
        async with connect(url + "/headers?room=7", additional_headers={"X-Token": "abc"}) as ws:
            assert ws.response is not None
            assert ws.response.headers["x-served-by"] == "wsengine"
            assert "server" in ws.response.headers  # uvicorn's default headers are sent
            import json
            assert json.loads(await ws.recv()) == {"path": "/headers", "query": "room=7", "token": "abc",
                                                   "scheme": "ws", "client": "127.0.0.1"}
            with pytest.raises(websockets.ConnectionClosedError):
                await ws.recv()
        assert (ws.close_code, ws.close_reason) == (4001, "bye")

    run_with_server(body)


def test_denials_refusals_and_errors() -> None:
    async def body(url: str) -> None:
        with pytest.raises(websockets.InvalidStatus) as info:
            await connect(url + "/deny")
        assert info.value.response.status_code == 401
        assert info.value.response.body == b"no entry"
        with pytest.raises(websockets.InvalidStatus) as info:
            await connect(url + "/refuse")
        assert info.value.response.status_code == 403
        with pytest.raises(websockets.InvalidStatus) as info:
            await connect(url + "/broken")
        assert info.value.response.status_code == 500
        with pytest.raises(websockets.InvalidStatus) as info:
            await connect(url + "/nowhere")
        assert info.value.response.status_code == 403  # Starlette refuses unknown routes

    run_with_server(body)


def test_many_messages_then_close_arrive_in_order() -> None:
    async def body(url: str) -> None:
        async with connect(url + "/chatty") as ws:
            got = [m async for m in ws]
        assert got == [f"message {i}" for i in range(1000)]
        assert ws.close_code == 1000

    run_with_server(body)


def test_keepalive_pings_from_the_engine() -> None:
    """uvicorn's ws_ping_interval runs the engine's keepalive: the client answers pings."""

    async def body(url: str) -> None:
        pongs: list[bytes] = []
        async with connect(url + "/echo", ping_interval=None) as ws:
            original = ws.protocol.send_frame

            def spy(frame: Frame) -> None:
                if frame.opcode is Opcode.PONG:
                    pongs.append(frame.data)
                original(frame)

            ws.protocol.send_frame = spy  # type: ignore[method-assign]
            while not pongs:
                await ws.send("tick")
                assert await ws.recv() == "tick"
                await asyncio.sleep(0.05)

    run_with_server(body, ws_ping_interval=0.2, ws_ping_timeout=5.0)


def test_uvicorn_shutdown_closes_with_1012() -> None:
    async def main() -> None:
        port = free_port()
        config = uvicorn.Config(APP, host="127.0.0.1", port=port, ws=WS, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        ws = await connect(f"ws://127.0.0.1:{port}/echo")
        await ws.send("x")
        assert await ws.recv() == "x"
        current["server"] = server
        assert ws_transports() == ["SocketTransport"]
        server.should_exit = True
        with pytest.raises(websockets.ConnectionClosedError):
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert ws.close_code == 1012
        await asyncio.wait_for(task, TIMEOUT)

    asyncio.run(main())



def test_answer_to_a_message_read_with_the_close_precedes_our_close_frame() -> None:
    """A text frame and a close frame in one TCP segment: the app's echo is written before
    the close frame that answers the peer's close."""
    upgrade = (b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")

    async def body(url: str) -> None:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(upgrade)
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        mask = b"\x00\x00\x00\x00"
        writer.write(b"\x81\x85" + mask + b"hello" + b"\x88\x82" + mask + b"\x03\xe8")
        data = await asyncio.wait_for(reader.read(), TIMEOUT)
        writer.close()
        assert data == b"\x81\x05hello\x88\x02\x03\xe8"

    run_with_server(body, ws_per_message_deflate=False)


async def slow_reader(ws: WebSocket) -> None:
    """Accepts, lets the client flood it for a while without reading, then reads everything."""
    await ws.accept()
    await asyncio.sleep(1.0)
    count = 0
    while count < 200:
        message = await ws.receive_bytes()
        assert int.from_bytes(message[:4], "big") == count
        count += 1
    await ws.send_text("all 200 in order")


APP.router.routes.append(WebSocketRoute("/slow", slow_reader))


def test_a_flooding_client_pauses_the_adopted_transport_and_loses_nothing() -> None:
    """ws_max_queue bounds what uvicorn+wsengine holds for an app that does not read: the
    engine's own transport stops reading at 4 queued messages and resumes as the app reads."""
    from wsengine.uvicorn import WebSocketProtocol

    async def body(url: str) -> None:
        async with connect(url + "/slow", max_size=None, compression=None) as ws:
            assert ws_transports() == ["SocketTransport"]

            async def flood() -> None:
                for i in range(200):
                    await ws.send(i.to_bytes(4, "big") * 16_384)  # 64 KiB each, 12.5 MiB in all

            sender = asyncio.create_task(flood())
            [protocol] = [c for c in current["server"].server_state.connections
                          if isinstance(c, WebSocketProtocol)]
            for _ in range(100):  # the app does not read for its first second
                if protocol._read_paused:
                    break
                await asyncio.sleep(0.01)
            # Paused at 4 queued messages (a read that completes several may add a few more).
            assert protocol._read_paused and 4 <= len(protocol._messages) <= 8
            await sender
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "all 200 in order"

    run_with_server(body, ws_max_queue=4, ws_per_message_deflate=False)


def test_tls_connections_stay_on_uvicorns_transport(tmp_path: Any) -> None:
    """Under uvicorn's TLS the connection keeps uvicorn's (asyncio SSL) transport, and works."""
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async def body(url: str) -> None:
        assert url.startswith("wss://")
        async with connect(url + "/echo", ssl=client_context, max_size=None) as ws:
            assert ws_transports() == ["_SSLProtocolTransport"]
            for message in ["over tls", b"\x00" * 100_000]:
                await ws.send(message)
                assert await ws.recv() == message

    run_with_server(body, ssl_keyfile=str(tmp_path / "key.pem"), ssl_certfile=str(tmp_path / "cert.pem"))


def test_unix_socket_connections_are_adopted_too(tmp_path: Any) -> None:
    """uvicorn on a Unix socket (uds=): the connection is taken over the same way, and works."""
    from websockets.asyncio.client import unix_connect

    path = str(tmp_path / "uvicorn.sock")

    async def main() -> None:
        config = uvicorn.Config(APP, uds=path, ws=WS, log_level="warning", lifespan="off")
        server = current["server"] = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            async with unix_connect(path, "ws://localhost/echo", max_size=None) as ws:
                assert ws_transports() == ["SocketTransport"]
                for message in ["over a unix socket", b"\xff" * 300_000]:
                    await ws.send(message)
                    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == message
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, TIMEOUT)

    asyncio.run(main())


def test_a_client_that_drops_an_adopted_connection_is_reported_and_released() -> None:
    """A client that vanishes without a close frame: the app hears of a disconnect (1006), the
    connection leaves uvicorn's set, and no descriptor is left open."""
    import os

    def open_descriptors() -> int:
        return len(os.listdir("/proc/self/fd"))

    async def body(url: str) -> None:
        disconnects.clear()  # earlier tests' codes
        before = open_descriptors()
        ws = await connect(url + "/echo")
        await ws.send("x")
        assert await ws.recv() == "x"
        assert ws_transports() == ["SocketTransport"]
        ws.transport.abort()
        for _ in range(200):
            if disconnects and not ws_transports():
                break
            await asyncio.sleep(0.01)
        assert disconnects == [1006]
        assert ws_transports() == []
        await asyncio.sleep(0.05)
        assert open_descriptors() == before

    run_with_server(body)
