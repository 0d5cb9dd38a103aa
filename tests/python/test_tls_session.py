"""The native TLS record path on its own (wsengine._wsengine.TlsSession with
Connection.receive_tls_from / send_tls_to), between an engine and a peer made of Python's
ssl.SSLObject over memory BIOs, through a socketpair: what the transport relies on beyond the
round trips the asyncio tests make. Records left in the BIO beyond one plaintext buffer (state
1), records TLS makes while reading (state 4: post-handshake client authentication), a record
that fails (the exception Python's ssl would raise, with its library and reason), a session
released on another thread, records the socket does not take, and records cut anywhere
between reads, both ways."""

from __future__ import annotations

import gc
import os
import socket
import ssl
import sys
import threading
from typing import Any, Iterator, List, Tuple

import pytest

import wsengine
from wsengine import _wsengine

UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
READ_SIZE = 256 * 1024


def open_engine() -> wsengine.ServerConnection:
    """A server engine past its opening handshake (the handshake's bytes need no TLS here)."""
    engine = wsengine.ServerConnection(wsengine.Config(max_message_size=1 << 24, max_frame_size=1 << 24))
    assert type(engine.receive(UPGRADE)[0]).__name__ == "Request"
    engine.accept()
    engine.events()
    assert engine.data_to_send().startswith(b"HTTP/1.1 101")
    return engine


def client_frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """A masked frame, binary unless told (mask key 0: the payload's bytes are the masked ones)."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        header = bytes([first, 0x80 | n])
    elif n < 65536:
        header = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


def server_frames(data: bytes) -> List[Tuple[int, bytes]]:
    """(opcode, payload) of each whole unmasked frame in `data`."""
    frames, at = [], 0
    while at < len(data):
        opcode, n = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if n == 126:
            n, at = int.from_bytes(data[at:at + 2], "big"), at + 2
        elif n == 127:
            n, at = int.from_bytes(data[at:at + 8], "big"), at + 8
        frames.append((opcode, data[at:at + n]))
        at += n
    return frames


class Pair:
    """Two TLS ends over memory BIOs, handshake done: `ours` (what a session is made over) and
    `peer` (Python's ssl, driven by the test); `sock` is our end of a socketpair, `far` the
    other."""

    def __init__(self, ours_context: ssl.SSLContext, peer_context: ssl.SSLContext, ours_server: bool) -> None:
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.peer_inc, self.peer_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        hostname = None if ours_server else "127.0.0.1"
        self.ours = ours_context.wrap_bio(self.inc, self.out, server_side=ours_server, server_hostname=hostname)
        self.peer = peer_context.wrap_bio(self.peer_inc, self.peer_out, server_side=not ours_server,
                                          server_hostname="127.0.0.1" if ours_server else None)
        for _ in range(10):
            for end in (self.ours, self.peer):
                try:
                    end.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            self.peer_inc.write(self.out.read())
            self.inc.write(self.peer_out.read())
        assert self.ours.version() == "TLSv1.3" and self.peer.version() == "TLSv1.3"
        for end in (self.ours, self.peer):  # session tickets
            try:
                end.read(1)
            except ssl.SSLWantReadError:
                pass
        self.sock, self.far = socket.socketpair()
        self.sock.setblocking(False)
        self.session = _wsengine.TlsSession(self.ours._sslobj, self.inc, self.out)

    def peer_records(self, data: bytes) -> bytes:
        self.peer.write(data)
        return self.peer_out.read()

    def peer_read_all(self, records: bytes) -> bytes:
        self.peer_inc.write(records)
        got = b""
        while True:
            try:
                got += self.peer.read(READ_SIZE)
            except ssl.SSLWantReadError:
                return got

    def close(self) -> None:
        self.sock.close()
        self.far.close()


@pytest.fixture
def contexts() -> Iterator[Tuple[ssl.SSLContext, ssl.SSLContext, Any]]:
    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    yield server_context, client_context, ca


def test_records_beyond_one_plaintext_buffer_are_left_for_the_next_read(contexts: Any) -> None:
    """More records than one plaintext buffer holds (left in the BIO by a paused read, plus
    one arriving): one buffer's worth is decrypted and fed, state says 1, and Python's ssl
    reads the rest; the message arrives whole."""
    server_context, client_context, _ = contexts
    pair = Pair(server_context, client_context, ours_server=True)
    engine = open_engine()
    payload = os.urandom(300 * 1024)
    records = pair.peer_records(client_frame(payload))
    pair.inc.write(records[:-2000])  # most of it already read from the socket
    pair.far.sendall(records[-2000:])
    events = engine.receive_tls_from(pair.sock.fileno(), pair.session)
    assert events == []  # 256 KiB of a 300 KiB message
    assert pair.session.state & 1
    rest = b""
    while True:
        try:
            rest += pair.ours.read(READ_SIZE)
        except ssl.SSLWantReadError:
            break
    [message] = engine.receive(rest)
    assert isinstance(message, wsengine.BinaryMessage) and message.data == payload
    pair.close()


def test_records_tls_makes_while_reading_are_flagged_and_sent(contexts: Any) -> None:
    """Post-handshake client authentication: the peer (a server) asks for our certificate
    after the handshake; the read that brings the request makes our Certificate records
    (state 4), send_tls_to sends them, and the peer then has our certificate."""
    server_context, client_context, ca = contexts
    peer_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(peer_context)
    ca.configure_trust(peer_context)
    peer_context.verify_mode = ssl.CERT_REQUIRED
    peer_context.post_handshake_auth = True
    ours_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(ours_context)
    ca.issue_cert("client@example.org").configure_cert(ours_context)
    ours_context.post_handshake_auth = True
    pair = Pair(ours_context, peer_context, ours_server=False)
    engine = open_engine()
    assert not pair.peer.getpeercert()  # no certificate asked for in the handshake
    pair.peer.verify_client_post_handshake()
    pair.far.sendall(pair.peer_records(client_frame(b"who are you")))
    [message] = engine.receive_tls_from(pair.sock.fileno(), pair.session)
    assert message.data == b"who are you"
    assert pair.session.state == 4
    assert engine.send_tls_to(pair.sock.fileno(), pair.session) is None  # nothing queued but records
    pair.peer_read_all(pair.far.recv(65536))
    cert = pair.peer.getpeercert()
    assert cert and ("email", "client@example.org") in cert["subjectAltName"]
    pair.close()


def test_a_bad_record_raises_what_pythons_ssl_raises(contexts: Any) -> None:
    """A record changed on the way: receive_tls_from raises the ssl.SSLError Python's ssl
    raises for the same record (its class, library and reason); with a message before it in
    the same read, the message is returned and the error is kept for take_failure()."""
    server_context, client_context, _ = contexts

    def corrupted(pair: Pair, before: bytes) -> bytes:
        bad = bytearray(pair.peer_records(client_frame(b"lost?")))
        bad[-3] ^= 0x55
        return before + bytes(bad)

    reference = Pair(server_context, client_context, ours_server=True)
    reference.inc.write(corrupted(reference, b""))
    with pytest.raises(ssl.SSLError) as expected:
        reference.ours.read(READ_SIZE)
    reference.close()

    pair = Pair(server_context, client_context, ours_server=True)
    engine = open_engine()
    pair.far.sendall(corrupted(pair, b""))
    with pytest.raises(ssl.SSLError) as raised:
        engine.receive_tls_from(pair.sock.fileno(), pair.session)
    assert type(raised.value) is type(expected.value)
    assert raised.value.library == expected.value.library == "SSL"
    assert raised.value.reason == expected.value.reason and raised.value.reason
    assert f"[SSL: {expected.value.reason}]" in str(raised.value)
    pair.close()

    pair = Pair(server_context, client_context, ours_server=True)
    engine = open_engine()
    pair.far.sendall(corrupted(pair, pair.peer_records(client_frame(b"first"))))
    [message] = engine.receive_tls_from(pair.sock.fileno(), pair.session)
    assert message.data == b"first"
    assert pair.session.state & 8
    failure = pair.session.take_failure()
    assert isinstance(failure, ssl.SSLError) and failure.reason == expected.value.reason
    assert pair.session.take_failure() is None
    pair.close()


def test_records_the_socket_does_not_take_are_returned_in_order(contexts: Any) -> None:
    """send_tls_to with a socket that fills up: it returns the records it could not send, and
    what was sent followed by what it returned is every record, in order."""
    server_context, client_context, _ = contexts
    pair = Pair(server_context, client_context, ours_server=True)
    engine = open_engine()
    pair.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    payload = os.urandom(4 << 20)
    engine.send_binary(payload)
    rest = engine.send_tls_to(pair.sock.fileno(), pair.session)
    assert rest is not None and len(rest) > 0
    assert engine.buffered_amount == 0
    sent = b""
    pair.far.setblocking(False)
    while True:
        try:
            chunk = pair.far.recv(1 << 20)
        except BlockingIOError:
            break
        sent += chunk
    plain = pair.peer_read_all(sent + rest)
    assert plain[-len(payload):] == payload and plain[0] == 0x82
    pair.close()


def test_a_session_released_on_another_thread_is_freed_quietly(contexts: Any) -> None:
    """A transport and its protocol refer to each other, so a session is often freed by the
    cyclic GC, on whichever thread runs it: no error, nothing kept alive."""
    server_context, client_context, _ = contexts
    pair = Pair(server_context, client_context, ours_server=True)
    unraisable: List[Any] = []

    class Holder:
        pass

    sslobj = pair.ours._sslobj
    holder = Holder()
    holder.session = pair.session  # type: ignore[attr-defined]
    holder.cycle = holder  # type: ignore[attr-defined]
    del pair.session
    held = sys.getrefcount(sslobj)
    gc.disable()  # no automatic collection on this thread: the other thread frees it
    del holder
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        thread = threading.Thread(target=gc.collect)
        thread.start()
        thread.join()
    finally:
        sys.unraisablehook = hook
        gc.enable()
    assert unraisable == []
    assert sys.getrefcount(sslobj) == held - 1  # the session released the object it held
    pair.close()


@pytest.mark.parametrize("seed", range(12))
def test_records_cut_anywhere_arrive_whole_and_answers_go_out_in_order(contexts: Any, seed: int) -> None:
    """Messages of random sizes and kinds, encrypted by the peer and written to the socket in
    random pieces (records cut anywhere between reads): each read gives the messages whose
    records are complete, in order, nothing more; every answer sent with send_tls_to decrypts,
    on the peer, to the same messages in the same order."""
    import random

    rng = random.Random(seed)
    server_context, client_context, _ = contexts
    pair = Pair(server_context, client_context, ours_server=True)
    engine = open_engine()
    sent: List[Any] = []
    wire = b""
    for _ in range(rng.randrange(1, 40)):
        size = rng.choice([0, 1, 125, 126, 2000, 16_384, 16_385, 70_000])
        if rng.random() < 0.5:
            text = "".join(rng.choice("aé✓😀 ") for _ in range(size // 4))
            sent.append(text)
            wire += pair.peer_records(client_frame(text.encode(), 0x1))
        else:
            data = rng.randbytes(size)
            sent.append(data)
            wire += pair.peer_records(client_frame(data))
    received: List[Any] = []
    answers = b""
    pair.far.setblocking(False)
    at = 0
    while at < len(wire):
        piece = rng.randrange(1, 9000)
        pair.far.sendall(wire[at:at + piece])
        at += piece
        events = engine.receive_tls_from(pair.sock.fileno(), pair.session)
        assert events is not None and pair.session.state == 0
        for event in events:
            received.append(event.data)
            if isinstance(event, wsengine.TextMessage):
                engine.send_text(event.data)
            else:
                engine.send_binary(event.data)
        while engine.buffered_amount:
            assert engine.send_tls_to(pair.sock.fileno(), pair.session) is None
        try:
            while True:
                answers += pair.far.recv(1 << 20)
        except BlockingIOError:
            pass
    assert received == sent
    echoed = server_frames(pair.peer_read_all(answers))
    assert [p.decode() if op == 1 else p for op, p in echoed] == sent
    pair.close()
