"""The fuzzer's own WebSocket endpoint: hand-written frame codec, handshake and
permessage-deflate (zlib), in the role of a client (to test servers) or a server (to test
clients). It shares nothing with wsengine, so it can judge it.

A `Peer` is one connection. Cases (cases.py) drive it the way Autobahn's cases drive their
protocol instance: send frames (whole, chopped, octet by octet), wait, and record what arrives
("message", "ping", "pong"); the verdict is computed when the TCP connection is gone.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OK = "OK"
NON_STRICT = "NON-STRICT"
FAILED = "FAILED"
WRONG_CODE = "WRONG CODE"
UNCLEAN = "UNCLEAN"
FAILED_BY_CLIENT = "FAILED BY CLIENT"
INFORMATIONAL = "INFORMATIONAL"
UNIMPLEMENTED = "UNIMPLEMENTED"

VALID_CLOSE_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def xor_mask(data: bytes, mask: bytes, offset: int = 0) -> bytes:
    """RFC 6455 §5.3 masking, as one big-integer XOR (fast in CPython)."""
    n = len(data)
    if n == 0:
        return b""
    if offset % 4:
        mask = mask[offset % 4 :] + mask[: offset % 4]
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def encode_header(opcode: int, length: int, fin: bool = True, rsv: int = 0, mask: Optional[bytes] = None) -> bytes:
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    m = 0x80 if mask is not None else 0
    if length < 126:
        head = bytes([b0, m | length])
    elif length < 65536:
        head = bytes([b0, m | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([b0, m | 127]) + length.to_bytes(8, "big")
    return head + (mask or b"")


def encode_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, mask: Optional[bytes] = None) -> bytes:
    head = encode_header(opcode, len(payload), fin, rsv, mask)
    return head + (xor_mask(payload, mask) if mask is not None else payload)


def utf8_valid(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def close_code_valid(code: int) -> bool:
    return code in VALID_CLOSE_CODES or 3000 <= code <= 4999


# ---------------------------------------------------------------- permessage-deflate


@dataclass
class Pmd:
    """Agreed permessage-deflate parameters, from this endpoint's point of view."""

    my_no_context_takeover: bool = False
    my_window_bits: int = 15
    peer_no_context_takeover: bool = False
    peer_window_bits: int = 15
    _c: Any = None
    _d: Any = None

    def compress(self, data: bytes) -> bytes:
        if self._c is None or self.my_no_context_takeover:
            self._c = zlib.compressobj(6, zlib.DEFLATED, -max(9, self.my_window_bits))
        out = self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(b"\x00\x00\xff\xff"):
            out = out[:-4]
        return out or b"\x00"

    def decompress(self, data: bytes) -> bytes:
        if self._d is None or self.peer_no_context_takeover:
            # The peer's window bounds how far back it may refer: inflate with exactly that
            # window so a peer that exceeds it is caught (zlib: "distance too far back").
            self._d = zlib.decompressobj(-max(8, self.peer_window_bits))
        out = self._d.decompress(data + b"\x00\x00\xff\xff")
        if self._d.eof:  # BFINAL: the next message starts a fresh stream
            self._d = None
        return out


def parse_extensions(values: list[str]) -> list[tuple[str, dict[str, Optional[str]]]]:
    """`a; x=1, b` → [("a", {"x": "1"}), ("b", {})]. Quoted values are unquoted."""
    out = []
    for value in values:
        for item in value.split(","):
            parts = [p.strip() for p in item.split(";")]
            if not parts[0]:
                continue
            params: dict[str, Optional[str]] = {}
            for p in parts[1:]:
                if not p:
                    continue
                if "=" in p:
                    k, v = p.split("=", 1)
                    params[k.strip()] = v.strip().strip('"')
                else:
                    params[p] = None
            out.append((parts[0], params))
    return out


def window_value(v: Optional[str]) -> Optional[int]:
    if v is None or not v.isdigit() or (len(v) > 1 and v[0] == "0"):
        return None
    n = int(v)
    return n if 8 <= n <= 15 else None


@dataclass
class Offer:
    """A client's permessage-deflate offer, as Autobahn's PerMessageDeflateOffer sees it."""

    accept_no_context_takeover: bool = True
    accept_max_window_bits: bool = True
    request_no_context_takeover: bool = False
    request_max_window_bits: int = 0

    def header(self) -> str:
        s = "permessage-deflate"
        if self.accept_no_context_takeover:
            s += "; client_no_context_takeover"
        if self.accept_max_window_bits:
            s += "; client_max_window_bits"
        if self.request_no_context_takeover:
            s += "; server_no_context_takeover"
        if self.request_max_window_bits:
            s += "; server_max_window_bits=%d" % self.request_max_window_bits
        return s


def client_check_response(offers: list[Offer], values: list[str]) -> tuple[Optional[Pmd], Optional[str]]:
    """Client side: validates the server's answer against our offers (RFC 7692 §7).
    Returns (params or None, error)."""
    exts = parse_extensions(values)
    if not exts:
        return None, None
    if len(exts) > 1 or exts[0][0] != "permessage-deflate":
        return None, "server answered extensions we did not offer: %r" % values
    params = exts[0][1]
    pmd = Pmd()
    allowed = {"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits"}
    for k, v in params.items():
        if k not in allowed:
            return None, "unknown permessage-deflate parameter %r" % k
        if k.endswith("takeover") and v is not None:
            return None, "%s with a value" % k
        if k.endswith("bits") and window_value(v) is None:
            return None, "%s=%r is not a window size" % (k, v)
    # Some offer must admit this answer.
    for o in offers:
        if o.request_no_context_takeover and "server_no_context_takeover" not in params:
            continue
        if "client_max_window_bits" in params and not o.accept_max_window_bits:
            continue
        sb = window_value(params.get("server_max_window_bits"))
        if o.request_max_window_bits and (sb is None or sb > o.request_max_window_bits):
            continue
        pmd.peer_no_context_takeover = "server_no_context_takeover" in params
        pmd.my_no_context_takeover = "client_no_context_takeover" in params
        pmd.peer_window_bits = sb or 15
        pmd.my_window_bits = window_value(params.get("client_max_window_bits")) or 15
        return pmd, None
    return None, "the server's answer %r fits none of our offers" % values[0]


@dataclass
class ClientOffer:
    """Server side: one permessage-deflate offer of the client under test."""

    client_no_context_takeover: bool = False
    client_max_window_bits: Optional[int] = None  # None: not offered; 0: offered without value
    server_no_context_takeover: bool = False
    server_max_window_bits: Optional[int] = None


def server_parse_offers(values: list[str]) -> tuple[list[ClientOffer], Optional[str]]:
    offers = []
    for name, params in parse_extensions(values):
        if name != "permessage-deflate":
            continue
        o = ClientOffer()
        for k, v in params.items():
            if k == "client_no_context_takeover" and v is None:
                o.client_no_context_takeover = True
            elif k == "server_no_context_takeover" and v is None:
                o.server_no_context_takeover = True
            elif k == "client_max_window_bits":
                if v is None:
                    o.client_max_window_bits = 0
                elif window_value(v) is None:
                    return [], "bad client_max_window_bits %r" % v
                else:
                    o.client_max_window_bits = window_value(v)
            elif k == "server_max_window_bits":
                if window_value(v) is None:
                    return [], "bad server_max_window_bits %r" % v
                o.server_max_window_bits = window_value(v)
            else:
                return [], "bad permessage-deflate parameter %r in %r" % (k, values)
        offers.append(o)
    return offers, None


def server_accept(o: ClientOffer, request_no_context_takeover: bool = False, request_max_window_bits: int = 0) -> Optional[tuple[str, Pmd]]:
    """Accepts offer `o` the way Autobahn|Testsuite 0.8.2's fuzzing server does (autobahn 0.10.9's
    PerMessageDeflateOfferAccept): it echoes what the client asked for its own direction, asks for
    client_no_context_takeover only when told to, and answers client_max_window_bits with exactly
    `request_max_window_bits`, whatever value the client offered: 15 is larger than an offer of
    `client_max_window_bits=12`, which the client must then refuse (RFC 7692 §7.1.2.2). None if it
    cannot be done (it needs the client to have offered client_max_window_bits at all)."""
    if request_max_window_bits and o.client_max_window_bits is None:
        return None  # §7.1.2.2: only if the client offered client_max_window_bits
    if o.server_max_window_bits is not None and o.server_max_window_bits < 9:
        return None  # zlib cannot compress with an 8-bit window (our clients never ask for one)
    pmd = Pmd()
    resp = "permessage-deflate"
    if o.server_no_context_takeover:
        resp += "; server_no_context_takeover"
        pmd.my_no_context_takeover = True
    if o.server_max_window_bits is not None:
        resp += "; server_max_window_bits=%d" % o.server_max_window_bits
        pmd.my_window_bits = o.server_max_window_bits
    if request_no_context_takeover:
        resp += "; client_no_context_takeover"
    # The client's own hint binds it even when not echoed (§7.1.1.2).
    pmd.peer_no_context_takeover = request_no_context_takeover or o.client_no_context_takeover
    if request_max_window_bits:
        resp += "; client_max_window_bits=%d" % request_max_window_bits
    # The client compresses with at most the smaller of its own offer and our answer.
    pmd.peer_window_bits = min(request_max_window_bits or 15, o.client_max_window_bits or 15)
    return resp, pmd


# ---------------------------------------------------------------- the connection


class Violation(Exception):
    pass


@dataclass
class Peer:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    is_client: bool  # True: we are the client (testing a server)
    pmd: Optional[Pmd] = None
    on_message: Optional[Callable[[bytes, bool], None]] = None
    on_event: Optional[Callable[[], None]] = None
    received: list = field(default_factory=list)
    auto_fragment_size: int = 0
    open: bool = True
    close_sent: bool = False
    close_received: bool = False
    closed_by_me: bool = False
    dropped_by_me: bool = False
    failed_by_me: bool = False
    remote_close_code: Optional[int] = None
    remote_close_reason: bytes = b""
    violation: Optional[str] = None
    tcp_closed: asyncio.Event = field(default_factory=asyncio.Event)
    frames_sent: int = 0
    received_bytes: int = 0

    # ---- sending ----

    def _mask(self) -> Optional[bytes]:
        return os.urandom(4) if self.is_client else None

    async def write(self, data: bytes, chop: int = 0, sync: bool = False) -> None:
        if self.tcp_closed.is_set() or self.writer.is_closing():
            return
        try:
            if chop:
                for i in range(0, len(data), chop):
                    self.writer.write(data[i : i + chop])
                    await self.writer.drain()
            else:
                self.writer.write(data)
                if sync or len(data) > 65536:
                    await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        if sync:
            await asyncio.sleep(0.001)

    def frame_bytes(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0, payload_len: Optional[int] = None) -> bytes:
        if payload_len is not None and payload_len != len(payload):
            payload = (payload * (payload_len // max(1, len(payload)) + 1))[:payload_len]
        self.frames_sent += 1
        return encode_frame(opcode, payload, fin, rsv, self._mask())

    async def send_frame(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0, chop: int = 0, sync: bool = False, payload_len: Optional[int] = None) -> None:
        await self.write(self.frame_bytes(opcode, payload, fin, rsv, payload_len), chop, sync)

    def message_bytes(self, payload: bytes, binary: bool, fragment: Optional[int] = None) -> bytes:
        size = self.auto_fragment_size if fragment is None else fragment
        rsv = 0
        if self.pmd is not None:
            payload = self.pmd.compress(payload)
            rsv = 4
        opcode = 2 if binary else 1
        if not size or len(payload) <= size:
            return self.frame_bytes(opcode, payload, True, rsv)
        parts = []
        for i in range(0, len(payload), size):
            piece = payload[i : i + size]
            last = i + size >= len(payload)
            parts.append(self.frame_bytes(opcode if i == 0 else 0, piece, last, rsv if i == 0 else 0))
        return b"".join(parts)

    async def send_message(self, payload: bytes, binary: bool = False, fragment: Optional[int] = None, chop: int = 0) -> None:
        await self.write(self.message_bytes(payload, binary, fragment), chop)

    def _note_close_sent(self) -> None:
        if not self.close_sent and not self.close_received:
            self.closed_by_me = True
        self.close_sent = True

    async def send_close(self, code: Optional[int] = 1000, reason: bytes = b"") -> None:
        """A close frame as our endpoint would send it (a reply to the peer's, or a new close)."""
        if self.close_sent:
            return
        payload = b"" if code is None else code.to_bytes(2, "big") + reason
        self._note_close_sent()
        await self.send_frame(8, payload)
        if self.close_received:
            await self._after_handshake()

    async def send_close_raw(self, payload: bytes) -> None:
        """Any close payload, for the close cases (invalid codes, lengths, reasons)."""
        self._note_close_sent()
        await self.send_frame(8, payload)

    async def _after_handshake(self) -> None:
        # RFC 6455 §7.1.1: the server closes the TCP connection first; a client waits for it.
        if not self.is_client:
            self.drop(by_me=False)

    def drop(self, by_me: bool = True) -> None:
        if self.tcp_closed.is_set():
            return
        if by_me and self.is_client:
            self.dropped_by_me = True
        try:
            self.writer.close()
        except Exception:
            pass

    async def fail(self, why: str) -> None:
        """The peer broke the protocol: record it and fail the connection (1002)."""
        if self.violation is None:
            self.violation = why
        self.failed_by_me = True
        if not self.close_sent and not self.close_received:
            await self.send_close(1002)
        self.drop()

    # ---- timers ----

    async def sleep_open(self, seconds: float) -> bool:
        """Waits; returns whether the connection is still open (no close, no EOF) afterwards."""
        try:
            await asyncio.wait_for(self.tcp_closed.wait(), seconds)
        except asyncio.TimeoutError:
            pass
        return self.open and not self.tcp_closed.is_set()

    def kill_after(self, seconds: float) -> None:
        async def kill() -> None:
            await asyncio.sleep(seconds)
            if not self.tcp_closed.is_set():
                self.drop()

        asyncio.ensure_future(kill())

    def close_after(self, seconds: float, kill: float = 2.0) -> None:
        async def close() -> None:
            await asyncio.sleep(seconds)
            if self.open and not self.close_sent and not self.tcp_closed.is_set():
                await self.send_close(1000)
            await asyncio.sleep(kill)
            if not self.tcp_closed.is_set():
                self.drop()

        asyncio.ensure_future(close())

    # ---- receiving ----

    async def read_loop(self) -> None:
        try:
            await self._read_frames()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except Violation as v:
            await self.fail(str(v))
        finally:
            self.open = False
            try:
                self.writer.close()
            except Exception:
                pass
            self.tcp_closed.set()

    async def _read_frames(self) -> None:
        r = self.reader
        msg_opcode = 0
        msg_compressed = False
        parts: list[bytes] = []
        while True:
            h = await r.readexactly(2)
            fin = bool(h[0] & 0x80)
            rsv = (h[0] >> 4) & 7
            opcode = h[0] & 0x0F
            masked = bool(h[1] & 0x80)
            n = h[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await r.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await r.readexactly(8), "big")
                if n >> 63:
                    raise Violation("64-bit length with the top bit set")
            mask = await r.readexactly(4) if masked else None
            payload = await r.readexactly(n) if n else b""
            self.received_bytes += 2 + n
            if self.close_received:
                continue  # nothing may follow a close frame; ignore
            if masked == self.is_client:
                raise Violation("%s frame %s masked" % ("server" if self.is_client else "client", "is" if masked else "is not"))
            if mask is not None:
                payload = xor_mask(payload, mask)
            if rsv & 3 or (rsv & 4 and (self.pmd is None or opcode not in (1, 2))):
                raise Violation("reserved bits %d on opcode %d" % (rsv, opcode))
            if opcode >= 8:
                if opcode not in (8, 9, 10):
                    raise Violation("reserved control opcode %d" % opcode)
                if not fin or n > 125:
                    raise Violation("fragmented or oversized control frame")
                if opcode == 8:
                    await self._on_close(payload)
                elif opcode == 9:
                    self.received.append(("ping", payload))
                    if not self.close_sent:
                        await self.write(encode_frame(10, payload, mask=self._mask()))
                    self._event()
                else:
                    self.received.append(("pong", payload))
                    self._event()
                continue
            if opcode not in (0, 1, 2):
                raise Violation("reserved data opcode %d" % opcode)
            if opcode == 0 and not msg_opcode:
                raise Violation("continuation frame without a message")
            if opcode != 0 and msg_opcode:
                raise Violation("new message inside a fragmented one")
            if opcode:
                msg_opcode = opcode
                msg_compressed = bool(rsv & 4)
                parts = []
            parts.append(payload)
            if not fin:
                continue
            data = b"".join(parts)
            parts = []
            kind = msg_opcode
            msg_opcode = 0
            if msg_compressed and self.pmd is not None:
                try:
                    data = self.pmd.decompress(data)
                except zlib.error as e:
                    raise Violation("compressed message does not inflate: %s" % e)
            if kind == 1 and not utf8_valid(data):
                raise Violation("text message is not valid UTF-8")
            if self.on_message is not None:
                self.on_message(data, kind == 2)
            else:
                self.received.append(("message", data, kind == 2))
                self._event()

    async def _on_close(self, payload: bytes) -> None:
        if len(payload) == 1:
            raise Violation("close frame with a 1-byte payload")
        code = None
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            if not close_code_valid(code):
                raise Violation("close code %d is not valid on the wire" % code)
            if not utf8_valid(payload[2:]):
                raise Violation("close reason is not UTF-8")
        self.remote_close_code = code
        self.remote_close_reason = payload[2:]
        self.close_received = True
        self.open = False
        if not self.close_sent:
            await self.send_close(code if code is not None else None, b"")
        else:
            await self._after_handshake()
        if self.is_client:
            # Wait for the server to drop the TCP connection; if it does not, we must.
            self.kill_after(2.0)

    def _event(self) -> None:
        if self.on_event is not None:
            self.on_event()

    @property
    def was_clean(self) -> bool:
        return self.close_sent and self.close_received and not self.dropped_by_me and not self.failed_by_me


# ---------------------------------------------------------------- opening handshakes


async def read_head(reader: asyncio.StreamReader, limit: int = 16384) -> tuple[str, dict[str, list[str]]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    if len(raw) > limit:
        raise Violation("HTTP head too large")
    lines = raw.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line:
            continue
        if ":" not in line:
            raise Violation("malformed header line %r" % line)
        k, v = line.split(":", 1)
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return lines[0], headers


def has_token(headers: dict[str, list[str]], name: str, token: str) -> bool:
    return any(token.lower() == t.strip().lower() for v in headers.get(name, []) for t in v.split(","))


async def client_connect(host: str, port: int, path: str, offers: list[Offer], timeout: float = 5.0) -> tuple[Peer, Optional[str]]:
    """Opens a WebSocket connection as a client. Returns the peer and, if the handshake was
    not acceptable, why (the peer is then closed)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 20), timeout)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        import socket as _s

        sock.setsockopt(_s.IPPROTO_TCP, _s.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    req = (
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, host, port, key.decode())
    )
    if offers:
        req += "Sec-WebSocket-Extensions: %s\r\n" % ", ".join(o.header() for o in offers)
    writer.write((req + "\r\n").encode())
    peer = Peer(reader, writer, is_client=True)
    try:
        status, headers = await asyncio.wait_for(read_head(reader), timeout)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, Violation) as e:
        writer.close()
        return peer, "no valid handshake response (%s)" % type(e).__name__
    parts = status.split(" ", 2)
    if len(parts) < 2 or parts[1] != "101":
        writer.close()
        return peer, "handshake answered %r" % status
    if not has_token(headers, "upgrade", "websocket") or not has_token(headers, "connection", "upgrade"):
        writer.close()
        return peer, "101 without Upgrade: websocket / Connection: Upgrade"
    if headers.get("sec-websocket-accept", [""])[0].encode() != accept_key(key):
        writer.close()
        return peer, "wrong Sec-WebSocket-Accept"
    pmd, err = client_check_response(offers, headers.get("sec-websocket-extensions", []))
    if err:
        writer.close()
        return peer, err
    peer.pmd = pmd
    return peer, None
