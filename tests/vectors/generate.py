#!/usr/bin/env python3
"""Writes the shared JSON vectors. Expected events come from RFC 6455 / RFC 7692, by hand."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(first: int, payload: bytes, mask: bytes | None = KEY, length_override: bytes | None = None) -> bytes:
    """A frame with the given first byte (FIN/RSV/opcode); masked unless mask is None."""
    n = len(payload)
    mbit = 0x80 if mask else 0
    if length_override is not None:
        head = bytes([first]) + length_override
    elif n < 126:
        head = bytes([first, mbit | n])
    elif n <= 0xFFFF:
        head = bytes([first, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mbit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def c(code: int, reason: bytes = b"") -> bytes:
    return struct.pack(">H", code) + reason


def srv(name, steps, events, output=None, config=None, start="open", **extra):
    case = {"name": name, "role": "server", "start": start, "steps": steps, "events": events}
    if config:
        case["config"] = config
    if output is not None:
        case["output"] = output.hex()
    case.update(extra)
    return case


def cli(name, steps, events, config=None):
    case = {"name": name, "role": "client", "start": "open", "steps": steps, "events": events}
    if config:
        case["config"] = config
    return case


def rx(data: bytes) -> dict:
    return {"receive": data.hex()}


def failed(kind: str, code: int) -> list:
    return [{"type": "failed", "kind": kind, "close_code": code}, {"type": "closed", "code": 1006, "was_clean": False}]


def protocol_cases():
    cases = []
    bad = [
        ("reserved opcode 3", frame(0x83, b""), "reserved_opcode"),
        ("reserved opcode 0xB", frame(0x8B, b""), "reserved_opcode"),
        ("reserved opcode 0xF after text", frame(0x81, b"ok") + frame(0x8F, b""), "reserved_opcode"),
        ("RSV1 without extension", frame(0xC1, b"x"), "reserved_bits"),
        ("RSV2", frame(0xA1, b"x"), "reserved_bits"),
        ("RSV3", frame(0x91, b"x"), "reserved_bits"),
        ("RSV on ping", frame(0xF9, b""), "reserved_bits"),
        ("unmasked client frame", frame(0x81, b"x", mask=None), "unmasked_frame"),
        ("fragmented ping", frame(0x09, b""), "fragmented_control_frame"),
        ("ping of 126 bytes", frame(0x89, b"\0" * 126), "control_frame_too_long"),
        ("close of 126 bytes", frame(0x88, c(1000, b"x" * 124)), "control_frame_too_long"),
        ("continuation without message", frame(0x80, b"x"), "unexpected_continuation"),
        ("text inside fragmented message", frame(0x01, b"a") + frame(0x81, b"b"), "expected_continuation"),
        ("binary inside fragmented text", frame(0x01, b"a") + frame(0x02, b"b"), "expected_continuation"),
        ("close payload of 1 byte", frame(0x88, b"\x03"), "invalid_close_payload"),
        ("64-bit length with top bit", frame(0x82, b"", length_override=bytes([0xFF]) + b"\x80" + b"\0" * 7), "length_top_bit"),
    ]
    for name, data, kind in bad:
        events = []
        if name == "reserved opcode 0xF after text":
            events.append({"type": "text", "data": "ok"})
        cases.append(srv(name, [rx(data)], events + failed(kind, 1002), output_prefix=bytes([0x88]).hex()))
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]:
        cases.append(
            srv(f"invalid close code {code}", [rx(frame(0x88, c(code)))], failed("invalid_close_code", 1002),
                output_prefix=bytes([0x88]).hex())
        )
    return cases


def valid_cases():
    cases = []
    cases.append(srv("RFC 6455 5.7 masked Hello",
                     [rx(bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]))],
                     [{"type": "text", "data": "Hello"}], output=b""))
    cases.append(cli("RFC 6455 5.7 unmasked Hello", [rx(bytes([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]))],
                     [{"type": "text", "data": "Hello"}]))
    cases.append(cli("RFC 6455 5.7 fragmented Hel+lo",
                     [rx(bytes([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]))],
                     [{"type": "text", "data": "Hello"}]))
    cases.append(cli("RFC 6455 5.7 256-byte binary", [rx(bytes([0x82, 0x7E, 0x01, 0x00]) + bytes(256))],
                     [{"type": "binary", "hex": bytes(256).hex()}]))
    cases.append(cli("RFC 6455 5.7 64KiB binary", [rx(bytes([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]) + b"\x5a" * 65536)],
                     [{"type": "binary", "hex": (b"\x5a" * 65536).hex()}]))
    cases.append(srv("ping answered with same payload", [rx(frame(0x89, b"Hello"))], [],
                     output=bytes([0x8A, 0x05]) + b"Hello"))
    cases.append(srv("surfaced ping and pong", [rx(frame(0x89, b"a") + frame(0x8A, b"b"))],
                     [{"type": "ping", "hex": b"a".hex()}, {"type": "pong", "hex": b"b".hex()}],
                     config={"surface_pings": True, "surface_pongs": True}, output=b"\x8a\x01a"))
    cases.append(srv("empty text and binary", [rx(frame(0x81, b"") + frame(0x82, b""))],
                     [{"type": "text", "data": ""}, {"type": "binary", "hex": ""}]))
    cases.append(srv("control frames between fragments",
                     [rx(frame(0x01, b"fra") + frame(0x89, b"") + frame(0x00, b"gm") + frame(0x8A, b"x") + frame(0x80, b"ent"))],
                     [{"type": "text", "data": "fragment"}], output=b"\x8a\x00"))
    cases.append(srv("empty fragments", [rx(frame(0x02, b"") + frame(0x00, b"") + frame(0x80, b""))],
                     [{"type": "binary", "hex": ""}]))
    cases.append(srv("125-byte ping", [rx(frame(0x89, b"\xfe" * 125))], [],
                     output=bytes([0x8A, 125]) + b"\xfe" * 125))
    # Close handshake.
    cases.append(srv("close echoed and transport closed by server", [rx(frame(0x88, c(1000, b"bye")))],
                     [{"type": "close_received", "code": 1000, "reason": "bye"},
                      {"type": "closed", "code": 1000, "reason": "bye", "was_clean": True}],
                     output=bytes([0x88, 0x05]) + c(1000, b"bye")))
    cases.append(srv("empty close echoed empty, code 1005", [rx(frame(0x88, b""))],
                     [{"type": "close_received", "code": 1005, "reason": ""},
                      {"type": "closed", "code": 1005, "was_clean": True}], output=b"\x88\x00"))
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]:
        cases.append(srv(f"valid close code {code}", [rx(frame(0x88, c(code)))],
                         [{"type": "close_received", "code": code}, {"type": "closed", "code": code, "was_clean": True}],
                         output=bytes([0x88, 0x02]) + c(code)))
    cases.append(srv("frames after close are ignored", [rx(frame(0x88, c(1000)) + frame(0x81, b"late"))],
                     [{"type": "close_received", "code": 1000}, {"type": "closed", "code": 1000}],
                     output=bytes([0x88, 0x02]) + c(1000)))
    cases.append(srv("eof without close is 1006", [rx(frame(0x81, b"x")), {"receive_eof": True}],
                     [{"type": "text", "data": "x"}, {"type": "closed", "code": 1006, "was_clean": False}], output=b""))
    cases.append(srv("local close then peer close",
                     [{"close": {"code": 1000, "reason": "done"}}, rx(frame(0x81, b"still")), rx(frame(0x88, c(1000)))],
                     [{"type": "text", "data": "still"}, {"type": "close_received", "code": 1000},
                      {"type": "closed", "code": 1000, "was_clean": True}],
                     output=bytes([0x88, 0x06]) + c(1000, b"done")))
    cases.append(srv("application close code validation",
                     [{"close": {"code": 1001, "reason": ""}, "error": "invalid_close_code_for_app"},
                      {"close": {"code": 1000, "reason": "x" * 124}, "error": "reason_too_long"},
                      {"close": {"code": None, "reason": ""}}, {"send_text": "no", "error": "invalid_state"}],
                     [], output=b"\x88\x00"))
    cases.append(srv("server sends unmasked frames",
                     [{"send_text": "Hello"}, {"send_binary": "0102"}, {"ping": "aa"}, {"pong": ""}],
                     [], output=b"\x81\x05Hello" + b"\x82\x02\x01\x02" + b"\x89\x01\xaa" + b"\x8a\x00"))
    cases.append(srv("auto-fragmentation", [{"send_text": "abcde"}], [],
                     config={"max_outgoing_frame_size": 2}, output=b"\x01\x02ab\x00\x02cd\x80\x01e"))
    cases.append(srv("ping too long to send", [{"ping": "00" * 126, "error": "control_payload_too_long"}], [], output=b""))
    cases.append(cli("masked frame from server fails", [rx(frame(0x81, b"x"))], failed("masked_frame", 1002)))
    return cases


def utf8_cases():
    cases = []
    good = ["κόσμε", "€", "\U0001F600", "a\u0000b", "\uFFFF", "\U0010FFFF", "\uE000"]
    for i, s in enumerate(good):
        cases.append(srv(f"valid utf-8 {i}", [rx(frame(0x81, s.encode()))], [{"type": "text", "data": s}]))
    # Split at every position across fragments.
    s = "κόσμε-€-\U0001F600".encode()
    for cut in range(1, len(s)):
        cases.append(srv(f"utf-8 split across fragments at {cut}",
                         [rx(frame(0x01, s[:cut]) + frame(0x80, s[cut:]))], [{"type": "text", "data": s.decode()}]))
    bad = [b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80",
           b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", b"\x80", b"\xc2", b"\xe2\x82"]
    for i, b in enumerate(bad):
        cases.append(srv(f"invalid utf-8 {i}", [rx(frame(0x81, b))], failed("invalid_utf8", 1007)))
    # Fail fast: the invalid sequence sits in the first fragment, the message never finishes.
    cases.append(srv("invalid utf-8 in first fragment fails before the end",
                     [rx(frame(0x01, b"ok\xed\xa0\x80"))], failed("invalid_utf8", 1007)))
    cases.append(srv("invalid utf-8 close reason", [rx(frame(0x88, c(1000, b"\xff")))], failed("invalid_utf8", 1007)))
    cases.append(srv("ignore utf-8 errors", [rx(frame(0x81, b"a\xffb"))], [{"type": "text", "data": "a\ufffdb"}],
                     config={"ignore_utf8_errors": True}))
    return cases


def limit_cases():
    cfg = {"max_frame_size": 10, "max_message_size": 15, "max_fragments": 3}
    return [
        srv("frame over max_frame_size", [rx(frame(0x82, bytes(11)))], failed("frame_too_large", 1009), config=cfg),
        srv("message over max_message_size", [rx(frame(0x02, bytes(10)) + frame(0x80, bytes(6)))],
            failed("message_too_large", 1009), config=cfg),
        srv("too many fragments", [rx(frame(0x02, b"") + frame(0x00, b"") + frame(0x00, b"") + frame(0x80, b""))],
            failed("too_many_fragments", 1009), config=cfg),
        srv("at the limits", [rx(frame(0x02, bytes(10)) + frame(0x00, bytes(4)) + frame(0x80, bytes(1)))],
            [{"type": "binary", "hex": bytes(15).hex()}], config=cfg),
        srv("huge length fails before any payload", [rx(frame(0x82, b"", length_override=bytes([0xFF]) + struct.pack(">Q", 1 << 40)))],
            failed("frame_too_large", 1009)),
    ]


def delivery_cases():
    return [
        srv("chunks of 4 on character boundaries", [rx(frame(0x81, "ab€cd".encode()))],
            [{"type": "chunk", "kind": "text", "hex": b"ab".hex(), "first": True, "last": False},
             {"type": "chunk", "kind": "text", "hex": "€c".encode().hex(), "first": False, "last": False},
             {"type": "chunk", "kind": "text", "hex": b"d".hex(), "first": False, "last": True}],
            config={"delivery": {"chunks": 4}}),
        srv("chunks of binary", [rx(frame(0x02, b"abcde") + frame(0x80, b"f"))],
            [{"type": "chunk", "kind": "binary", "hex": b"abc".hex(), "first": True, "last": False},
             {"type": "chunk", "kind": "binary", "hex": b"def".hex(), "first": False, "last": False},
             {"type": "chunk", "kind": "binary", "hex": "", "first": False, "last": True}],
            config={"delivery": {"chunks": 3}}),
        srv("preserve frames", [rx(frame(0x02, b"ab") + frame(0x00, b"") + frame(0x80, b"c"))],
            [{"type": "chunk", "kind": "binary", "hex": b"ab".hex(), "first": True, "last": False},
             {"type": "chunk", "kind": "binary", "hex": "", "first": False, "last": False},
             {"type": "chunk", "kind": "binary", "hex": b"c".hex(), "first": False, "last": True}],
            config={"delivery": "frames"}),
    ]


def answer_cases():
    """The delivery contract: `"echo": true` makes the runner answer every text and binary
    message as it takes it (send it back), whatever else came in the same input. The answers
    must reach the wire before the engine's close frame (RFC 6455 §5.5.1 lets an endpoint
    finish sending before it answers a close; §7.1.7 fails the connection after the data
    before the bad frame was processed). Runners take events in their own documented ways
    (one by one, in a batch, lent), with and without a timer call right after `receive`."""
    reason_rsv = b"reserved bits set without a negotiated extension"
    reason_cont = b"continuation frame without a message in progress"
    closed_clean = {"type": "closed", "code": 1000, "was_clean": True}
    cases = []
    for timer in (False, True):
        t = [{"handle_timeout": 10}] if timer else []
        suffix = ", timer call after receive" if timer else ""
        # Autobahn 5.15: a fragmented message, then a continuation with nothing to continue.
        cases.append(srv("5.15 shape: message then a bad continuation" + suffix,
                         [rx(frame(0x01, b"fragment1") + frame(0x80, b"fragment2")
                             + frame(0x00, b"fragment3") + frame(0x81, b"fragment4"))] + t,
                         [{"type": "text", "data": "fragment1fragment2"}]
                         + failed("unexpected_continuation", 1002),
                         output=frame(0x81, b"fragment1fragment2", None)
                         + frame(0x88, c(1002, reason_cont), None), echo=True))
        # Autobahn 7.1.1: a message, then the peer's close frame, in one read.
        cases.append(srv("7.1.1 shape: message then close" + suffix,
                         [rx(frame(0x81, b"Hello World") + frame(0x88, c(1000)))] + t,
                         [{"type": "text", "data": "Hello World"},
                          {"type": "close_received", "code": 1000, "reason": ""}, closed_clean],
                         output=frame(0x81, b"Hello World", None) + frame(0x88, c(1000), None),
                         echo=True))
        # Autobahn 3.4: a message, the same with RSV bits, then a ping (the runners also feed
        # it byte by byte, as 3.4 does).
        cases.append(srv("3.4 shape: message, message with RSV, ping" + suffix,
                         [rx(frame(0x81, b"Hello, world!") + frame(0xB1, b"Hello, world!")
                             + frame(0x89, b""))] + t,
                         [{"type": "text", "data": "Hello, world!"}] + failed("reserved_bits", 1002),
                         output=frame(0x81, b"Hello, world!", None)
                         + frame(0x88, c(1002, reason_rsv), None), echo=True))
    # Binary messages and a close with a reason: the reason is echoed after the answers.
    cases.append(srv("binary messages then close with reason",
                     [rx(frame(0x82, b"\x01\x02") + frame(0x82, b"\x03") + frame(0x88, c(1001, b"bye")))],
                     [{"type": "binary", "hex": "0102"}, {"type": "binary", "hex": "03"},
                      {"type": "close_received", "code": 1001, "reason": "bye"},
                      {"type": "closed", "code": 1001, "was_clean": True}],
                     output=frame(0x82, b"\x01\x02", None) + frame(0x82, b"\x03", None)
                     + frame(0x88, c(1001, b"bye"), None), echo=True))
    # Once the close frame is on its way, nothing more: a message after the close is ignored.
    cases.append(srv("nothing after the close is read",
                     [rx(frame(0x88, c(1000)) + frame(0x81, b"late"))],
                     [{"type": "close_received", "code": 1000, "reason": ""}, closed_clean],
                     output=frame(0x88, c(1000), None), echo=True))
    return cases


REQ = ("GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n"
       "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n")
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def handshake_cases():
    cases = []
    ok_101 = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n").encode()
    cases.append(srv("RFC 6455 1.3 handshake with pipelined frame",
                     [{"receive_text": REQ}, rx(frame(0x81, b"early")), {"accept": {"protocol": "chat"}}],
                     [{"type": "request", "path": "/chat", "query": "x=1", "protocols": ["chat", "superchat"],
                       "origin": "http://example.com"},
                      {"type": "open", "protocol": "chat", "extensions": None},
                      {"type": "text", "data": "early"}],
                     start="handshake", output=ok_101))
    cases.append(srv("protocol chosen from server preference",
                     [{"receive_text": REQ}, {"accept": {"protocol": None}}],
                     [{"type": "request"}, {"type": "open", "protocol": "superchat"}],
                     start="handshake", config={"protocols": ["superchat", "chat"]}))
    cases.append(srv("plain HTTP request is not an error", [{"receive_text": "GET / HTTP/1.1\r\nHost: a\r\n\r\n"}],
                     [{"type": "http_request", "path": "/"}], start="handshake"))

    def rejected(name, req, status, kind="handshake", config=None):
        return srv(name, [{"receive_text": req}], failed(kind, 1006), start="handshake",
                   output_prefix=f"HTTP/1.1 {status} ".encode().hex(), config=config)

    cases.append(rejected("bad version gives 426", REQ.replace("Version: 13", "Version: 8"), 426))
    cases.append(rejected("missing key gives 400", REQ.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400))
    cases.append(rejected("short key gives 400", REQ.replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ"), 400))
    cases.append(rejected("15-byte key gives 400", REQ.replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j"), 400))
    cases.append(rejected("missing host gives 400", REQ.replace("Host: server.example.com\r\n", ""), 400))
    cases.append(rejected("connection without upgrade gives 400", REQ.replace("Connection: Upgrade", "Connection: keep-alive"), 400))
    cases.append(rejected("POST upgrade is refused", REQ.replace("GET", "POST"), 405))
    cases.append(rejected("malformed request line gives 400", "GARBAGE\x01\r\n\r\n", 400))
    cases.append(rejected("too many headers gives 431", REQ.replace("\r\n\r\n", "\r\n" + "X-A: b\r\n" * 70 + "\r\n"), 431))
    cases.append(rejected("header too large gives 431", "GET / HTTP/1.1\r\nX: " + "a" * 9000 + "\r\n\r\n", 431))
    cases.append(rejected("origin not allowed gives 403", REQ, 403, config={"allowed_origins": ["https://good.example"]}))
    cases.append(srv("origin allowed", [{"receive_text": REQ}], [{"type": "request", "origin": "http://example.com"}],
                     start="handshake", config={"allowed_origins": ["http://example.com"]}))
    cases.append(srv("application rejects", [{"receive_text": REQ}, {"reject": {"status": 401}}],
                     [{"type": "request"}, {"type": "closed", "code": 1006, "was_clean": False}], start="handshake",
                     output_prefix=b"HTTP/1.1 401 ".hex()))
    cases.append(srv("handshake timeout gives 408",
                     [{"handle_timeout": 1000}, {"receive_text": "GET / HTTP/1.1\r\n"}, {"handle_timeout": 10999},
                      {"handle_timeout": 11000}],
                     failed("handshake_timeout", 1006), start="handshake", output_prefix=b"HTTP/1.1 408 ".hex()))
    return cases


def deflate_cases():
    """RFC 7692 section 7.2.3 examples, received by a server in post-handshake mode."""
    hello = bytes.fromhex("f248cdc9c90700")
    ext = "permessage-deflate"

    def d(name, steps, events, extensions=ext, **extra):
        return srv(name, steps, events, extensions=extensions, requires="deflate", **extra)

    return [
        d("7.2.3.1 Hello compressed", [rx(frame(0xC1, hello))], [{"type": "text", "data": "Hello"}]),
        d("7.2.3.2 Hello twice with context takeover", [rx(frame(0xC1, hello) + frame(0xC1, bytes.fromhex("f200110000")))],
          [{"type": "text", "data": "Hello"}, {"type": "text", "data": "Hello"}]),
        d("7.2.3.2 Hello twice without context takeover", [rx(frame(0xC1, hello) + frame(0xC1, hello))],
          [{"type": "text", "data": "Hello"}, {"type": "text", "data": "Hello"}],
          extensions="permessage-deflate; client_no_context_takeover"),
        d("7.2.3.3 uncompressed deflate block", [rx(frame(0xC1, bytes.fromhex("000500faff48656c6c6f00")))],
          [{"type": "text", "data": "Hello"}]),
        d("7.2.3.4 BFINAL set", [rx(frame(0xC1, bytes.fromhex("f348cdc9c9070000")))], [{"type": "text", "data": "Hello"}]),
        d("7.2.3.1 compressed message in two fragments", [rx(frame(0x41, hello[:3]) + frame(0x80, hello[3:]))],
          [{"type": "text", "data": "Hello"}]),
        d("uncompressed message on a compressed connection", [rx(frame(0x81, b"plain"))], [{"type": "text", "data": "plain"}]),
        d("RSV1 on a continuation frame", [rx(frame(0x41, hello[:3]) + frame(0xC0, hello[3:]))], failed("compression", 1002)),
        d("RSV1 on a ping", [rx(frame(0xC9, b""))], failed("compression", 1002)),
        d("corrupt compressed data", [rx(frame(0xC1, b"\xff\xff\xff\xff"))], failed("invalid_compressed_data", 1007)),
        d("inflated size over the message limit", [rx(frame(0xC2, bytes.fromhex("62601805a360140c770000")))],
          failed("message_too_large", 1009), config={"max_message_size": 100}),
        d("server compresses Hello", [{"send_text": "Hello"}], [],
          config={"deflate": {"threshold": 0}}, output=bytes([0xC1, 0x07]) + hello),
    ]


def write(name, description, cases):
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), name
    with open(os.path.join(HERE, name), "w") as f:
        json.dump({"description": description, "cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    write("framing.json", "RFC 6455 section 5: framing, control frames, close handshake, sending",
          valid_cases() + protocol_cases())
    write("utf8.json", "RFC 6455 section 8.1: incremental, fail-fast UTF-8 validation", utf8_cases())
    write("limits.json", "Configured limits and their 1009 close code", limit_cases())
    write("delivery.json", "Delivery options: chunks and preserved frames", delivery_cases())
    write("answers.json", "The delivery contract: answers to messages precede the engine's close frame",
          answer_cases())
    write("deflate.json", "RFC 7692: permessage-deflate on an open connection", deflate_cases())
    write("handshake.json", "RFC 6455 section 4.2: the server's opening handshake", handshake_cases())
