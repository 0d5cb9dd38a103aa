"""wsengine.asyncio's own socket transports (SocketTransport: the engine reads from and writes
to the socket itself; TLSSocketTransport: the same through an ssl.SSLObject), which our
clients and servers use, against `websockets` peers over 127.0.0.1: messages of every size
both ways (partial writes included), flow control against a peer that stops reading (bounded
memory, nothing lost), write_limit, a dropped connection, a refused one, Unix sockets, TLS
both ways, a failed TLS verification and a TLS handshake that never starts. Every TLS test
runs twice: records moved by the native TlsSession, and by Python's ssl calls (the fallback
where there is no session), a corrupted record and the peer's close_notify included; a
session refused for objects it does not know is tested once."""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any, List

import pytest
from websockets.asyncio.server import ServerConnection as WsServerConnection
from websockets.asyncio.server import serve as ws_serve

from wsengine.asyncio import ConnectionClosedError, ConnectionClosedOK, connect, serve
import wsengine.asyncio.transport as transport_module
from wsengine import _wsengine
from wsengine.asyncio.transport import AVAILABLE, SocketTransport, TLSSocketTransport


def test_unix_builds_do_their_own_socket_io() -> None:
    assert AVAILABLE

TIMEOUT = 30.0
MESSAGE = 64 * 1024


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


def url_of(server: Any) -> str:
    return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


async def echo(ws: WsServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def test_plain_client_exchanges_every_size_through_its_own_transport() -> None:
    sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20, 8 << 20]

    async def main() -> int:
        async with ws_serve(echo, "127.0.0.1", 0, max_size=None, compression=None) as server:
            async with connect(url_of(server), max_size=None, compression=None) as ws:
                assert isinstance(ws.transport, SocketTransport)
                for size in sizes:
                    payload = os.urandom(size)
                    await ws.send(payload)  # 8 MiB: written in parts, as the socket takes it
                    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload
                    await ws.send(payload.hex()[:size])
                    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload.hex()[:size]
                # A burst: every answer, in order.
                for i in range(500):
                    await ws.send(f"m{i}")
                assert [await ws.recv() for _ in range(500)] == [f"m{i}" for i in range(500)]
                await ws.close(4001, "bye")
                assert ws.close_code == 4001
            return len(sizes)

    assert run(main()) == len(sizes)


def test_server_that_stops_reading_blocks_send_and_bounds_memory() -> None:
    """The client sends 64 KiB messages as fast as send() lets it to a websockets server whose
    handler does not read: send() blocks once the engine's output (the transport's buffer) is
    above the high-water mark, so the client holds at most that plus one message. Then the
    server reads everything: every message arrives, in order."""
    release = asyncio.Event()
    received: List[int] = []
    held: List[int] = []

    async def handler(ws: WsServerConnection) -> None:
        await release.wait()
        async for message in ws:
            assert isinstance(message, bytes)
            if message == b"end":
                await ws.send(str(len(received)))
                continue
            received.append(int.from_bytes(message[:4], "big"))

    async def main() -> None:
        nonlocal release
        release = asyncio.Event()
        async with ws_serve(handler, "127.0.0.1", 0, max_size=None, max_queue=1, compression=None) as server:
            async with connect(url_of(server), max_size=None, compression=None) as ws:
                assert isinstance(ws.transport, SocketTransport)
                sent = 0
                stop = False

                async def flood() -> None:
                    nonlocal sent
                    while not stop:
                        await ws.send(sent.to_bytes(4, "big") * (MESSAGE // 4))
                        sent += 1
                    await ws.send(b"end")

                task = asyncio.create_task(flood())
                last, same = -1, 0
                while same < 5:  # until the sender stalls
                    await asyncio.sleep(0.1)
                    same = same + 1 if sent == last else 0
                    last = sent
                assert ws._write_paused
                held.append(ws.engine.buffered_amount)
                assert ws.transport.get_write_buffer_size() == ws.engine.buffered_amount
                # The transport's high-water mark (64 KiB) plus one message.
                assert ws.engine.buffered_amount <= 64 * 1024 + MESSAGE + 16
                stop = True
                release.set()
                await asyncio.wait_for(task, TIMEOUT)
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == str(sent)
        assert received == list(range(sent))

    run(main())
    print(f"\nnever-reading server: the client held {held[0] / 1024:.0f} KiB of output (send() blocked)")


def test_write_limit_sets_the_transports_marks() -> None:
    async def handler(ws: Any) -> None:
        await ws.wait_closed()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, write_limit=(8192, 1024)) as server:
            async with connect(url_of(server), write_limit=4096) as ws:
                assert ws.transport is not None
                assert ws.transport.get_write_buffer_limits() == (1024, 4096)
                await asyncio.sleep(0.05)
                conn = next(iter(server.connections))
                assert conn.transport is not None
                assert conn.transport.get_write_buffer_limits() == (1024, 8192)

    run(main())


def test_dropped_connection_is_an_unclean_close() -> None:
    async def handler(ws: WsServerConnection) -> None:
        await ws.send("last")
        ws.transport.abort()

    async def main() -> None:
        async with ws_serve(handler, "127.0.0.1", 0) as server:
            async with connect(url_of(server)) as ws:
                assert await ws.recv() == "last"
                with pytest.raises(ConnectionClosedError) as info:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                assert info.value.code == 1006
                assert ws.close_code == 1006
                with pytest.raises(ConnectionClosedError):
                    await ws.send("after")

    run(main())


def test_clean_close_by_the_server_ends_iteration() -> None:
    async def handler(ws: WsServerConnection) -> None:
        await ws.send("one")
        await ws.close(1000, "done")

    async def main() -> List[Any]:
        async with ws_serve(handler, "127.0.0.1", 0) as server:
            async with connect(url_of(server)) as ws:
                got = [m async for m in ws]
                with pytest.raises(ConnectionClosedOK):
                    await ws.recv()
                return [got, ws.close_code, ws.close_reason]

    assert run(main()) == [["one"], 1000, "done"]


def test_refused_connection_raises_oserror() -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(ConnectionRefusedError):
            await connect(f"ws://127.0.0.1:{port}/")

    run(main())


def test_tls_client_exchanges_every_size_with_a_websockets_server(tls_contexts: Any, tls_path: bool) -> None:
    server_context, client_context = tls_contexts

    async def main() -> int:
        async with ws_serve(echo, "127.0.0.1", 0, ssl=server_context, max_size=None, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"wss://127.0.0.1:{port}/", ssl=client_context, max_size=None,
                               compression=None) as ws:
                assert isinstance(ws.transport, TLSSocketTransport)
                assert (ws.transport._session is not None) == tls_path
                assert ws.transport.get_extra_info("peercert") is not None
                assert ws.transport.get_extra_info("ssl_object").version().startswith("TLS")
                for size in (0, 1, 125, 70_000, 8 << 20):
                    payload = os.urandom(size)
                    await ws.send(payload)  # 8 MiB: records written as the socket takes them
                    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload
                for i in range(200):
                    await ws.send(f"m{i}")
                assert [await ws.recv() for _ in range(200)] == [f"m{i}" for i in range(200)]
                await ws.close(4002, "tls bye")
                return ws.close_code or 0

    assert run(main()) == 4002


def test_tls_server_serves_websockets_clients_and_survives_a_failed_handshake(tls_contexts: Any, tls_path: bool) -> None:
    """Our TLS server (SocketListener + TLSSocketTransport) echoes for a websockets client;
    our client, not trusting the server's CA, fails as asyncio's would
    (ssl.SSLCertVerificationError) and the server goes on serving."""
    from websockets.asyncio.client import connect as ws_connect

    server_context, client_context = tls_contexts

    async def handler(ws: Any) -> None:
        assert isinstance(ws.transport, TLSSocketTransport)
        assert (ws.transport._session is not None) == tls_path
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, ssl=server_context, max_size=None, compression=None) as server:
            url = f"wss://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            with pytest.raises(ssl.SSLCertVerificationError):
                await connect(url, ssl=ssl.create_default_context())
            async with ws_connect(url, ssl=client_context, max_size=None, compression=None) as ws:
                for size in (0, 125, 70_000, 4 << 20):
                    payload = os.urandom(size)
                    await ws.send(payload)
                    assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload
                await ws.send("text over tls")
                assert await ws.recv() == "text over tls"

    run(main())


def test_tls_server_pauses_a_flooding_client_and_loses_nothing(tls_contexts: Any, tls_path: bool) -> None:
    """A websockets client floods our TLS server, whose handler does not read at first: the
    server stops reading at max_queue (records already read stay in the TLS object) and, once
    the handler reads, decrypts them on resume: every message arrives, in order."""
    from websockets.asyncio.client import connect as ws_connect

    server_context, client_context = tls_contexts
    total = 200
    received: List[int] = []
    paused: List[bool] = []

    async def handler(ws: Any) -> None:
        assert (ws.transport._session is not None) == tls_path
        while not ws._read_paused:
            await asyncio.sleep(0.01)
        paused.append(True)
        async for message in ws:
            received.append(int.from_bytes(message[:4], "big"))
            if len(received) == total:
                await ws.send("done")

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, ssl=server_context, max_queue=4, max_size=None,
                         compression=None) as server:
            url = f"wss://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            async with ws_connect(url, ssl=client_context, max_size=None, compression=None) as ws:
                for i in range(total):
                    await ws.send(i.to_bytes(4, "big") * (MESSAGE // 4))
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "done"

    run(main())
    assert paused == [True]
    assert received == list(range(total))


def test_tls_handshake_is_bounded_by_the_open_timeout(tls_contexts: Any) -> None:
    """A TCP client that never starts TLS is dropped once open_timeout passes."""
    server_context, _ = tls_contexts

    async def handler(ws: Any) -> None:
        raise AssertionError("no connection should open")

    async def main() -> float:
        async with serve(handler, "127.0.0.1", 0, ssl=server_context, open_timeout=0.3) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
            writer.close()
            return loop.time() - t0

    assert 0.2 < run(main()) < 5


@pytest.fixture(params=[True, False], ids=["native-records", "python-ssl-records"])
def tls_path(request: Any, monkeypatch: Any) -> bool:
    """Runs a TLS test with records moved by the native TlsSession, then by Python's ssl."""
    if request.param:
        assert transport_module.NATIVE_TLS, "this build has no native TLS session"
    monkeypatch.setattr(transport_module, "NATIVE_TLS", request.param)
    return bool(request.param)


def test_unix_builds_move_tls_records_natively() -> None:
    assert transport_module.NATIVE_TLS


def test_a_native_session_refuses_objects_it_does_not_know(tls_contexts: Any) -> None:
    """TlsSession reads OpenSSL pointers out of Python's ssl objects only after checking their
    types and that the SSL object really uses those two BIOs."""
    server_context, _ = tls_contexts
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ssl_object = server_context.wrap_bio(incoming, outgoing, server_side=True)
    session = _wsengine.TlsSession(ssl_object._sslobj, incoming, outgoing)
    assert session.state == 0
    with pytest.raises(ValueError, match="does not use these BIOs"):
        _wsengine.TlsSession(ssl_object._sslobj, outgoing, incoming)
    other = ssl.MemoryBIO()
    with pytest.raises(ValueError, match="does not use these BIOs"):
        _wsengine.TlsSession(ssl_object._sslobj, incoming, other)
    with pytest.raises(ValueError, match="expects an _ssl._SSLSocket"):
        _wsengine.TlsSession(ssl_object, incoming, outgoing)  # the Python wrapper, not _sslobj
    with pytest.raises(ValueError, match="expects an _ssl._SSLSocket"):
        _wsengine.TlsSession(object(), incoming, outgoing)


async def _raw_tls_client(port: int, context: ssl.SSLContext) -> Any:
    """A TLS client on a plain socket (ssl.SSLObject over memory BIOs) that has done the
    WebSocket handshake: returns (reader, writer, ssl_object, outgoing BIO)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            writer.write(outgoing.read())
            incoming.write(await asyncio.wait_for(reader.read(65536), TIMEOUT))
    tls.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    writer.write(outgoing.read())
    answer = b""
    while b"\r\n\r\n" not in answer:
        incoming.write(await asyncio.wait_for(reader.read(65536), TIMEOUT))
        try:
            answer += tls.read(65536)
        except ssl.SSLWantReadError:
            pass
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return reader, writer, tls, outgoing


def recording_handler(outcomes: List[Any], tls_path: bool) -> Any:
    """A server handler that records each message it receives, then the close code, after
    checking which TLS record path its connection uses."""

    async def handler(ws: Any) -> None:
        assert (ws.transport._session is not None) == tls_path
        try:
            while True:
                outcomes.append(await ws.recv())
        except ConnectionClosedError:
            outcomes.append(ws.close_code)

    return handler


async def until_recorded(outcomes: List[Any], count: int) -> None:
    """Waits (2 s at most) until a recording handler has recorded `count` outcomes."""
    for _ in range(100):
        if len(outcomes) >= count:
            return
        await asyncio.sleep(0.02)


def test_tls_server_fails_a_connection_on_a_corrupted_record(tls_contexts: Any, tls_path: bool) -> None:
    """A record whose bytes were changed on the way fails decryption: the server drops that
    connection (the handler's recv() raises ConnectionClosedError, 1006) after the messages
    before it, and goes on serving others."""
    server_context, client_context = tls_contexts
    outcomes: List[Any] = []

    handler = recording_handler(outcomes, tls_path)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, ssl=server_context, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            reader, writer, tls, outgoing = await _raw_tls_client(port, client_context)
            tls.write(b"\x82\x82abcd" + bytes([ord("h") ^ ord("a"), ord("i") ^ ord("b")]))  # binary b"hi"
            good = outgoing.read()
            tls.write(b"\x82\x82abcd" + bytes([ord("h") ^ ord("a"), ord("o") ^ ord("b")]))
            record = bytearray(outgoing.read())
            record[-3] ^= 0x55  # inside the record's authentication tag
            writer.write(good + bytes(record))  # one write: the bad record follows in the same read
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # the server hung up
            writer.close()
            await until_recorded(outcomes, 2)
            from websockets.asyncio.client import connect as ws_connect
            async with ws_connect(f"wss://127.0.0.1:{port}/", ssl=client_context) as ws:
                await ws.send("still serving")
                await asyncio.sleep(0.05)

    run(main())
    assert outcomes[:2] == [b"hi", 1006]
    assert outcomes[2] == "still serving"


def test_tls_server_reads_the_peers_close_notify_as_end_of_input(tls_contexts: Any, tls_path: bool) -> None:
    """A client that sends close_notify without a WebSocket close: the server delivers the
    message before it, then reports an abnormal closure (1006) and closes the connection."""
    server_context, client_context = tls_contexts
    outcomes: List[Any] = []

    handler = recording_handler(outcomes, tls_path)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, ssl=server_context, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            reader, writer, tls, outgoing = await _raw_tls_client(port, client_context)
            tls.write(b"\x81\x82abcd" + bytes([ord("o") ^ ord("a"), ord("k") ^ ord("b")]))  # text "ok"
            try:
                tls.unwrap()
            except ssl.SSLWantReadError:
                pass  # close_notify written; the server's is not awaited
            writer.write(outgoing.read())  # the message and close_notify, in one write
            await asyncio.wait_for(reader.read(), TIMEOUT)  # whatever it sends, until it closes
            assert reader.at_eof()
            writer.close()
            await until_recorded(outcomes, 2)

    run(main())
    assert outcomes == ["ok", 1006]


@pytest.fixture
def tls_contexts() -> Any:
    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    return server_context, client_context


def test_server_connections_use_it_and_close_stops_accepting() -> None:
    """serve() without TLS accepts on its own (SocketListener) and gives each connection a
    SocketTransport; a websockets client exchanges large and small messages with it; after
    close() the port refuses connections."""
    from websockets.asyncio.client import connect as ws_connect

    kinds: List[str] = []

    async def handler(ws: Any) -> None:
        kinds.append(type(ws.transport).__name__)
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
            url = url_of(server)
            assert server.is_serving()
            for _ in range(3):
                async with ws_connect(url, max_size=None, compression=None) as ws:
                    for size in (0, 125, 70_000, 8 << 20):
                        payload = os.urandom(size)
                        await ws.send(payload)
                        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == payload
        assert not server.is_serving()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/")))

    run(main())
    assert kinds == ["SocketTransport"] * 3


def test_unix_socket_server_and_client(tmp_path: Any) -> None:
    path = str(tmp_path / "ws.sock")

    async def handler(ws: Any) -> None:
        assert isinstance(ws.transport, SocketTransport)
        async for message in ws:
            await ws.send(message)

    async def main() -> List[Any]:
        from wsengine.asyncio import unix_connect, unix_serve

        async with unix_serve(handler, path):
            async with unix_connect(path) as ws:
                assert isinstance(ws.transport, SocketTransport)
                await ws.send("over a unix socket")
                big = os.urandom(300_000)
                await ws.send(big)
                return [await ws.recv(), await ws.recv() == big]

    assert run(main()) == ["over a unix socket", True]
