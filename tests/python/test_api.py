"""The Python surface: config, events (immutable, match-able), output paths, timers."""

from __future__ import annotations

import pytest

import wsengine
from test_errors import masked


def pair(**config: object) -> tuple[wsengine.Connection, wsengine.Connection]:
    server = wsengine.open_connection("server", **config)
    client = wsengine.open_connection("client", **config)
    server.events(), client.events()
    return server, client


def test_config_defaults_and_roundtrip() -> None:
    c = wsengine.Config()
    assert c.max_frame_size == 16 << 20 and c.max_message_size == 16 << 20
    assert c.max_fragments == 131_072 and c.auto_pong and not c.surface_pings
    assert c.handshake_timeout == 10_000 and c.pong_timeout == 20_000 and c.ping_interval is None
    assert c.delivery == "messages" and c.protocols == [] and c.allowed_origins is None
    assert c.deflate is None
    c.delivery = 4096
    assert c.delivery == 4096
    c.delivery = "frames"
    c.protocols = ["a", "b"]
    d = c.replace(max_headers=10)
    assert d.max_headers == 10 and d.protocols == ["a", "b"] and c.max_headers == 64
    assert "max_headers=10" in repr(d)
    conn = wsengine.ServerConnection(d, idle_timeout=1000)
    assert conn.config.idle_timeout == 1000 and conn.config.max_headers == 10
    with pytest.raises(wsengine.ApplicationError):
        wsengine.Config(low_water_mark=10, high_water_mark=5).validate()


def test_events_are_immutable_and_match() -> None:
    server, client = pair()
    client.send_text("héllo")
    client.send_binary(b"\x00\x01")
    events = server.receive(client.data_to_send())
    assert events == [wsengine.TextMessage("héllo"), wsengine.BinaryMessage(b"\x00\x01")]
    kinds = []
    for ev in events:
        match ev:
            case wsengine.TextMessage(text):
                kinds.append(("text", text))
            case wsengine.BinaryMessage(data=data):
                kinds.append(("binary", data))
    assert kinds == [("text", "héllo"), ("binary", b"\x00\x01")]
    with pytest.raises(AttributeError):
        events[0].data = "x"  # type: ignore[misc]
    assert hash(events[0]) == hash(wsengine.TextMessage("héllo"))
    assert repr(events[1]) == "BinaryMessage(data=b'\\x00\\x01')"
    assert isinstance(events[0].data, str) and isinstance(events[1].data, bytes)


def test_inputs_accept_buffers() -> None:
    server, client = pair()
    client.send_binary(bytearray(b"ba"))
    client.send_binary(memoryview(b"xxmvxx")[2:4])
    wire = client.data_to_send()
    events = server.receive(memoryview(bytearray(wire)))
    assert [e.data for e in events] == [b"ba", b"mv"]  # type: ignore[union-attr]
    with pytest.raises(BufferError):
        server.receive_data(memoryview(bytes(8))[::2])  # not contiguous


def test_chunk_and_frame_delivery() -> None:
    server, client = pair(delivery=3)
    client.send_text("abcdefg")
    events = server.receive(client.data_to_send())
    assert all(isinstance(e, wsengine.Chunk) for e in events)
    assert "".join(e.text for e in events) == "abcdefg"  # type: ignore[union-attr]
    assert events[0].first and events[-1].last and events[0].kind == "text"  # type: ignore[union-attr]
    server, client = pair(delivery="frames")
    client.send_fragment(b"ab", False)
    client.send_fragment(b"cd", True)
    events = server.receive(client.data_to_send())
    assert events == [wsengine.Chunk("binary", b"ab", True, False), wsengine.Chunk("binary", b"cd", False, True)]


def test_pings_pongs_surface() -> None:
    server, client = pair(surface_pings=True, surface_pongs=True)
    client.ping("hi")
    assert server.receive(client.data_to_send()) == [wsengine.Ping(b"hi")]
    assert client.receive(server.data_to_send()) == [wsengine.Pong(b"hi")]


def test_output_paths() -> None:
    server, client = pair()
    big = bytes(range(256)) * 1024
    server.send_text("a")
    server.send_binary(big)
    server.send_text("b")
    assert server.buffered_amount == 3 + 10 + len(big) + 3
    bufs = server.output_buffers()
    assert b"".join(bufs)[:3] == b"\x81\x01a"
    total = sum(len(b) for b in bufs)
    assert total == server.buffered_amount
    server.consume(5)
    assert server.buffered_amount == total - 5
    rest = server.data_to_send()
    assert server.buffered_amount == 0 and server.data_to_send() == b""
    events = client.receive(b"".join(bufs)[:5] + rest)
    assert [type(e) for e in events] == [wsengine.TextMessage, wsengine.BinaryMessage, wsengine.TextMessage]
    assert events[1].data == big  # type: ignore[union-attr]


def test_backpressure_writable() -> None:
    server, _ = pair(high_water_mark=1000, low_water_mark=100)
    server.send_binary(bytes(2000))
    assert not server.is_writable
    server.data_to_send()
    assert server.is_writable
    assert server.events() == [wsengine.Writable()]


def test_timers() -> None:
    server, client = pair(ping_interval=1000, pong_timeout=500)
    assert server.next_timeout() == 0  # clock not started
    server.handle_timeout(10_000)
    assert server.next_timeout() == 11_000
    server.handle_timeout(11_000)
    ping = server.data_to_send()
    assert ping[0] == 0x89
    server.handle_timeout(11_600)
    events = server.events()
    assert isinstance(events[0], wsengine.Failed) and events[0].kind == "pong_timeout"
    assert events[0].close_code == 1011
    assert server.close_info is not None and server.close_info.sent_code == 1011


def test_state_close_info_and_handshake() -> None:
    server = wsengine.ServerConnection(protocols=["chat"])
    client = wsengine.ClientConnection("ws://example.com/chat?x=1", protocols=["chat"], origin="http://o",
                                       headers={"X-A": "1"})
    assert server.state == wsengine.State.CONNECTING and server.role == "server" and client.role == "client"
    events = server.receive(client.data_to_send())
    req = events[0]
    assert isinstance(req, wsengine.Request)
    assert (req.path, req.query, req.origin, req.protocols) == ("/chat", "x=1", "http://o", ["chat"])
    assert ("X-A", "1") in req.headers
    server.accept(headers=[("X-B", "2")])
    assert isinstance(server.events()[0], wsengine.Open)
    ev = client.receive(server.data_to_send())
    assert isinstance(ev[0], wsengine.Open) and ev[0].protocol == "chat" and ("X-B", "2") in ev[0].headers
    assert client.protocol == server.protocol == "chat"
    assert int(client.state) == 1 and client.close_info is None
    client.close(1000, "done")
    server.receive(client.data_to_send())
    client.receive(server.data_to_send())
    client.receive_eof()
    events = client.events()
    assert isinstance(events[-1], wsengine.Closed)
    info = client.close_info
    assert info is not None
    assert (info.code, info.was_clean, info.initiated_by, info.sent_code) == (1000, True, "local", 1000)
    assert info == wsengine.CloseInfo(1000, info.reason, True, "local", 1000)


def test_http_request_respond() -> None:
    server = wsengine.ServerConnection()
    events = server.receive(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert isinstance(events[0], wsengine.HttpRequest) and events[0].path == "/health"
    server.respond(200, {"Content-Type": "text/plain"}, "ok")
    out = server.data_to_send()
    assert out.startswith(b"HTTP/1.1 200") and out.endswith(b"\r\n\r\nok")
    assert server.state == wsengine.State.CLOSED


def test_large_masked_roundtrip() -> None:
    server, client = pair()
    payload = bytes(range(256)) * 8192  # 2 MiB
    client.send_binary(payload)
    wire = client.data_to_send()
    events = []
    for i in range(0, len(wire), 65536):
        events += server.receive(wire[i : i + 65536])
    assert events == [wsengine.BinaryMessage(payload)]
    raw = masked(0x1, "ü".encode() * 10)
    assert server.receive(raw) == [wsengine.TextMessage("ü" * 10)]


def test_receive_returns_queued_events_first() -> None:
    client = wsengine.ClientConnection("ws://example.com/")
    server = wsengine.ServerConnection()
    [request] = server.receive(client.data_to_send())
    assert isinstance(request, wsengine.Request)
    server.accept()  # queues Open
    assert [type(e) for e in client.receive(server.data_to_send())] == [wsengine.Open]
    client.send_text("hi")
    client.send_binary(b"\x00" * 300)
    for wrap in (bytes, bytearray):
        events = server.receive(wrap(client.data_to_send()))
        if wrap is bytes:
            assert isinstance(events.pop(0), wsengine.Open)
        assert events == [wsengine.TextMessage("hi"), wsengine.BinaryMessage(b"\x00" * 300)]
        client.send_text("hi")
        client.send_binary(b"\x00" * 300)


def test_receive_survives_python_code_running_during_it() -> None:
    """Building event objects can run a GC pass, hence finalizers (arbitrary Python code). A
    finalizer touching the connection while receive() runs gets an error; the messages
    are intact."""
    import gc

    server, client = pair()
    seen: list[BaseException] = []
    stop = False

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            try:
                server.events()
            except RuntimeError as e:  # already borrowed by receive()
                seen.append(e)
            if not stop:
                Cycle()  # garbage for the next pass

    payloads = [f"message {i}" for i in range(3000)]
    for p in payloads:
        client.send_text(p)
    wire = client.data_to_send()
    old = gc.get_threshold()
    gc.set_threshold(10)
    try:
        Cycle()
        events = server.receive(wire)
    finally:
        stop = True
        gc.set_threshold(*old)
        gc.collect()
    assert events == [wsengine.TextMessage(p) for p in payloads]
    assert seen, "no GC pass ran during receive()"


def test_large_binary_messages_across_reads_are_whole_and_independent() -> None:
    """A binary message that spans reads is received straight into its own bytes object:
    every byte right, whatever the read sizes, and each message its own object."""
    server, client = pair(max_message_size=8 << 20, max_frame_size=8 << 20)
    payloads = [bytes((i * 7 + k) % 251 for i in range(n)) for k, n in enumerate([3 << 20, 70_000, 5, 1 << 20])]
    for p in payloads:
        client.send_binary(p)
    wire = client.data_to_send()
    for read in (65_536, 1_000, 1 << 22):
        server2 = wsengine.open_connection("server", max_message_size=8 << 20, max_frame_size=8 << 20)
        server2.events()
        got: list[bytes] = []
        for i in range(0, len(wire), read):
            for ev in server2.receive(wire[i : i + read]):
                assert isinstance(ev, wsengine.BinaryMessage)
                got.append(ev.data)
        assert got == payloads, read
    # The same input through receive_data() + events() (the core's own buffers).
    for i in range(0, len(wire), 65_536):
        server.receive_data(wire[i : i + 65_536])
    assert [ev.data for ev in server.events()] == payloads  # type: ignore[union-attr]


def test_a_frame_failing_behind_a_large_message_comes_after_it() -> None:
    server, _ = pair()
    big = bytes(range(256)) * 1024
    wire = masked(0x02, big) + masked(0x02, b"x", rsv=0x20)  # RSV2: 1002
    events = []
    for i in range(0, len(wire), 4096):
        events += server.receive(wire[i : i + 4096])
    events += server.events()
    assert events[0] == wsengine.BinaryMessage(big)
    assert isinstance(events[1], wsengine.Failed) and events[1].close_code == 1002
    assert isinstance(events[-1], wsengine.Closed)
