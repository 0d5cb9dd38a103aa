"""Error paths: bad frames give the right event, close code and exception, never a crash."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import struct

import pytest

import wsengine
from _driver import TIMEOUT, EngineServer, Peer

MASK = b"\x11\x22\x33\x44"


def masked(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0) -> bytes:
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def unmasked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    assert len(payload) < 126
    return bytes([(0x80 if fin else 0) | opcode, len(payload)]) + payload


def open_server(**config: object) -> wsengine.Connection:
    conn = wsengine.open_connection("server", **config)
    assert isinstance(conn.events()[0], wsengine.Open)
    return conn


BAD_FRAMES = [
    ("unmasked", unmasked(0x1, b"hi"), "unmasked_frame", 1002),
    ("reserved opcode", masked(0x3, b""), "reserved_opcode", 1002),
    ("reserved bits", masked(0x1, b"x", rsv=0x20), "reserved_bits", 1002),
    ("invalid utf-8", masked(0x1, b"\xff\xfe"), "invalid_utf8", 1007),
    ("utf-8 surrogate", masked(0x1, b"\xed\xa0\x80"), "invalid_utf8", 1007),
    ("long control frame", masked(0x9, b"x" * 126), "control_frame_too_long", 1002),
    ("fragmented ping", masked(0x9, b"", fin=False), "fragmented_control_frame", 1002),
    ("orphan continuation", masked(0x0, b"x"), "unexpected_continuation", 1002),
    ("interleaved data", masked(0x1, b"a", fin=False) + masked(0x1, b"b"), "expected_continuation", 1002),
    ("1-byte close", masked(0x8, b"\x03"), "invalid_close_payload", 1002),
    ("close code 1005", masked(0x8, b"\x03\xed"), "invalid_close_code", 1002),
    ("close code 999", masked(0x8, struct.pack("!H", 999)), "invalid_close_code", 1002),
    ("close reason not utf-8", masked(0x8, b"\x03\xe8\xff"), "invalid_utf8", 1007),
    ("top bit length", b"\x82\xff" + b"\x80" + b"\x00" * 7 + MASK, "length_top_bit", 1002),
    ("message too big", masked(0x2, b"x" * 2000), "message_too_large", 1009),
]


@pytest.mark.parametrize("name,data,kind,code", BAD_FRAMES, ids=[b[0] for b in BAD_FRAMES])
def test_bad_frames_fail_with_close_code(name: str, data: bytes, kind: str, code: int) -> None:
    conn = open_server(max_message_size=1000)
    events = conn.receive(data)
    failed = [e for e in events if isinstance(e, wsengine.Failed)]
    assert failed, events
    assert failed[0].kind == kind and failed[0].close_code == code
    err = failed[0].error
    assert isinstance(err, wsengine.ProtocolError) and isinstance(err, wsengine.WebSocketError)
    assert err.kind == kind and err.close_code == code and str(err) == failed[0].message
    assert isinstance(events[-1], wsengine.Closed)
    assert events[-1].sent_code == code and not events[-1].was_clean
    out = conn.data_to_send()
    assert out[0] == 0x88 and struct.unpack("!H", out[2:4])[0] == code
    assert conn.state == wsengine.State.CLOSED
    # input after the failure is ignored, never an exception
    assert conn.receive(data) == []


def test_client_rejects_masked_frame() -> None:
    conn = wsengine.open_connection("client")
    events = conn.receive(masked(0x1, b"hi"))
    failed = [e for e in events if isinstance(e, wsengine.Failed)]
    assert failed and failed[0].kind == "masked_frame" and failed[0].close_code == 1002


def test_bad_frames_over_a_socket() -> None:
    """A raw client sends invalid UTF-8 after a real handshake: the server answers 1007 and closes."""

    async def handler(peer: Peer) -> None:
        while True:
            try:
                await peer.next_event()
            except EOFError:
                return

    async def main() -> None:
        async with EngineServer(handler) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write(
                (
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                ).encode()
                + masked(0x1, b"ok")
                + masked(0x1, b"\xc3\x28")
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            assert head.startswith(b"HTTP/1.1 101")
            rest = await asyncio.wait_for(reader.read(), TIMEOUT)  # until the server closes
            close = rest  # the handler does not echo: only the close frame comes back
            assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1007
            writer.close()
            log = server.peers[0].log
            assert [type(e).__name__ for e in log][-3:] == ["TextMessage", "Failed", "Closed"]

    asyncio.run(main())


def test_bad_handshakes() -> None:
    conn = wsengine.ServerConnection()
    events = conn.receive(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    assert any(isinstance(e, wsengine.Closed) for e in events) or conn.data_to_send().startswith(b"HTTP/1.1 400")
    conn = wsengine.ServerConnection()
    events = conn.receive(b"\x00\x01garbage\r\n\r\n")
    assert conn.data_to_send().startswith(b"HTTP/1.1 4")
    conn = wsengine.ClientConnection("ws://example.com/")
    conn.data_to_send()
    events = conn.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
    rejected = [e for e in events if isinstance(e, wsengine.Rejected)]
    assert rejected and rejected[0].status == 200 and rejected[0].body == b"no"


def test_application_errors_raise() -> None:
    conn = wsengine.ServerConnection()
    with pytest.raises(wsengine.ApplicationError) as exc:
        conn.send_text("too early")
    assert exc.value.kind == "invalid_state" and exc.value.close_code == 1006
    with pytest.raises(wsengine.ApplicationError) as exc:
        conn.accept()
    assert exc.value.kind == "invalid_state"

    conn = open_server()
    for call, kind in [
        (lambda: conn.close(1005), "invalid_close_code_for_app"),
        (lambda: conn.close(1000, "x" * 124), "reason_too_long"),
        (lambda: conn.close_with(1005), "invalid_input"),
        (lambda: conn.ping(b"x" * 126), "control_payload_too_long"),
        (lambda: conn.send_fragment("a", False) or conn.send_text("b"), "invalid_state"),
    ]:
        with pytest.raises(wsengine.WebSocketError) as exc:
            call()
        assert exc.value.kind == kind, (kind, exc.value)
    assert conn.state == wsengine.State.OPEN
    conn.send_fragment("c", True)
    conn.close()
    conn.close()  # closing twice is a no-op, like the W3C API
    with pytest.raises(wsengine.ApplicationError):
        conn.send_binary(b"after close")


def test_output_buffer_limit() -> None:
    conn = open_server(max_output_buffer=1000)
    with pytest.raises(wsengine.ApplicationError) as exc:
        conn.send_binary(bytes(2000))
    assert exc.value.kind == "output_buffer_full"


def test_invalid_arguments() -> None:
    with pytest.raises(wsengine.ApplicationError) as exc:
        wsengine.ServerConnection(max_frame_size=0)
    assert exc.value.kind == "invalid_input"
    with pytest.raises(wsengine.ApplicationError):
        wsengine.ClientConnection("http://example.com/")
    with pytest.raises(TypeError):
        wsengine.Config(no_such_option=1)
    with pytest.raises(TypeError):
        wsengine.ServerConnection().receive_data("text is not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        wsengine.open_connection("peer")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_frame_size must be a non-negative integer"):
        wsengine.Config(max_frame_size=-1)
    with pytest.raises(TypeError, match="auto_pong must be a boolean"):
        wsengine.Config(auto_pong=1)
    with pytest.raises(ValueError):
        wsengine.Config(delivery="bogus")  # type: ignore[arg-type]
    with pytest.raises(wsengine.ApplicationError):
        wsengine.ClientConnection("ws://example.com/", headers=[("Bad\r\nName", "v")])


@pytest.mark.parametrize("role", ["server", "client"])
def test_random_input_never_crashes(role: str) -> None:
    rng = random.Random(1234)
    for _ in range(300):
        if role == "server" and rng.random() < 0.3:
            conn: wsengine.Connection = wsengine.ServerConnection()
        elif role == "client" and rng.random() < 0.3:
            conn = wsengine.ClientConnection("ws://example.com/")
        else:
            conn = wsengine.open_connection(role)  # type: ignore[arg-type]
        for _ in range(rng.randint(1, 5)):
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
            conn.receive_data(data)
            conn.events()
            conn.data_to_send()
        conn.receive_eof()
        events = conn.events()
        assert conn.state == wsengine.State.CLOSED
        assert events == [] or isinstance(events[-1], wsengine.Closed)


# ---- a failure behind messages (Autobahn 5.15) ----

# Two whole messages, then a text frame that is not UTF-8 (fails the connection with 1007).
GOOD_THEN_BAD = masked(0x1, b"first") + masked(0x2, b"\x01") + masked(0x1, b"\xff")


def assert_failed_then_closed(events: list[wsengine.Event]) -> None:
    assert [type(e) for e in events] == [wsengine.Failed, wsengine.Closed], events
    assert isinstance(events[0], wsengine.Failed) and events[0].kind == "invalid_utf8"
    assert isinstance(events[1], wsengine.Closed) and events[1].sent_code == 1007


# Calls an application may make between receiving and answering: none changes what is sent.
CALLS_BEFORE_ANSWER = {
    "nothing": lambda conn: None,
    "events": lambda conn: conn.events(),
    "handle_timeout": lambda conn: conn.handle_timeout(10),
    "receive": lambda conn: conn.receive(masked(0x1, b"ignored")),
    "receive_eof": lambda conn: conn.receive_eof(),
}


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"])
@pytest.mark.parametrize("call", list(CALLS_BEFORE_ANSWER), ids=list(CALLS_BEFORE_ANSWER))
def test_messages_before_a_failure_can_be_answered(wrap: type, call: str) -> None:
    """receive(): the messages, then the failure, in one list; the connection is closed, yet
    the messages can be answered and the answer goes out before the close frame, whatever
    the application calls in between (taking events never changes the connection)."""
    conn = open_server()
    events = conn.receive(wrap(GOOD_THEN_BAD))
    assert events[:2] == [wsengine.TextMessage("first"), wsengine.BinaryMessage(b"\x01")]
    assert_failed_then_closed(events[2:])
    assert conn.state == wsengine.State.CLOSED
    CALLS_BEFORE_ANSWER[call](conn)
    assert conn.can_send
    conn.send_text("first")
    out = conn.data_to_send()
    assert out[:7] == b"\x81\x05first"  # the answer goes out before the close frame
    assert out[7] == 0x88 and struct.unpack("!H", out[9:11])[0] == 1007
    # Once the close frame was taken, nothing more can be sent: a clear error, no harm done.
    assert not conn.can_send
    with pytest.raises(wsengine.ApplicationError):
        conn.send_text("late")
    assert conn.events() == [] and conn.receive(GOOD_THEN_BAD) == []


def test_receive_data_and_events_fail_in_the_same_batch() -> None:
    """receive_data() + events(): everything, the failure included, in one list."""
    conn = open_server()
    conn.receive_data(GOOD_THEN_BAD)
    events = conn.events()
    assert events[:2] == [wsengine.TextMessage("first"), wsengine.BinaryMessage(b"\x01")]
    assert_failed_then_closed(events[2:])
    assert conn.state == wsengine.State.CLOSED and conn.events() == []


def test_receive_byte_by_byte_fails_at_once() -> None:
    """The messages came out of earlier calls (the application had its chance to answer):
    the call that finds the bad frame returns the failure at once."""
    for wrap in (bytes, bytearray):
        conn = open_server()
        events: list[wsengine.Event] = []
        for i in range(len(GOOD_THEN_BAD) - 1):
            events += conn.receive(wrap(GOOD_THEN_BAD[i : i + 1]))
        assert events == [wsengine.TextMessage("first"), wsengine.BinaryMessage(b"\x01")]
        assert conn.state == wsengine.State.OPEN
        assert_failed_then_closed(conn.receive(wrap(GOOD_THEN_BAD[-1:])))


@pytest.mark.parametrize("wrap", [bytes, bytearray], ids=["bytes", "bytearray"])
def test_receive_fails_at_once_with_nothing_before(wrap: type) -> None:
    """A bad frame first in the input (nothing to answer): the failure and nothing else."""
    for frame in (masked(0x1, b"\xff"), masked(0x3, b""), masked(0x1, b"a", fin=False) + masked(0x2, b"b")):
        conn = open_server()
        events = conn.receive(wrap(frame))
        assert [type(e) for e in events] == [wsengine.Failed, wsengine.Closed], (frame, events)
        assert conn.state == wsengine.State.CLOSED
