"""permessage-deflate interop matrix against `websockets` (RFC 7692), over 127.0.0.1.

Every parameter combination `websockets` supports on one side, against several policies of
ours on the other, in both directions:

- a `websockets` client with `ClientPerMessageDeflateFactory(server_no_context_takeover,
  client_no_context_takeover, server_max_window_bits ∈ {None, 9..15},
  client_max_window_bits ∈ {None, True (valueless), 9..15})` against a wsengine server;
- a wsengine client against a `websockets` server with `ServerPerMessageDeflateFactory(
  server_no_context_takeover, client_no_context_takeover, server_max_window_bits ∈ {None, 9..15},
  client_max_window_bits ∈ {None, 9..15})`.

Window 8 is left out: `websockets` refuses it (zlib cannot compress with it) and so do we.

Each connection checks the agreed parameters (the response header, parsed, against what RFC 7692
§7.1 and each side's policy give, and against the `websockets` extension object), then echoes
messages of several sizes both ways, twice (so context takeover and far references into the
previous message are exercised), and checks that compression really happened on the wire.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any, Optional, Union

import pytest

import wsengine
from _driver import TIMEOUT, Peer, now_ms

pytestmark = pytest.mark.skipif(not wsengine.DEFLATE_AVAILABLE, reason="built without deflate")

from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import ServerConnection as WsServerConnection  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402
from websockets.extensions.permessage_deflate import (  # noqa: E402
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)

Bits = Optional[int]
ClientBits = Union[None, bool, int]  # True: the valueless offer


def _messages() -> list[Union[str, bytes]]:
    rng = random.Random(7692)
    words = ["alpha", "héllo", "wörld", "✓", "🎉", "данные", "数据", "json", "{\"id\":", "},"]
    mixed_1k = "".join(rng.choice(words) + " " for _ in range(400)).encode()[:1024]
    mixed_1k = mixed_1k.decode("utf-8", "ignore")  # cut on a character boundary
    # 24 KiB of text whose repeats lie 1-8 KiB apart: beyond a 9-bit window, within 15.
    lines = ["".join(rng.choice(words) for _ in range(rng.randrange(20, 60))) for _ in range(40)]
    text_24k = "\n".join(rng.choice(lines) for _ in range(1000))[: 24 * 1024]
    noise = bytes(rng.getrandbits(8) for _ in range(20_000))  # incompressible
    # 120 KB, very compressible even with a 9-bit window (zlib's reach is then 250 bytes).
    blob = bytes(range(200)) * 600
    return ["", "Hello", mixed_1k, text_24k, b"", b"\x00\xff" * 20, noise, blob]


MESSAGES = _messages()
PAYLOAD_BYTES = 2 * sum(len(m.encode() if isinstance(m, str) else m) for m in MESSAGES)

WINDOW: list[Bits] = [None, *range(9, 16)]
CLIENT_WINDOW: list[ClientBits] = [None, True, *range(9, 16)]
FLAGS = [False, True]

# Our side's permessage-deflate settings (wsengine.DeflateConfig keyword arguments).
POLICIES: dict[str, dict[str, Any]] = {
    # Ask for / impose nothing: the agreement is whatever the peer wants.
    "open": {"server_max_window_bits": None, "client_max_window_bits": None},
    # Our defaults: 12-bit windows, context takeover.
    "default": {},
    # The memory-saving server setting: no context takeover either way, 9-bit windows.
    "small": {
        "server_no_context_takeover": True,
        "client_no_context_takeover": True,
        "server_max_window_bits": 9,
        "client_max_window_bits": 9,
    },
}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


def parse_header(value: str) -> dict[str, Optional[str]]:
    """`permessage-deflate; a; b=1` → {"a": None, "b": "1"} (exactly one extension)."""
    name, *params = [p.strip() for p in value.split(";")]
    assert name == "permessage-deflate", value
    out: dict[str, Optional[str]] = {}
    for p in params:
        k, _, v = p.partition("=")
        assert k not in out, f"duplicate {k} in {value!r}"
        out[k.strip()] = v.strip().strip('"') if v else None
    return out


def agreed(header: dict[str, Optional[str]]) -> tuple[bool, bool, int, int]:
    """(server_nct, client_nct, server_bits, client_bits) a response header means."""
    for k, v in header.items():
        assert k in (
            "server_no_context_takeover",
            "client_no_context_takeover",
            "server_max_window_bits",
            "client_max_window_bits",
        ), k
        if k.endswith("_bits"):
            assert v is not None and 9 <= int(v) <= 15, header  # a response always has a value
        else:
            assert v is None, header
    return (
        "server_no_context_takeover" in header,
        "client_no_context_takeover" in header,
        int(header.get("server_max_window_bits") or 15),
        int(header.get("client_max_window_bits") or 15),
    )


def offer_of(policy: dict[str, Any]) -> tuple[bool, bool, Bits, ClientBits]:
    """What our client offers for a policy (see deflate::client_offer): client_max_window_bits
    is always bare (our own limit only caps the window we compress with)."""
    return (
        policy.get("server_no_context_takeover", False),
        policy.get("client_no_context_takeover", False),
        policy.get("server_max_window_bits", 12),
        True,
    )


def expect_engine_server(
    offer: tuple[bool, bool, Bits, ClientBits], policy: dict[str, Any]
) -> tuple[bool, bool, int, int]:
    """What a wsengine server with `policy` agrees to for `offer` (RFC 7692 §7.1)."""
    osn, ocn, osb, ocb = offer
    psb = policy.get("server_max_window_bits", 12) or 15
    pcb = policy.get("client_max_window_bits", 12) or 15
    server_bits = psb if osb is None else min(osb, psb)
    # The client's window may be limited only if it offered client_max_window_bits.
    client_bits = 15 if ocb is None else min(15 if ocb is True else ocb, pcb)
    return (
        osn or policy.get("server_no_context_takeover", False),
        ocn or policy.get("client_no_context_takeover", False),
        server_bits,
        client_bits,
    )


def expect_websockets_server(
    offer: tuple[bool, bool, Bits, ClientBits], cfg: tuple[bool, bool, Bits, Bits]
) -> tuple[bool, bool, int, int]:
    """What a websockets server configured with `cfg` agrees to for `offer` (its tables)."""
    osn, ocn, osb, ocb = offer
    ssn, scn, ssb, scb = cfg
    if ssb is None:
        sb = osb
    else:
        sb = ssb if osb is None else min(osb, ssb)
    if scb is None:
        cb = None if ocb is True else ocb
    elif ocb is None:
        cb = None
    elif ocb is True:
        cb = scb
    else:
        cb = min(ocb, scb)
    assert not isinstance(cb, bool)
    return (osn or ssn, ocn or scn, sb or 15, cb or 15)


def ws_extension(protocol: Any) -> PerMessageDeflate:
    (ext,) = protocol.extensions
    assert isinstance(ext, PerMessageDeflate)
    return ext


def check_ws_side(ext: PerMessageDeflate, params: tuple[bool, bool, int, int], is_server: bool) -> None:
    snct, cnct, sb, cb = params
    local, remote = ((snct, sb), (cnct, cb)) if is_server else ((cnct, cb), (snct, sb))
    assert (ext.local_no_context_takeover, ext.local_max_window_bits) == local
    assert (ext.remote_no_context_takeover, ext.remote_max_window_bits) == remote


class CountingPeer(Peer):
    """A Peer that counts the bytes it writes and reads (to see compression on the wire)."""

    def __init__(self, conn: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(conn, reader, writer)
        self.bytes_out = 0
        self.bytes_in = 0
        counted = self

        class Reader:
            async def read(self, n: int) -> bytes:
                data = await reader.read(n)
                counted.bytes_in += len(data)
                return data

        self.reader = Reader()  # type: ignore[assignment]

    async def flush(self) -> None:
        out = self.conn.data_to_send()
        self.bytes_out += len(out)
        if out and not self.writer.is_closing():
            self.writer.write(out)
            try:
                await self.writer.drain()
            except ConnectionError:
                pass


def check_compressed_on_wire(peer: CountingPeer) -> None:
    # Most of the payload bytes are a 120 KB pattern that deflates to almost nothing.
    assert peer.bytes_in < PAYLOAD_BYTES * 0.6, (peer.bytes_in, PAYLOAD_BYTES)
    assert peer.bytes_out < PAYLOAD_BYTES * 0.6, (peer.bytes_out, PAYLOAD_BYTES)


async def engine_echo(peer: Peer) -> None:
    while True:
        try:
            ev = await peer.next_event()
        except EOFError:
            return
        if isinstance(ev, wsengine.TextMessage):
            peer.conn.send_text(ev.data)
        elif isinstance(ev, wsengine.BinaryMessage):
            peer.conn.send_binary(ev.data)
        elif isinstance(ev, (wsengine.Closed, wsengine.Failed)):
            return
        await peer.flush()


# ---- websockets client (every offer) -> wsengine server (each policy) ----

CLIENT_OFFERS = list(itertools.product(FLAGS, FLAGS, WINDOW, CLIENT_WINDOW))


def _id(setting: tuple[bool, bool, Bits, ClientBits]) -> str:
    snct, cnct, sbits, cbits = setting
    bits = {None: "-", True: "bare"}
    return f"snct{int(snct)}-cnct{int(cnct)}-s{bits.get(sbits, sbits)}-c{bits.get(cbits, cbits)}"


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize(
    "offer", CLIENT_OFFERS, ids=[_id(o) for o in CLIENT_OFFERS]
)
def test_websockets_client_offer(offer: tuple[bool, bool, Bits, ClientBits], policy: str) -> None:
    snct, cnct, sbits, cbits = offer
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=snct,
        client_no_context_takeover=cnct,
        server_max_window_bits=sbits,
        client_max_window_bits=cbits,
    )
    expected = expect_engine_server(offer, POLICIES[policy])

    async def main() -> None:
        peers: list[CountingPeer] = []
        errors: list[BaseException] = []
        config = wsengine.Config(
            max_message_size=4 << 20, deflate=wsengine.DeflateConfig(**POLICIES[policy])  # type: ignore[attr-defined]
        )

        async def serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = wsengine.ServerConnection(config)
            conn.handle_timeout(now_ms())
            peer = CountingPeer(conn, reader, writer)
            peers.append(peer)
            try:
                await peer.next_event(wsengine.Request)
                conn.accept()
                await peer.flush()
                await engine_echo(peer)
                await peer.wait_closed()
            except BaseException as e:
                errors.append(e)
                writer.close()

        server = await asyncio.start_server(serve_one, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with connect(
                f"ws://127.0.0.1:{port}/", extensions=[factory], compression=None, max_size=4 << 20
            ) as ws:
                assert ws.response is not None
                header = ws.response.headers["Sec-WebSocket-Extensions"]
                assert agreed(parse_header(header)) == expected, header
                check_ws_side(ws_extension(ws.protocol), expected, is_server=False)
                for _ in range(2):
                    for m in MESSAGES:
                        await ws.send(m)
                        assert await ws.recv() == m
                await ws.close(1000)
            (peer,) = peers
            info = await peer.wait_closed()
            assert info.was_clean and info.code == 1000
            assert peer.conn.extensions == header
            assert not [e for e in peer.log if isinstance(e, wsengine.Failed)]
            check_compressed_on_wire(peer)
        finally:
            server.close()
            await server.wait_closed()
        if errors:
            raise errors[0]

    run(main())


# ---- wsengine client (each policy) -> websockets server (every setting) ----

SERVER_SETTINGS = list(itertools.product(FLAGS, FLAGS, WINDOW, WINDOW))


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize(
    "setting",
    SERVER_SETTINGS,
    ids=[_id(s) for s in SERVER_SETTINGS],
)
def test_engine_client_against_websockets_server(setting: tuple[bool, bool, Bits, Bits], policy: str) -> None:
    snct, cnct, sbits, cbits = setting
    factory = ServerPerMessageDeflateFactory(
        server_no_context_takeover=snct,
        client_no_context_takeover=cnct,
        server_max_window_bits=sbits,
        client_max_window_bits=cbits,
    )
    expected = expect_websockets_server(offer_of(POLICIES[policy]), setting)
    seen: list[tuple[str, PerMessageDeflate]] = []

    async def echo(ws: WsServerConnection) -> None:
        assert ws.response is not None
        seen.append((ws.response.headers["Sec-WebSocket-Extensions"], ws_extension(ws.protocol)))
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, extensions=[factory], compression=None, max_size=4 << 20) as server:
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            conn = wsengine.ClientConnection(
                f"ws://127.0.0.1:{port}/",
                max_message_size=4 << 20,
                deflate=wsengine.DeflateConfig(**POLICIES[policy]),  # type: ignore[attr-defined]
            )
            conn.handle_timeout(now_ms())
            peer = CountingPeer(conn, reader, writer)
            await peer.flush()
            ev = await peer.next_event(wsengine.Open, wsengine.Rejected, wsengine.Failed)
            assert isinstance(ev, wsengine.Open), ev
            ((header, ext),) = seen
            assert conn.extensions == header
            assert agreed(parse_header(header)) == expected, header
            check_ws_side(ext, expected, is_server=True)
            for _ in range(2):
                for m in MESSAGES:
                    if isinstance(m, str):
                        conn.send_text(m)
                        await peer.flush()
                        assert (await peer.next_event(wsengine.TextMessage)).data == m
                    else:
                        conn.send_binary(m)
                        await peer.flush()
                        assert (await peer.next_event(wsengine.BinaryMessage)).data == m
            conn.close(1000)
            await peer.flush()
            info = await peer.wait_closed()
            assert info.was_clean and info.code == 1000
            assert not [e for e in peer.log if isinstance(e, wsengine.Failed)]
            check_compressed_on_wire(peer)

    run(main())
