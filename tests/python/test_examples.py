"""The asyncio examples of bindings-python/examples/, run as the README runs them, driven by the
`websockets` library: the chat room broadcasts, the echo server echoes and answers plain HTTP,
and both end a failed connection with its close frame intact (they half-close and linger
instead of resetting the socket)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
EXAMPLES = Path(__file__).resolve().parents[2] / "bindings-python" / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(script: str) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(EXAMPLES / script), "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert "ws://" in proc.stdout.readline()  # printed once it listens
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def chat_port() -> Iterator[int]:
    yield from start("chat_server.py")


@pytest.fixture
def echo_port() -> Iterator[int]:
    yield from start("echo_server.py")


def test_chat_broadcasts_to_everyone(chat_port: int) -> None:
    async def run() -> None:
        url = f"ws://127.0.0.1:{chat_port}/chat"
        async with connect(url) as alice:
            assert await alice.recv() == "* user1 joined"
            async with connect(url) as bob:
                assert await alice.recv() == "* user2 joined"
                assert await bob.recv() == "* user2 joined"
                await bob.send("hello, room")
                assert await alice.recv() == "user2: hello, room"
                assert await bob.recv() == "user2: hello, room"
            assert await alice.recv() == "* user2 left"

    asyncio.run(run())


def test_chat_serves_its_page_and_rejects_other_rooms(chat_port: int) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{chat_port}/") as r:
        assert r.status == 200
        assert b"new WebSocket" in r.read()

    async def run() -> None:
        with pytest.raises(Exception, match="404"):
            async with connect(f"ws://127.0.0.1:{chat_port}/elsewhere"):
                pass

    asyncio.run(run())


def test_echo_answers_http_and_echoes(echo_port: int) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{echo_port}/") as r:
        assert r.read() == b"wsengine echo server\n"

    async def run() -> None:
        async with connect(f"ws://127.0.0.1:{echo_port}/") as ws:
            for message in ["héllo", b"\x00\xff" * 1000, "x" * 200_000]:
                await ws.send(message)
                assert await ws.recv() == message

    asyncio.run(run())


def test_echo_keeps_its_close_frame_when_the_client_keeps_sending(echo_port: int) -> None:
    """A frame with RSV bits fails the connection with 1002 while the client is still sending:
    the close frame must reach the client (a reset would have destroyed it)."""

    async def run() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", echo_port)
        writer.write(UPGRADE)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
        writer.write(bytes([0xC1, 0x80, 1, 2, 3, 4]))  # RSV1 text frame: 1002
        for _ in range(50):  # keeps sending masked pings while the server fails
            writer.write(bytes([0x89, 0x80, 1, 2, 3, 4]))
            await writer.drain()
            await asyncio.sleep(0.002)
        frame = await reader.readexactly(4)
        assert frame[0] == 0x88 and int.from_bytes(frame[2:4], "big") == 1002
        writer.close()

    asyncio.run(run())


def test_echo_fails_bad_utf8_with_1007(echo_port: int) -> None:
    async def run() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", echo_port)
        writer.write(UPGRADE)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
        writer.write(bytes([0x81, 0x82, 0, 0, 0, 0, 0xFF, 0xFE]))  # text, invalid UTF-8
        frame = await reader.readexactly(4)
        assert frame[0] == 0x88 and int.from_bytes(frame[2:4], "big") == 1007
        await reader.readexactly(frame[1] - 2)  # the reason
        assert await reader.read() == b""  # then the server's FIN: nothing after the close frame
        writer.close()

    asyncio.run(run())


@pytest.fixture
def asyncio_echo_port() -> Iterator[int]:
    yield from start("asyncio_echo.py")


def test_asyncio_echo_answers_http_and_echoes_and_keeps_its_close_frame(asyncio_echo_port: int) -> None:
    """examples/asyncio_echo.py (wsengine.asyncio serve()): a health check over plain HTTP,
    echoes with and without permessage-deflate, and the 1002 close frame reaches a client
    that keeps sending."""
    with urllib.request.urlopen(f"http://127.0.0.1:{asyncio_echo_port}/") as r:
        assert r.read() == b"wsengine asyncio echo server\n"

    async def run() -> None:
        for compression in (None, "deflate"):
            async with connect(f"ws://127.0.0.1:{asyncio_echo_port}/", compression=compression,
                               max_size=None) as ws:
                for message in ["héllo", b"\x00\xff" * 1000, "x" * 200_000]:
                    await ws.send(message)
                    assert await ws.recv() == message
        reader, writer = await asyncio.open_connection("127.0.0.1", asyncio_echo_port)
        writer.write(UPGRADE)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
        writer.write(bytes([0xC1, 0x80, 1, 2, 3, 4]))  # RSV1 text frame without deflate: 1002
        for _ in range(50):
            writer.write(bytes([0x89, 0x80, 1, 2, 3, 4]))
            await writer.drain()
            await asyncio.sleep(0.002)
        frame = await reader.readexactly(4)
        assert frame[0] == 0x88 and int.from_bytes(frame[2:4], "big") == 1002
        writer.close()

    asyncio.run(run())
