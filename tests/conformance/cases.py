"""The cases, after the Autobahn testsuite's sections 1-7, 9, 10, 12 and 13: same numbering,
payloads and expectations (see the testsuite's case descriptions), with its waits shortened
and section 9, 12 and 13 volumes scaled down unless `full` (see README.md).

A case is an async function of a `Run`; it sends, waits and sets what it expects, as
Autobahn's `onOpen` does. `Run.judge()` gives the verdict once the TCP connection is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from fuzzer import (FAILED, FAILED_BY_CLIENT, INFORMATIONAL, NON_STRICT, OK, UNCLEAN,
                    UNIMPLEMENTED, WRONG_CODE, ClientOffer, Offer, Peer, encode_header,
                    server_accept, xor_mask)

# Autobahn waits 1 s between the parts of its fail-fast cases and 0.5-1 s for "nothing
# happens"; on 127.0.0.1 shorter waits decide the same thing.
WAIT = 0.3
QUIET = 0.1
KILL = 1.0


@dataclass
class Scale:
    full: bool = False

    def big(self, n: int) -> int:  # section 9 sizes
        return n if self.full else max(1, n // 4)

    def count(self, n: int) -> int:  # section 9.7/9.8 round trips, 12/13 messages
        return n if self.full else max(1, n // 50)


@dataclass
class Run:
    p: Peer
    scale: Scale
    expected: dict[str, list] = field(default_factory=dict)
    expected_close: dict[str, Any] = field(default_factory=dict)
    suppress_close: bool = False
    behavior: Optional[str] = None  # forced verdict (timing cases, 12/13)
    result: str = ""
    informational: bool = False
    upgrade_fail_codes: bool = False  # 7.5.1, 7.7.x, 7.9.x: a wrong close code fails the case
    unimplemented: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.p.on_event = self.finish_when_done

    def expect(self, ok: list, non_strict: Optional[list] = None) -> None:
        self.expected[OK] = ok
        if non_strict is not None:
            self.expected[NON_STRICT] = non_strict

    def expect_close(self, closed_by_me: bool, codes: list[int], clean: bool) -> None:
        self.expected_close = {"closed_by_me": closed_by_me, "codes": codes, "clean": clean}

    @property
    def received(self) -> list:
        return self.p.received

    def finish_when_done(self) -> None:
        # Autobahn: once what arrived matches every expected outcome, start the closing
        # handshake if we are the one to close.
        for e in self.expected.values():
            if self.received != e:
                return
        if self.expected_close.get("closed_by_me") and not self.suppress_close and not self.p.close_sent:
            asyncio.ensure_future(self.p.send_close(self.expected_close["codes"][0]))

    def judge(self) -> tuple[str, str, str, str]:
        """(verdict, behavior, close behavior, reason)"""
        p = self.p
        if self.unimplemented:
            return UNIMPLEMENTED, UNIMPLEMENTED, UNIMPLEMENTED, self.unimplemented
        behavior, reason = FAILED, "actual events differ from any expected: got %s" % _short(self.received)
        if self.behavior is not None:
            behavior, reason = self.behavior, self.result
        else:
            for name in (OK, NON_STRICT):
                if name in self.expected and self.received == self.expected[name]:
                    behavior, reason = name, "actual events match " + name
                    break
        ec = self.expected_close
        if p.violation:
            close_behavior, close_reason = FAILED, "the peer broke the protocol: " + p.violation
            behavior, reason = FAILED, close_reason
        elif ec["closed_by_me"] != p.closed_by_me:
            close_behavior = FAILED
            close_reason = "the connection was closed by the wrong endpoint"
            if not ec["closed_by_me"] and not p.close_received and p.dropped_by_me:
                close_reason = "the peer did not fail the connection"
        elif ec["clean"] and not p.was_clean:
            close_behavior, close_reason = UNCLEAN, "the closing handshake did not complete cleanly"
        elif p.remote_close_code is not None and p.remote_close_code not in ec["codes"]:
            close_behavior = WRONG_CODE
            close_reason = "close code %d, expected %s or none" % (p.remote_close_code, ec["codes"])
        elif p.is_client and p.dropped_by_me:
            close_behavior, close_reason = FAILED_BY_CLIENT, "the server did not close the TCP connection"
        elif not ec["closed_by_me"] and not p.close_received and p.dropped_by_me:
            close_behavior, close_reason = FAILED, "the peer did not fail the connection"
        else:
            close_behavior, close_reason = OK, "connection was properly closed"
        if self.upgrade_fail_codes and close_behavior == WRONG_CODE:
            behavior, reason = FAILED, close_reason
        if self.informational:
            return INFORMATIONAL, behavior, close_behavior, reason + "; " + close_reason
        if behavior in (OK, NON_STRICT) and close_behavior != OK:
            return close_behavior, behavior, close_behavior, close_reason
        return behavior, behavior, close_behavior, reason if behavior != OK else close_reason


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) < 200 else s[:200] + "..."


@dataclass
class Case:
    id: str
    description: str
    run: Callable[[Run], Awaitable[None]]
    # permessage-deflate: what a fuzzing client offers, how a fuzzing server accepts.
    offers: list[Offer] = field(default_factory=list)
    accept: Optional[Callable[[list[ClientOffer]], Any]] = None
    timeout: float = 30.0

    def key(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.id.split("."))


CASES: list[Case] = []


def case(id: str, description: str, **kw: Any) -> Callable:
    def register(fn: Callable[[Run], Awaitable[None]]) -> Callable:
        CASES.append(Case(id, description, fn, **kw))
        return fn

    return register


def add(id: str, description: str, fn: Callable[[Run], Awaitable[None]], **kw: Any) -> None:
    CASES.append(Case(id, description, fn, **kw))


# ============================================================ 1 Framing

def _echo_case(payload: bytes, binary: bool, chop: int = 0) -> Callable:
    async def run(c: Run) -> None:
        c.expect([("message", payload, binary)])
        c.expect_close(True, [1000], True)
        await c.p.send_frame(2 if binary else 1, payload, chop=chop)
        c.p.kill_after(KILL * 2)

    return run


for _i, (_n, _chop) in enumerate([(0, 0), (125, 0), (126, 0), (127, 0), (128, 0), (65535, 0), (65536, 0), (65536, 997)], 1):
    add("1.1.%d" % _i, "Send text message with payload of length %d%s." % (_n, " in chops of %d octets" % _chop if _chop else ""),
        _echo_case(b"*" * _n, False, _chop))
    add("1.2.%d" % _i, "Send binary message with payload of length %d%s." % (_n, " in chops of %d octets" % _chop if _chop else ""),
        _echo_case(b"\xfe" * _n, True, _chop))


# ============================================================ 2 Pings/Pongs

def _ping_case(payload: bytes, chop: int = 0) -> Callable:
    async def run(c: Run) -> None:
        c.expect([("pong", payload)])
        c.expect_close(True, [1000], True)
        await c.p.send_frame(9, payload, chop=chop)
        c.p.kill_after(KILL)

    return run


add("2.1", "Send ping without payload.", _ping_case(b""))
add("2.2", "Send ping with small text payload.", _ping_case(b"Hello, world!"))
add("2.3", "Send ping with small binary (non UTF-8) payload.", _ping_case(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("2.4", "Send ping with binary payload of 125 octets.", _ping_case(b"\xfe" * 125))


@case("2.5", "Send ping with binary payload of 126 octets.")
async def _c2_5(c: Run) -> None:
    c.expect([])
    c.expect_close(False, [1002], False)
    await c.p.send_frame(9, b"\xfe" * 126)
    c.p.kill_after(KILL)


add("2.6", "Send ping with binary payload of 125 octets, send in octet-wise chops.", _ping_case(b"\xfe" * 125, chop=1))


def _unsolicited(payload: bytes) -> Callable:
    async def run(c: Run) -> None:
        c.expect([])
        c.expect_close(True, [1000], True)
        await c.p.send_frame(10, payload)
        c.p.close_after(QUIET)

    return run


add("2.7", "Send unsolicited pong without payload.", _unsolicited(b""))
add("2.8", "Send unsolicited pong with payload.", _unsolicited(b"unsolicited pong payload"))


@case("2.9", "Send unsolicited pong with payload. Send ping with payload.")
async def _c2_9(c: Run) -> None:
    c.expect([("pong", b"ping payload")])
    c.expect_close(True, [1000], True)
    await c.p.send_frame(10, b"unsolicited pong payload")
    await c.p.send_frame(9, b"ping payload")
    c.p.close_after(KILL)


def _ten_pings(chop: int) -> Callable:
    async def run(c: Run) -> None:
        pings = [b"payload-%d" % i for i in range(10)]
        c.expect([("pong", p) for p in pings])
        c.expect_close(True, [1000], True)
        for p in pings:
            await c.p.send_frame(9, p, chop=chop)
        c.p.close_after(KILL * 2)

    return run


add("2.10", "Send 10 Pings with payload.", _ten_pings(0))
add("2.11", "Send 10 Pings with payload. Send out octets in octet-wise chops.", _ten_pings(1))


# ============================================================ 3 Reserved bits

def _rsv_case(rsv: int, what: str, mode: str) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect_close(False, [1002], False)
        chop, sync = (1, False) if mode == "octets" else (0, mode == "frames")
        if what == "text":
            c.expect([("message", b"Hello, World!", False)], [])
            await p.send_frame(1, b"Hello, World!", chop=chop, sync=sync)
            await p.send_frame(1, b"Hello, World!", rsv=rsv, chop=chop, sync=sync)
            await p.send_frame(9, b"", chop=chop, sync=sync)
        elif what == "small":
            c.expect([])
            await p.send_frame(1, b"Hello, World!", rsv=rsv)
        elif what == "binary":
            c.expect([])
            await p.send_frame(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=rsv)
        elif what == "ping":
            c.expect([])
            await p.send_frame(9, b"Hello, World!", rsv=rsv)
        else:
            c.expect([])
            await p.send_frame(8, (1000).to_bytes(2, "big"), rsv=rsv)
        p.kill_after(KILL)

    return run


add("3.1", "Send small text message with RSV = 1.", _rsv_case(1, "small", ""))
add("3.2", "Send small text message, then send again with RSV = 2, then send Ping.", _rsv_case(2, "text", ""))
add("3.3", "Same as 3.2 with RSV = 3, sent frame-wise (sync).", _rsv_case(3, "text", "frames"))
add("3.4", "Same as 3.2 with RSV = 4, sent octet-wise.", _rsv_case(4, "text", "octets"))
add("3.5", "Send small binary message with RSV = 5.", _rsv_case(5, "binary", ""))
add("3.6", "Send Ping with RSV = 6.", _rsv_case(6, "ping", ""))
add("3.7", "Send Close with RSV = 7.", _rsv_case(7, "close", ""))


# ============================================================ 4 Opcodes

def _opcode_case(op: int, with_payload: bool, text_first: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect_close(False, [1002], False)
        if text_first:
            c.expect([("message", b"Hello, World!", False)], [])
            await p.send_frame(1, b"Hello, World!", sync=True)
            await p.send_frame(op, b"reserved opcode payload" if with_payload else b"", sync=True)
            await p.send_frame(9, b"", sync=True)
        else:
            c.expect([])
            await p.send_frame(op, b"reserved opcode payload" if with_payload else b"")
        p.kill_after(KILL)

    return run


for _base, _sec in ((3, 1), (11, 2)):
    add("4.%d.1" % _sec, "Send frame with reserved %s Opcode = %d." % ("non-control" if _sec == 1 else "control", _base),
        _opcode_case(_base, False, False))
    add("4.%d.2" % _sec, "Send frame with reserved Opcode = %d and non-empty payload." % (_base + 1), _opcode_case(_base + 1, True, False))
    add("4.%d.3" % _sec, "Send small text message, then frame with reserved Opcode = %d, then Ping." % (_base + 2),
        _opcode_case(_base + 2, False, True))
    add("4.%d.4" % _sec, "Send small text message, then frame with reserved Opcode = %d and payload, then Ping." % (_base + 3),
        _opcode_case(_base + 3, True, True))
    add("4.%d.5" % _sec, "Send small text message, then frame with reserved Opcode = %d and payload, then Ping." % (_base + 4),
        _opcode_case(_base + 4, True, True))


# ============================================================ 5 Fragmentation

def _frag_control(op: int) -> Callable:
    async def run(c: Run) -> None:
        c.expect([])
        c.expect_close(False, [1002], False)
        await c.p.send_frame(op, b"fragment1", fin=False)
        await c.p.send_frame(0, b"fragment2", fin=True)
        c.p.kill_after(KILL)

    return run


add("5.1", "Send Ping fragmented into 2 fragments.", _frag_control(9))
add("5.2", "Send Pong fragmented into 2 fragments.", _frag_control(10))


def _two_frags(mode: str, ping: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        chop, sync = (1, False) if mode == "octets" else (0, mode == "frames")
        c.expect(([("pong", b"pongme!")] if ping else []) + [("message", b"fragment1fragment2", False)])
        c.expect_close(True, [1000], True)
        await p.send_frame(1, b"fragment1", fin=False, chop=chop, sync=sync)
        if ping:
            await p.send_frame(9, b"pongme!", chop=chop, sync=sync)
        await p.send_frame(0, b"fragment2", fin=True, chop=chop, sync=sync)
        p.kill_after(KILL)

    return run


add("5.3", "Send text Message fragmented into 2 fragments.", _two_frags("", False))
add("5.4", "Send text Message fragmented into 2 fragments, octet-wise chopped.", _two_frags("octets", False))
add("5.5", "Send text Message fragmented into 2 fragments, one fragment at a time (sync).", _two_frags("frames", False))
add("5.6", "Send text Message fragmented into 2 fragments, one ping with payload in-between.", _two_frags("", True))
add("5.7", "Same as 5.6, octet-wise chopped.", _two_frags("octets", True))
add("5.8", "Same as 5.6, one frame at a time (sync).", _two_frags("frames", True))


def _nothing_to_continue(fin: bool, mode: str) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        chop, sync = (1, False) if mode == "octets" else (0, mode == "frames")
        c.expect([])
        c.expect_close(False, [1002], False)
        await p.send_frame(0, b"non-continuation payload", fin=fin, chop=chop, sync=sync)
        await p.send_frame(1, b"Hello, world!", chop=chop, sync=sync)
        p.kill_after(KILL)

    return run


for _i, (_fin, _mode) in enumerate([(True, ""), (True, "frames"), (True, "octets"), (False, ""), (False, "frames"), (False, "octets")]):
    add("5.%d" % (9 + _i), "Send unfragmented Text Message after Continuation Frame with FIN = %s, where there is "
        "no message to continue%s." % (str(_fin).lower(), {"": "", "frames": ", sent in per-frame chops",
                                                              "octets": ", sent in octet-wise chops"}[_mode]),
        _nothing_to_continue(_fin, _mode))


@case("5.15", "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where "
      "there is nothing to continue, then unfragmented Text Message, all sent in one chop.")
async def _c5_15(c: Run) -> None:
    p = c.p
    c.expect([("message", b"fragment1fragment2", False)], [])
    c.expect_close(False, [1002], False)
    data = (p.frame_bytes(1, b"fragment1", fin=False) + p.frame_bytes(0, b"fragment2", fin=True)
            + p.frame_bytes(0, b"fragment3", fin=False) + p.frame_bytes(1, b"fragment4", fin=True))
    await p.write(data)
    p.kill_after(KILL)


def _repeat_nothing(fin: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect([])
        c.expect_close(False, [1002], False)
        data = b""
        for _ in range(2):
            data += (p.frame_bytes(0, b"fragment1", fin=fin) + p.frame_bytes(1, b"fragment2", fin=False)
                     + p.frame_bytes(0, b"fragment3", fin=True))
        await p.write(data)
        p.kill_after(KILL)

    return run


add("5.16", "Repeated 2x: Continuation Frame with FIN = false (nothing to continue), then text Message in 2 fragments.",
    _repeat_nothing(False))
add("5.17", "Repeated 2x: Continuation Frame with FIN = true (nothing to continue), then text Message in 2 fragments.",
    _repeat_nothing(True))


@case("5.18", "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.")
async def _c5_18(c: Run) -> None:
    p = c.p
    c.expect([])
    c.expect_close(False, [1002], False)
    await p.write(p.frame_bytes(1, b"fragment1", fin=False) + p.frame_bytes(1, b"fragment2", fin=True))
    p.kill_after(KILL)


def _five_frags(sync: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        frags = [b"fragment%d" % i for i in range(1, 6)]
        pings = [b"pongme 1!", b"pongme 2!"]
        c.expect([("pong", pings[0]), ("pong", pings[1]), ("message", b"".join(frags), False)])
        c.expect_close(True, [1000], True)
        await p.send_frame(1, frags[0], fin=False, sync=sync)
        await p.send_frame(0, frags[1], fin=False, sync=sync)
        await p.send_frame(9, pings[0], sync=sync)
        await p.sleep_open(WAIT)
        # The first pong must have come before the message is complete.
        if c.received[:1] != [("pong", pings[0])]:
            c.behavior, c.result = FAILED, "no pong for the first ping while the message was incomplete"
        await p.send_frame(0, frags[2], fin=False, sync=sync)
        await p.send_frame(0, frags[3], fin=False, sync=sync)
        await p.send_frame(9, pings[1], sync=sync)
        await p.send_frame(0, frags[4], fin=True, sync=sync)
        p.close_after(KILL)

    return run


add("5.19", "A fragmented text message in 5 frames, with pings in between and a wait after the first ping.", _five_frags(False))
add("5.20", "Same as 5.19, with every frame sent frame-wise (sync).", _five_frags(True))


# ============================================================ 6 UTF-8 handling

def _text_frags(frags: list[bytes], payload: bytes, mode: str = "") -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect([("message", payload, False)])
        c.expect_close(True, [1000], True)
        chop, sync = (1, False) if mode == "octets" else (0, mode == "frames")
        for i, f in enumerate(frags):
            await p.send_frame(1 if i == 0 else 0, f, fin=i == len(frags) - 1, chop=chop, sync=sync)
        p.kill_after(KILL)

    return run


add("6.1.1", "Send text message of length 0.", _text_frags([b""], b""))
add("6.1.2", "Send fragmented text message, 3 fragments each of length 0.", _text_frags([b"", b"", b""], b""))
add("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.",
    _text_frags([b"", b"middle frame payload", b""], b"middle frame payload"))

_HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode()
_KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
add("6.2.1", "Send a valid UTF-8 text message in one fragment.", _text_frags([_HELLO], _HELLO))
add("6.2.2", "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.",
    _text_frags([_HELLO[:14], _HELLO[14:]], _HELLO))
add("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions "
    "which are not code point ends.", _text_frags([_HELLO[i:i + 1] for i in range(len(_HELLO))], _HELLO))
add("6.2.4", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions "
    "which are not code point ends.", _text_frags([_KOSME[i:i + 1] for i in range(len(_KOSME))], _KOSME))

_BAD = _KOSME + b"\xed\xa0\x80" + b"edited"


def _invalid_text(frags: list[bytes]) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect([])
        c.expect_close(False, [1007], False)
        for i, f in enumerate(frags):
            await p.send_frame(1 if i == 0 else 0, f, fin=i == len(frags) - 1)
        p.kill_after(KILL)

    return run


add("6.3.1", "Send invalid UTF-8 text message unfragmented.", _invalid_text([_BAD]))
add("6.3.2", "Send invalid UTF-8 text message in fragments of 1 octet.", _invalid_text([_BAD[i:i + 1] for i in range(len(_BAD))]))


def _fail_fast(parts: tuple[bytes, bytes, bytes], chops: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        c.expect([("timeout", "A")], [("timeout", "A"), ("timeout", "B")])
        c.expect_close(False, [1007], False)
        total = sum(len(x) for x in parts)
        if chops:
            mask = p._mask()
            p.frames_sent += 1
            head = encode_header(1, total, True, 0, mask)
            body = b"".join(parts)
            if mask is not None:
                body = xor_mask(body, mask)
            cut1, cut2 = len(parts[0]), len(parts[0]) + len(parts[1])
            chunks = [head + body[:cut1], body[cut1:cut2], body[cut2:]]
        else:
            chunks = [p.frame_bytes(1, parts[0], fin=False), p.frame_bytes(0, parts[1], fin=False),
                      p.frame_bytes(0, parts[2], fin=True)]
        await p.write(chunks[0], sync=True)
        if not await p.sleep_open(WAIT):
            return
        c.received.append(("timeout", "A"))
        await p.write(chunks[1], sync=True)
        if not await p.sleep_open(WAIT):
            return
        c.received.append(("timeout", "B"))
        await p.write(chunks[2], sync=True)
        p.kill_after(KILL)

    return run


_P641 = (_KOSME, b"\xf4\x90\x80\x80", b"edited")
_P642 = (_KOSME + b"\xf4", b"\x90", b"\x80\x80edited")
add("6.4.1", "Send invalid UTF-8 text message in 3 fragments (frames); the 2nd makes it invalid (fail fast).", _fail_fast(_P641, False))
add("6.4.2", "Same as 6.4.1, but the invalid byte is alone in the 2nd frame.", _fail_fast(_P642, False))
add("6.4.3", "Same as 6.4.1, but in 3 chops of one frame.", _fail_fast(_P641, True))
add("6.4.4", "Same as 6.4.2, but in 3 chops of one frame.", _fail_fast(_P642, True))


def _utf8_sequences() -> list[tuple[str, list[tuple[bool, bytes]]]]:
    """Markus Kuhn's UTF-8 decoder stress test, as Autobahn's 6.5-6.23 use it."""
    seqs: list[tuple[str, list[tuple[bool, bytes]]]] = []
    seqs.append(("Some valid UTF-8 sequences", [(True, b"hello\x24world"), (True, b"hello\xc2\xa2world"),
                                                (True, b"hello\xe2\x82\xacworld"), (True, b"hello\xf0\xa4\xad\xa2world"),
                                                (True, _KOSME)]))

    def complete(b: bytes) -> bool:
        try:
            b.decode()
            return True
        except UnicodeDecodeError:
            return False

    seqs.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
                 [(complete(_KOSME[:i]), _KOSME[:i]) for i in range(1, len(_KOSME) + 1)]))
    seqs.append(("First possible sequence of a certain length", [(True, b"\x00"), (True, b"\xc2\x80"), (True, b"\xe0\xa0\x80"),
                                                                  (True, b"\xf0\x90\x80\x80")]))
    seqs.append(("First possible sequence length 5/6 (invalid codepoints)", [(False, b"\xf8\x88\x80\x80\x80"),
                                                                              (False, b"\xfc\x84\x80\x80\x80\x80")]))
    seqs.append(("Last possible sequence of a certain length", [(True, b"\x7f"), (True, b"\xdf\xbf"), (True, b"\xef\xbf\xbf"),
                                                                 (True, b"\xf4\x8f\xbf\xbf")]))
    seqs.append(("Last possible sequence length 4/5/6 (invalid codepoints)", [(False, b"\xf7\xbf\xbf\xbf"),
                                                                               (False, b"\xfb\xbf\xbf\xbf\xbf"),
                                                                               (False, b"\xfd\xbf\xbf\xbf\xbf\xbf")]))
    seqs.append(("Other boundary conditions", [(True, b"\xed\x9f\xbf"), (True, b"\xee\x80\x80"), (True, b"\xef\xbf\xbd"),
                                                (True, b"\xf4\x8f\xbf\xbf"), (False, b"\xf4\x90\x80\x80")]))
    seqs.append(("Unexpected continuation bytes", [(False, b"\x80"), (False, b"\xbf"), (False, b"\x80\xbf"), (False, b"\x80\xbf\x80"),
                                                    (False, b"\x80\xbf\x80\xbf"), (False, b"\x80\xbf\x80\xbf\x80"),
                                                    (False, b"\x80\xbf\x80\xbf\x80\xbf"), (False, bytes(range(0x80, 0xbf)))]))
    seqs.append(("Lonely start characters", [(False, b"".join(bytes([i, 0x20]) for i in range(a, b)))
                                             for a, b in [(0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd)]]))
    k = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
         b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    seqs.append(("Sequences with last continuation byte missing", [(False, x) for x in k]))
    seqs.append(("Concatenation of incomplete sequences", [(False, b"".join(k))]))
    seqs.append(("Impossible bytes", [(False, b"\xfe"), (False, b"\xff"), (False, b"\xfe\xfe\xff\xff")]))
    seqs.append(("Examples of an overlong ASCII character", [(False, b"\xc0\xaf"), (False, b"\xe0\x80\xaf"), (False, b"\xf0\x80\x80\xaf"),
                                                              (False, b"\xf8\x80\x80\x80\xaf"), (False, b"\xfc\x80\x80\x80\x80\xaf")]))
    seqs.append(("Maximum overlong sequences", [(False, b"\xc1\xbf"), (False, b"\xe0\x9f\xbf"), (False, b"\xf0\x8f\xbf\xbf"),
                                                 (False, b"\xf8\x87\xbf\xbf\xbf"), (False, b"\xfc\x83\xbf\xbf\xbf\xbf")]))
    seqs.append(("Overlong representation of the NUL character", [(False, b"\xc0\x80"), (False, b"\xe0\x80\x80"),
                                                                   (False, b"\xf0\x80\x80\x80"), (False, b"\xf8\x80\x80\x80\x80"),
                                                                   (False, b"\xfc\x80\x80\x80\x80\x80")]))
    seqs.append(("Single UTF-16 surrogates", [(False, x) for x in [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
                                                                   b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"]]))
    hi = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf"]
    lo = [b"\xed\xb0\x80", b"\xed\xbf\xbf"]
    seqs.append(("Paired UTF-16 surrogates", [(False, h + l) for h in hi for l in lo]))
    nonchars = [(True, b"\xef\xbf\xbe"), (True, b"\xef\xbf\xbf")]
    for z1 in b"\xf0\xf1\xf2\xf3\xf4":
        for z2 in b"\x8f\x9f\xaf\xbf":
            if z1 == 0xf4 and z2 != 0x8f:
                continue
            for z3 in b"\xbe\xbf":
                zz = bytes([z1, z2, 0xbf, z3])
                if zz not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):
                    nonchars.append((True, zz))
    seqs.append(("Non-character code points (valid UTF-8)", nonchars))
    seqs.append(("Unicode specials (i.e. replacement char)", [(True, b"\xef\xbf" + bytes([x])) for x in range(0xb9, 0xc0)]))
    return seqs


def _utf8_case(valid: bool, payload: bytes) -> Callable:
    async def run(c: Run) -> None:
        if valid:
            c.expect([("message", payload, False)])
            c.expect_close(True, [1000], True)
        else:
            c.expect([])
            c.expect_close(False, [1007], False)
        await c.p.send_frame(1, payload)
        c.p.kill_after(KILL)

    return run


for _i, (_title, _seq) in enumerate(_utf8_sequences(), 5):
    for _j, (_valid, _payload) in enumerate(_seq, 1):
        add("6.%d.%d" % (_i, _j), "%s: a text message that is %s UTF-8 in one fragment (0x%s)."
            % (_title, "valid" if _valid else "not valid", _payload.hex()), _utf8_case(_valid, _payload))


# ============================================================ 7 Close handling

@case("7.1.1", "Send a message followed by a close frame.")
async def _c7_1_1(c: Run) -> None:
    c.expect([("message", b"Hello World!", False)])
    c.expect_close(True, [1000], True)
    await c.p.send_frame(1, b"Hello World!")
    await c.p.send_close(1000)
    c.p.kill_after(KILL)


def _after_close(then: Callable[[Peer], Awaitable[None]], before: Optional[Callable[[Peer], Awaitable[None]]] = None) -> Callable:
    async def run(c: Run) -> None:
        c.suppress_close = True
        c.expect([])
        c.expect_close(True, [1000], True)
        if before:
            await before(c.p)
        await c.p.send_close(1000)
        await then(c.p)
        c.p.kill_after(KILL)

    return run


add("7.1.2", "Send two close frames.", _after_close(lambda p: p.send_frame(8, (1000).to_bytes(2, "big"))))
add("7.1.3", "Send a ping after close message.", _after_close(lambda p: p.send_frame(9, b"")))
add("7.1.4", "Send text message after sending a close frame.", _after_close(lambda p: p.send_frame(1, b"Hello World!")))
add("7.1.5", "Send message fragment1 followed by close then fragment.",
    _after_close(lambda p: p.send_frame(0, b"fragment2", fin=True), lambda p: p.send_frame(1, b"fragment1", fin=False)))


@case("7.1.6", "Send 256K message followed by close then a ping.")
async def _c7_1_6(c: Run) -> None:
    p = c.p
    c.informational = True
    c.suppress_close = True
    c.expect([("message", b"Hello World!", False)], [])
    c.expect_close(True, [1000], True)
    data = p.frame_bytes(1, b"BAsd7&jh23", payload_len=256 * 1024) + p.frame_bytes(1, b"Hello World!")
    await p.write(data)
    await p.send_close(1000)
    await p.send_frame(9, b"")
    p.kill_after(KILL)


def _close_payload(payload: bytes, codes: list[int], clean: bool, fail_on_code: bool = False) -> Callable:
    async def run(c: Run) -> None:
        c.suppress_close = True
        c.upgrade_fail_codes = fail_on_code
        c.expect([])
        c.expect_close(True, codes, clean)
        await c.p.send_close_raw(payload)
        c.p.kill_after(KILL)

    return run


add("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason).", _close_payload(b"", [1000], True))
add("7.3.2", "Send a close frame with payload length 1.", _close_payload(b"\x03", [1002], False))
add("7.3.3", "Send a close frame with payload length 2 (regular close with a code).", _close_payload((1000).to_bytes(2, "big"), [1000], True))
add("7.3.4", "Send a close frame with close code and close reason.", _close_payload((1000).to_bytes(2, "big") + b"Hello World!", [1000], True))
add("7.3.5", "Send a close frame with close code and close reason of maximum length (123).",
    _close_payload((1000).to_bytes(2, "big") + b"*" * 123, [1000], True))
add("7.3.6", "Send a close frame with close code and close reason which is too long (124).",
    _close_payload((1000).to_bytes(2, "big") + b"*" * 124, [1002], False))
add("7.5.1", "Send a close frame with invalid UTF8 payload.", _close_payload((1000).to_bytes(2, "big") + _BAD, [1002, 1007], False, True))

for _i, _code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
    add("7.7.%d" % _i, "Send close with valid close code %d." % _code, _close_payload(_code.to_bytes(2, "big"), [1000, _code], True, True))
for _i, _code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], 1):
    add("7.9.%d" % _i, "Send close with invalid close code %d." % _code, _close_payload(_code.to_bytes(2, "big"), [1002], False, True))


def _informational_close(code: int) -> Callable:
    async def run(c: Run) -> None:
        c.informational = True
        c.suppress_close = True
        c.expect([])
        c.expect_close(True, [1000, code, 1002], False)
        await c.p.send_close_raw(code.to_bytes(2, "big"))
        c.p.kill_after(KILL)

    return run


add("7.13.1", "Send close with close code 5000.", _informational_close(5000))
add("7.13.2", "Send close with close code 65535.", _informational_close(65535))


# ============================================================ 9 Limits/Performance

def _big_message(size: int, binary: bool, fragment: int = 0, chop: int = 0, scaled: bool = True) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        n = c.scale.big(size) if scaled else size
        frag = min(fragment, n) if fragment else 0
        payload = (b"\xfe" if binary else b"*") * n
        got: list[tuple[bytes, bool]] = []

        def on_message(data: bytes, is_binary: bool) -> None:
            got.append((data, is_binary))
            ok = is_binary == binary and data == payload
            c.behavior = OK if ok else FAILED
            c.result = "echo received" if ok else "echo differs (%d bytes, binary=%s)" % (len(data), is_binary)
            asyncio.ensure_future(p.send_close(1000))

        p.on_message = on_message
        c.behavior, c.result = FAILED, "no echo"
        c.expect([])
        c.expect_close(True, [1000], True)
        await p.send_message(payload, binary, fragment=frag, chop=chop)
        p.close_after(60)

    return run


_SIZES = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20]
_FRAGS = [64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
_CHOPS = [64, 128, 256, 512, 1024, 2048]
for _i, _s in enumerate(_SIZES, 1):
    add("9.1.%d" % _i, "Send text message with payload of length %d (scaled 1/4 unless --full)." % _s, _big_message(_s, False), timeout=100)
    add("9.2.%d" % _i, "Send binary message with payload of length %d (scaled 1/4 unless --full)." % _s, _big_message(_s, True), timeout=100)
for _i, _f in enumerate(_FRAGS, 1):
    # The 4 MiB message keeps its size (the design promises 65,536 fragments of 64 bytes).
    add("9.3.%d" % _i, "Send fragmented text message of length 4M with fragments of %d octets." % _f,
        _big_message(4 << 20, False, _f, scaled=False), timeout=100)
    add("9.4.%d" % _i, "Send fragmented binary message of length 4M with fragments of %d octets." % _f,
        _big_message(4 << 20, True, _f, scaled=False), timeout=100)
for _i, _ch in enumerate(_CHOPS, 1):
    add("9.5.%d" % _i, "Send text message of length 1M in chops of %d octets (scaled 1/4 unless --full)." % _ch,
        _big_message(1 << 20, False, chop=_ch), timeout=100)
    add("9.6.%d" % _i, "Send binary message of length 1M in chops of %d octets (scaled 1/4 unless --full)." % _ch,
        _big_message(1 << 20, True, chop=_ch), timeout=100)


def _round_trips(size: int, binary: bool) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        count = c.scale.count(1000)
        payload = (b"\xfe" if binary else b"*") * size
        state = {"n": 0}

        def on_message(data: bytes, is_binary: bool) -> None:
            if data != payload or is_binary != binary:
                c.behavior, c.result = FAILED, "echo differs at round trip %d" % state["n"]
                asyncio.ensure_future(p.send_close(1000))
                return
            state["n"] += 1
            if state["n"] == count:
                c.behavior, c.result = OK, "%d round trips" % count
                asyncio.ensure_future(p.send_close(1000))
            else:
                asyncio.ensure_future(p.send_message(payload, binary))

        p.on_message = on_message
        c.behavior, c.result = FAILED, "not all echoes arrived"
        c.expect([])
        c.expect_close(True, [1000], True)
        await p.send_message(payload, binary)
        p.close_after(60)

    return run


for _i, _s in enumerate([0, 16, 64, 256, 1024, 4096], 1):
    add("9.7.%d" % _i, "Send 1000 text messages of payload size %d, one round trip each (20 unless --full)." % _s,
        _round_trips(_s, False), timeout=100)
    add("9.8.%d" % _i, "Send 1000 binary messages of payload size %d, one round trip each (20 unless --full)." % _s,
        _round_trips(_s, True), timeout=100)


# ============================================================ 10 Auto-Fragmentation

@case("10.1.1", "Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.")
async def _c10_1_1(c: Run) -> None:
    p = c.p
    payload = b"*" * 65536
    c.expect([("message", payload, False)])
    c.expect_close(True, [1000], True)
    before = p.frames_sent
    await p.send_message(payload, False, fragment=1300)
    if p.frames_sent - before != 65536 // 1300 + 1:
        c.behavior, c.result = FAILED, "sent %d frames, expected %d" % (p.frames_sent - before, 65536 // 1300 + 1)
    p.kill_after(10)


# ============================================================ 12/13 permessage-deflate

def _dataset(name: str) -> tuple[bytes, bool]:
    """Deterministic stand-ins for Autobahn's test files (same kinds, similar sizes)."""
    rnd = random.Random(name)
    if name == "json":
        items, total = [], 0
        while total < 194056:
            items.append('{"id": %d, "name": "user%d", "email": "user%d@example.com", "active": %s, "score": %.3f, '
                         '"tags": ["%s", "%s"]}' % (len(items), rnd.randrange(10**6), rnd.randrange(10**6),
                                                     rnd.choice(["true", "false"]), rnd.random() * 100,
                                                     rnd.choice(["alpha", "beta", "gamma"]), rnd.choice(["x", "y", "z"])))
            total += len(items[-1])
        return ("[" + ",\n".join(items) + "]").encode()[:194056], False
    if name == "bitmap":
        rows = []
        for y in range(512):
            rows.append(bytes((x * y // 7 + rnd.randrange(4)) & 0xFF for x in range(512)))
        return (b"BM" + bytes(52) + b"".join(rows))[:263222], True
    if name == "text":
        words = "Habe nun ach Philosophie Juristerei und Medizin und leider auch Theologie durchaus studiert mit heißem " \
                "Bemühn Da steh ich nun ich armer Tor und bin so klug als wie zuvor Heiße Magister heiße Doktor gar Grüße Öl".split()
        out, total = [], 0
        while total < 240000:
            out.append(rnd.choice(words))
            total += len(out[-1]) + 1
        return " ".join(out).encode()[:222218], True
    if name == "html":
        out, total = [], 0
        while total < 263527:
            out.append('<div class="row r%d"><a href="/item/%d">Item %d</a><span>%s</span></div>\n'
                       % (rnd.randrange(9), rnd.randrange(10**5), rnd.randrange(10**5), "lorem ipsum dolor"[: rnd.randrange(18)]))
            total += len(out[-1])
        return ("<!doctype html><html><body>\n" + "".join(out)).encode()[:263527], False
    # "pdf": mixed compressible structure and incompressible streams
    out, total = [], 0
    while total < 1042328:
        out.append(b"%d 0 obj << /Length 4096 /Filter /FlateDecode >> stream\n" % len(out))
        out.append(rnd.randbytes(4096))
        out.append(b"\nendstream endobj\n")
        total += sum(len(x) for x in out[-3:])
    return b"".join(out)[:1042328], True


_DATA_CACHE: dict[str, tuple[bytes, bool]] = {}

MSG_SIZES = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0), (32768, 0), (65536, 0), (131072, 0),
             (8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256), (131072, 1024), (131072, 4096), (131072, 32768)]


def _pmd_case(dataset: str, size: int, frag: int) -> Callable:
    async def run(c: Run) -> None:
        p = c.p
        if p.pmd is None:
            c.unimplemented = "permessage-deflate was not negotiated"
            c.expect([])
            c.expect_close(True, [1000], True)
            await p.send_close(1000)
            p.kill_after(KILL)
            return
        if dataset not in _DATA_CACHE:
            _DATA_CACHE[dataset] = _dataset(dataset)
        data, binary = _DATA_CACHE[dataset]
        count = c.scale.count(1000)
        state = {"n": 0, "ptr": 0, "expected": b""}
        p.auto_fragment_size = frag

        def next_message() -> bytes:
            a = state["ptr"]
            b = (a + size) % len(data)
            msg = data[a:b] if b > a else data[a:] + data[:b]
            state["ptr"] = b
            state["expected"] = hashlib.sha1(msg).digest()
            return msg

        def on_message(msg: bytes, is_binary: bool) -> None:
            if is_binary != binary or len(msg) != size or hashlib.sha1(msg).digest() != state["expected"]:
                c.behavior, c.result = FAILED, "echo differs at message %d" % state["n"]
                asyncio.ensure_future(p.send_close(1000))
                return
            state["n"] += 1
            if state["n"] >= count:
                c.behavior, c.result = OK, "ok, received all %d echoed messages" % count
                asyncio.ensure_future(p.send_close(1000))
            else:
                asyncio.ensure_future(p.send_message(next_message(), binary))

        p.on_message = on_message
        c.behavior, c.result = FAILED, "not all echoes arrived"
        c.expect([])
        c.expect_close(True, [1000], True)
        await p.send_message(next_message(), binary)
        p.close_after(60)

    return run


def _accept(nct: bool, bits: int) -> Callable[[list[ClientOffer]], Any]:
    def accept(offers: list[ClientOffer]) -> Any:
        for o in offers:
            a = server_accept(o, nct, bits)
            if a is not None:
                return a
        return None

    accept.__doc__ = "(requestNoContextTakeover, requestMaxWindowBits) = (%s, %d)" % (nct, bits)
    return accept


def _accept7(offers: list[ClientOffer]) -> Any:
    return _accept(True, 9)(offers) or _accept(True, 0)(offers) or _accept(False, 0)(offers)


_DATASETS = [("json", "Large JSON data file (utf8)"), ("bitmap", "Bitmap 512x512 (binary)"),
             ("text", "Human readable German text (sent as binary)"), ("html", "Large HTML file (utf8)"),
             ("pdf", "A larger PDF-like file (binary)")]
for _j, (_ds, _desc) in enumerate(_DATASETS, 1):
    for _i, (_size, _frag) in enumerate(MSG_SIZES, 1):
        add("12.%d.%d" % (_j, _i), "%s: send 1000 (20 unless --full) compressed messages of payload size %d, "
            "auto-fragment to %d octets. Default permessage-deflate offer." % (_desc, _size, _frag),
            _pmd_case(_ds, _size, _frag), offers=[Offer()], accept=_accept(False, 0), timeout=120)

# Autobahn|Testsuite 0.8.2's 13.x (case12_x_x.py): 9-bit windows in 13.3, 13.5 and 13.7 (older
# versions used 8, which zlib 1.2.9 and later refuse to compress with).
_DEFLATE_PARAMS = [
    (_accept(False, 0), [Offer()]),
    (_accept(True, 0), [Offer(request_no_context_takeover=True)]),
    (_accept(False, 9), [Offer(request_max_window_bits=9)]),
    (_accept(False, 15), [Offer(request_max_window_bits=15)]),
    (_accept(True, 9), [Offer(request_no_context_takeover=True, request_max_window_bits=9)]),
    (_accept(True, 15), [Offer(request_no_context_takeover=True, request_max_window_bits=15)]),
    (_accept7, [Offer(request_no_context_takeover=True, request_max_window_bits=9), Offer(request_no_context_takeover=True), Offer()]),
]
for _j, (_acc, _offers) in enumerate(_DEFLATE_PARAMS, 1):
    for _i, (_size, _frag) in enumerate(MSG_SIZES, 1):
        add("13.%d.%d" % (_j, _i), "JSON: send 1000 (20 unless --full) compressed messages of payload size %d, auto-fragment "
            "to %d octets; client offers %s / server accept %s." % (_size, _frag, [o.header() for o in _offers], _acc.__doc__),
            _pmd_case("json", _size, _frag), offers=_offers, accept=_acc, timeout=120)


def select(spec: Optional[str]) -> list[Case]:
    """`1,2.1,6.4.*,12` style filters (prefix match per dotted part)."""
    cases = sorted(CASES, key=Case.key)
    if not spec:
        return cases
    pats = [s.strip().rstrip(".*") for s in spec.split(",") if s.strip()]
    return [c for c in cases if any(c.id == pt or c.id.startswith(pt + ".") for pt in pats)]
