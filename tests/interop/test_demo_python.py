"""The demo server against Python `websockets` (an independent implementation) as the client,
and the example client against a `websockets` server."""
import asyncio
import os
import subprocess
import urllib.request

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from conftest import EXAMPLES


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_echo_text_and_binary(demo, compression):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{demo}/echo", compression=compression,
                                      max_size=None) as ws:
            for msg in ["hello", "κόσμε €", "", "x" * 70000]:
                await ws.send(msg)
                assert await ws.recv() == msg
            for msg in [b"", b"\x00\xff" * 3, os.urandom(1 << 20)]:
                await ws.send(msg)
                assert await ws.recv() == msg
            # A fragmented message is reassembled and echoed whole.
            await ws.send(iter(["frag", "ment", "ed"]))
            assert await ws.recv() == "fragmented"
            await ws.close(1000, "done")
            assert ws.close_code == 1000
    run(go())


def test_extensions_negotiated(demo):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{demo}/echo") as ws:
            # websockets offers permessage-deflate by default; the demo server accepts it.
            assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
            await ws.send("compressed " * 100)
            assert await ws.recv() == "compressed " * 100
    run(go())


def test_chat_relays_to_every_client(demo):
    async def go():
        url = f"ws://127.0.0.1:{demo}/chat"
        async with websockets.connect(url, subprotocols=["chat"]) as a, \
                websockets.connect(url, subprotocols=["chat"]) as b:
            assert a.subprotocol == "chat" and b.subprotocol == "chat"
            await asyncio.sleep(0.2)  # both registered before the first message
            await a.send("hi from a")
            assert await a.recv() == "hi from a"
            assert await b.recv() == "hi from a"
            await b.send(b"\x01\x02")
            assert await a.recv() == b"\x01\x02"
    run(go())


def test_ping_pong_and_server_close_codes(demo):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{demo}/echo") as ws:
            latency = await (await ws.ping(b"abc"))
            assert latency >= 0
    run(go())


def test_protocol_error_gets_1002(demo):
    """A raw client sends an unmasked frame: the server must fail with 1002."""
    import socket
    s = socket.create_connection(("127.0.0.1", demo))
    s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    s.sendall(b"\x81\x02hi")
    data = b""
    s.settimeout(5)
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, frames = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
    assert frames[0] == 0x88 and frames[2:4] == (1002).to_bytes(2, "big")


def test_plain_http_page_and_404(demo):
    page = urllib.request.urlopen(f"http://127.0.0.1:{demo}/", timeout=5).read().decode()
    assert "new WebSocket" in page
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{demo}/missing", timeout=5)
    assert e.value.code == 404


def test_unknown_endpoint_rejected(demo):
    async def go():
        with pytest.raises(InvalidStatus) as e:
            async with websockets.connect(f"ws://127.0.0.1:{demo}/nope"):
                pass
        assert e.value.response.status_code == 404
    run(go())


def test_max_sessions_answers_503(demo_two_sessions):
    async def go():
        url = f"ws://127.0.0.1:{demo_two_sessions}/echo"
        async with websockets.connect(url), websockets.connect(url):
            with pytest.raises(InvalidStatus) as e:
                async with websockets.connect(url):
                    pass
            assert e.value.response.status_code == 503
        await asyncio.sleep(0.3)
        async with websockets.connect(url) as ws:  # a slot is free again
            await ws.send("ok")
            assert await ws.recv() == "ok"
    run(go())


def test_example_client_against_websockets_server():
    async def go():
        received = []

        async def handler(ws):
            async for msg in ws:
                received.append(msg)
                await ws.send(f"echo: {msg}")

        async with websockets.serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            proc = await asyncio.create_subprocess_exec(
                os.path.join(EXAMPLES, "client"), f"ws://127.0.0.1:{port}/",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            proc.stdin.write("first line\nsecond κόσμε\n".encode())
            await proc.stdin.drain()
            lines = [(await proc.stdout.readline()).decode().rstrip("\n") for _ in range(2)]
            proc.stdin.close()
            await proc.wait()
            assert lines == ["echo: first line", "echo: second κόσμε"]
            assert received == ["first line", "second κόσμε"]
            assert proc.returncode == 0
    run(go())
