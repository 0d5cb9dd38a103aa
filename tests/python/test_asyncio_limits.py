"""wsengine.asyncio's flow control and limits, against `websockets` peers over 127.0.0.1:
memory per connection stays bounded under a peer that floods or never reads (and nothing is
lost once it catches up), the server-wide connection limit answers 503, server.close() closes
every connection with 1001, a cancelled handler closes with 1011, sending on a closing
connection raises ConnectionClosed without harming the server, and the answer to a message
that arrived together with the peer's close frame goes out before our close frame."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List

import pytest
import websockets
from websockets.asyncio.client import connect as ws_connect

from wsengine.asyncio import ConnectionClosed, ServerConnection, serve

TIMEOUT = 30.0
MESSAGE = 64 * 1024
UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


def port_of(server: Any) -> int:
    return int(server.sockets[0].getsockname()[1])


async def until(predicate: Callable[[], bool]) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


async def until_stalled(counter: Callable[[], int]) -> int:
    """Waits until counter() stops moving (the same over 5 samples 0.1 s apart): the sender
    is blocked by flow control. Returns its value."""
    last, same = -1, 0
    while same < 5:
        await asyncio.sleep(0.1)
        value = counter()
        same = same + 1 if value == last else 0
        last = value
    return last


def test_flooding_peer_is_paused_and_nothing_is_lost() -> None:
    """A websockets client sends 400 × 64 KiB (25 MiB) to a handler that does not read: the
    server stops reading at max_queue messages, so the client blocks, and the connection holds
    a bounded number of bytes. Then the handler reads every message, in order."""
    total, max_queue = 400, 16
    release = asyncio.Event()
    received: List[bytes] = []
    held: List[int] = []

    async def handler(ws: ServerConnection) -> None:
        await release.wait()
        async for message in ws:
            assert isinstance(message, bytes)
            received.append(message)
            if len(received) == total:
                await ws.send("done")

    async def main() -> None:
        nonlocal release
        release = asyncio.Event()
        async with serve(handler, "127.0.0.1", 0, max_queue=max_queue, max_size=None, compression=None) as server:
            sent = 0

            async def flood(ws: Any) -> None:
                nonlocal sent
                for i in range(total):
                    await ws.send(i.to_bytes(4, "big") * (MESSAGE // 4))
                    sent += 1

            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/", max_size=None, compression=None) as ws:
                task = asyncio.create_task(flood(ws))
                await until(lambda: len(server.connections) == 1)
                conn = next(iter(server.connections))
                stalled_at = await until_stalled(lambda: sent)
                queued = sum(len(m) for m in conn._messages)
                held.append(queued + conn.engine.buffered_amount)
                assert conn._read_paused
                assert stalled_at < total  # flow control reached the client
                # At most max_queue messages plus what one read (256 KiB) can complete.
                assert len(conn._messages) <= max_queue + 4
                assert queued <= (max_queue + 4) * MESSAGE
                release.set()
                await asyncio.wait_for(task, TIMEOUT)
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "done"
        assert [int.from_bytes(m[:4], "big") for m in received] == list(range(total))
        assert all(len(m) == MESSAGE for m in received)

    run(main())
    print(f"\nflooding peer: the server connection held {held[0] / 1024:.0f} KiB of received messages "
          f"(max_queue=16 × 64 KiB messages) while the peer had 25 MiB to send")


def test_peer_that_never_reads_blocks_send_and_bounds_memory() -> None:
    """The handler sends 64 KiB messages as fast as send() lets it to a websockets client
    that does not read: send() blocks once the transport's buffer is above its high-water
    mark; the server holds at most the engine's high-water mark plus the transport's. Then
    the client reads everything: every message arrives, in order."""
    sent = 0
    stop = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        nonlocal sent
        while not stop.is_set():
            await ws.send(sent.to_bytes(4, "big") * (MESSAGE // 4))
            sent += 1
        await ws.send(b"end")

    held: List[int] = []

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with serve(handler, "127.0.0.1", 0, compression=None, high_water_mark=256 * 1024) as server:
            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/", max_size=None, max_queue=1,
                                  compression=None) as ws:
                await until(lambda: len(server.connections) == 1)
                conn = next(iter(server.connections))
                await until_stalled(lambda: sent)
                assert conn.transport is not None
                in_server = conn.transport.get_write_buffer_size() + conn.engine.buffered_amount
                held.append(in_server)
                assert conn._write_paused
                # The engine's high-water mark + the transport's (64 KiB) + one message.
                assert in_server <= 256 * 1024 + 64 * 1024 + 2 * MESSAGE
                stop.set()
                count = 0
                while True:
                    message = await asyncio.wait_for(ws.recv(), TIMEOUT)
                    if message == b"end":
                        break
                    assert isinstance(message, bytes) and int.from_bytes(message[:4], "big") == count
                    count += 1
                assert count == sent

    run(main())
    print(f"\nnever-reading peer: the server connection held {held[0] / 1024:.0f} KiB of output "
          f"(send() blocked) with high_water_mark=256 KiB")


def test_connection_limit_answers_503() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, max_connections=2) as server:
            url = f"ws://127.0.0.1:{port_of(server)}/"
            async with ws_connect(url) as a, ws_connect(url) as b:
                with pytest.raises(websockets.InvalidStatus) as info:
                    async with ws_connect(url):
                        pass
                assert info.value.response.status_code == 503
                assert info.value.response.headers.get("Retry-After") == "1"
                await b.close()
                await until(lambda: len(server.connections) == 1)
                async with ws_connect(url) as c:
                    await c.send("third")
                    assert await c.recv() == "third"
                await a.send("first")
                assert await a.recv() == "first"

    run(main())


def test_server_close_closes_every_connection_with_1001() -> None:
    finished: List[str] = []

    async def handler(ws: ServerConnection) -> None:
        try:
            async for message in ws:
                await ws.send(message)
        finally:
            finished.append("handler")

    async def main() -> None:
        server = await serve(handler, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{port_of(server)}/"
        clients = [await ws_connect(url) for _ in range(3)]
        for ws in clients:
            await ws.send("x")
            assert await ws.recv() == "x"
        server.close()
        await asyncio.wait_for(server.wait_closed(), TIMEOUT)
        assert finished == ["handler"] * 3
        assert not server.connections
        for ws in clients:
            with pytest.raises(websockets.ConnectionClosedOK):
                await ws.recv()
            assert ws.close_code == 1001

    run(main())


def test_cancelled_handler_closes_with_1011() -> None:
    async def handler(ws: ServerConnection) -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/") as ws:
                await until(lambda: len(server.connections) == 1)
                conn = next(iter(server.connections))
                assert conn.handler_task is not None
                conn.handler_task.cancel()
                with pytest.raises(websockets.ConnectionClosedError):
                    await ws.recv()
                assert ws.close_code == 1011

    run(main())


def test_sending_on_a_closing_connection_raises_and_the_server_lives_on() -> None:
    errors: List[BaseException] = []

    async def handler(ws: ServerConnection) -> None:
        await ws.send("hi")
        try:
            await ws.recv()
        except ConnectionClosed:
            pass
        for attempt in (ws.send("late"), ws.send(b"late"), ws.send(["a", "b"]), ws.ping()):
            try:
                await attempt
            except ConnectionClosed as exc:
                errors.append(exc)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            url = f"ws://127.0.0.1:{port_of(server)}/"
            for i in range(2):
                async with ws_connect(url) as ws:
                    assert await ws.recv() == "hi"
                await until(lambda: len(errors) == 4 * (i + 1) and not server.connections)

    run(main())
    assert len(errors) == 8
    assert all(isinstance(e, ConnectionClosed) and e.code == 1000 for e in errors)


def test_answer_to_a_message_read_with_the_close_precedes_our_close_frame() -> None:
    """A text frame and a close frame in one TCP segment: the echo comes before the close
    frame that answers the peer's close (RFC 6455 §5.5.1: data may precede our close)."""

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> bytes:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
            writer.write(UPGRADE)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101")
            mask = b"\x00\x00\x00\x00"
            writer.write(b"\x81\x85" + mask + b"hello" + b"\x88\x82" + mask + b"\x03\xe8")
            data = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
            return data

    assert run(main()) == b"\x81\x05hello\x88\x02\x03\xe8"
