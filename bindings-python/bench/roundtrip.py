"""Request–response round trips per second over loopback, as picows' published benchmark
measures them: one connection, a binary message sent, its echo awaited, repeat. The clients
are wsengine.asyncio, picows, aiohttp and websockets, each used the way its documentation
shows (picows through its callback listener, sending the next message from on_ws_frame; the
others with send() / recv()), against the same echo server in its own process
(bench/echo_server.py, wsengine.asyncio), plain and over TLS, no compression.

    python bench/roundtrip.py [--quick] [--sizes 256,8192,102400] [--no-many] [--json FILE]

Then each client's throughput with 100 connections, 16 messages of 32 B (then 16 KiB) in flight on each
(a task per connection: send, and one more per echo; picows from its callback), against the
fastest Python echo server here (examples/echo_server.py, the sans-IO example): where the
client's own cost per message decides the figure, not the round trip's latency.

Each figure is the best of several rounds (clients interleaved in each round); ratios are
wsengine's figure over each peer's, from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
Client = Callable[[str, bytes, float, Optional[ssl.SSLContext]], Coroutine[Any, Any, float]]


async def run_wsengine(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    from wsengine.asyncio import connect

    async with connect(url, ssl=context, compression=None, max_size=None, ping_interval=None) as ws:
        n = 0
        start = time.perf_counter()
        end = start + seconds
        while True:
            await ws.send(payload)
            await ws.recv()
            n += 1
            if n & 63 == 0 and time.perf_counter() >= end:
                return n / (time.perf_counter() - start)


async def run_websockets(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    from websockets.asyncio.client import connect

    async with connect(url, ssl=context, compression=None, max_size=None, ping_interval=None) as ws:
        n = 0
        start = time.perf_counter()
        end = start + seconds
        while True:
            await ws.send(payload)
            await ws.recv()
            n += 1
            if n & 63 == 0 and time.perf_counter() >= end:
                return n / (time.perf_counter() - start)


async def run_aiohttp(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, ssl=context if context else False, compress=0, max_msg_size=0,
                                      autoping=True) as ws:
            n = 0
            start = time.perf_counter()
            end = start + seconds
            while True:
                await ws.send_bytes(payload)
                await ws.receive()
                n += 1
                if n & 63 == 0 and time.perf_counter() >= end:
                    return n / (time.perf_counter() - start)


async def run_picows(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()

    class Listener(WSListener):
        def __init__(self) -> None:
            self.n = 0
            self.start = self.end = 0.0

        def on_ws_connected(self, transport: WSTransport) -> None:
            self.start = time.perf_counter()
            self.end = self.start + seconds
            transport.send(WSMsgType.BINARY, payload)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type != WSMsgType.BINARY:
                return
            frame.get_payload_as_bytes()  # what an application would take
            self.n += 1
            if self.n & 63 == 0 and time.perf_counter() >= self.end:
                if not done.done():
                    done.set_result(self.n / (time.perf_counter() - self.start))
                transport.disconnect()
                return
            transport.send(WSMsgType.BINARY, payload)

    transport, _ = await ws_connect(Listener, url, ssl_context=context, max_frame_size=1 << 30)
    try:
        return await done
    finally:
        await transport.wait_disconnected()


# ------------------------------------------------------------------ many connections

#: The throughput rows: connections, messages in flight on each, message sizes.
CONNS, DEPTH, TPUT_SIZES = 100, 16, (32, 16384)


async def pump(conns: List[Any], send: Callable[[Any], Awaitable[Any]], recv: Callable[[Any], Awaitable[Any]],
               seconds: float) -> float:
    """Keeps DEPTH messages in flight on each connection (a task each: send DEPTH, then send
    one more per echo received) and returns the echoes per second over `seconds`, after a
    warm-up; then drains what is in flight."""
    count = 0
    stop = False

    async def one(ws: Any) -> None:
        nonlocal count
        for _ in range(DEPTH):
            await send(ws)
        sent, received = DEPTH, 0
        while True:
            await recv(ws)
            received += 1
            count += 1
            if not stop:
                await send(ws)
                sent += 1
            elif received >= sent:
                break

    tasks = [asyncio.ensure_future(one(ws)) for ws in conns]
    await asyncio.sleep(0.3)
    c0, t0 = count, time.perf_counter()
    await asyncio.sleep(seconds)
    rate = (count - c0) / (time.perf_counter() - t0)
    stop = True
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    return rate


def many_websockets_style(module: str) -> Client:
    """The many-connection client of a library with websockets' asyncio API (``connect()``,
    ``send()``, ``recv()``, ``close()``): wsengine.asyncio and websockets."""

    async def run(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
        connect = importlib.import_module(module).connect
        conns = [await connect(url, ssl=context, compression=None, ping_interval=None) for _ in range(CONNS)]
        try:
            return await pump(conns, lambda ws: ws.send(payload), lambda ws: ws.recv(), seconds)
        finally:
            await asyncio.gather(*(ws.close() for ws in conns))

    return run


async def many_aiohttp(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        conns = [await session.ws_connect(url, ssl=context if context else False, compress=0, autoping=True)
                 for _ in range(CONNS)]
        try:
            return await pump(conns, lambda ws: ws.send_bytes(payload), lambda ws: ws.receive(), seconds)
        finally:
            await asyncio.gather(*(ws.close() for ws in conns))


async def many_picows(url: str, payload: bytes, seconds: float, context: Optional[ssl.SSLContext]) -> float:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    state = {"count": 0, "stop": False}

    class Listener(WSListener):
        def __init__(self) -> None:
            self.in_flight = 0

        def on_ws_connected(self, transport: WSTransport) -> None:
            for _ in range(DEPTH):
                transport.send(WSMsgType.BINARY, payload)
            self.in_flight = DEPTH

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type != WSMsgType.BINARY:
                return
            frame.get_payload_as_bytes()  # what an application would take
            state["count"] += 1
            if state["stop"]:
                self.in_flight -= 1
            else:
                transport.send(WSMsgType.BINARY, payload)

    pairs = [await ws_connect(Listener, url, ssl_context=context) for _ in range(CONNS)]
    await asyncio.sleep(0.3)
    c0, t0 = state["count"], time.perf_counter()
    await asyncio.sleep(seconds)
    rate = (state["count"] - c0) / (time.perf_counter() - t0)
    state["stop"] = True
    deadline = time.perf_counter() + 30
    while any(listener.in_flight for _, listener in pairs) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    for transport, _ in pairs:
        transport.disconnect()
    await asyncio.gather(*(transport.wait_disconnected() for transport, _ in pairs))
    return rate


MANY: Dict[str, Client] = {
    "wsengine": many_websockets_style("wsengine.asyncio"),
    "picows": many_picows,
    "aiohttp": many_aiohttp,
    "websockets": many_websockets_style("websockets.asyncio.client"),
}


CLIENTS: Dict[str, Client] = {
    "wsengine": run_wsengine,
    "picows": run_picows,
    "aiohttp": run_aiohttp,
    "websockets": run_websockets,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The server of the many-connection rows: the sans-IO example (one write per read), the
#: fastest Python echo server here, so that the clients' own cost decides the figure.
MANY_SERVER = os.path.join(HERE, "..", "examples", "echo_server.py")


def start_server(certs: Optional[tuple[str, str]], script: str = os.path.join(HERE, "echo_server.py")
                 ) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    argv = [sys.executable, script, "--port", str(port)]
    if certs:
        argv += ["--certfile", certs[0], "--keyfile", certs[1]]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "echo server" not in line:
        proc.kill()
        raise SystemExit(f"roundtrip: the echo server did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].strip()


def make_certs(tmp: str) -> tuple[tuple[str, str], ssl.SSLContext]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    return (certfile, keyfile), client


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short rounds (trying the pipeline)")
    ap.add_argument("--sizes", default="256,8192,102400")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--modes", default="plain,tls")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--no-many", action="store_true", help=f"skip the {CONNS}-connection rows")
    ap.add_argument("--json")
    args = ap.parse_args()
    seconds = args.seconds or (0.5 if args.quick else 2.0)
    rounds = args.rounds or (2 if args.quick else 3)
    sizes = [int(s) for s in args.sizes.split(",")]
    clients = args.clients.split(",")
    results: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        certs, client_context = make_certs(tmp)
        for mode in args.modes.split(","):
            proc, url = start_server(certs if mode == "tls" else None)
            context = client_context if mode == "tls" else None
            try:
                for size in sizes:
                    payload = os.urandom(size)
                    best: Dict[str, float] = {}
                    for _ in range(rounds):
                        for name in clients:
                            rate = asyncio.run(CLIENTS[name](url, payload, seconds, context))
                            best[name] = max(best.get(name, 0.0), rate)
                    row = {"mode": mode, "size": size, "rtt_per_s": best,
                           "ratio": {k: best["wsengine"] / v for k, v in best.items() if k != "wsengine"}}
                    results.append(row)
                    print(f"{mode:5} {size:>7} B  " + "  ".join(f"{k} {v:,.0f}/s" for k, v in best.items())
                          + "   wsengine ÷ " + ", ".join(f"{k} {v:.2f}×" for k, v in row["ratio"].items()),
                          flush=True)
            finally:
                proc.terminate()
                proc.wait(10)
    many: List[Dict[str, Any]] = []
    if not args.no_many:
        proc, url = start_server(None, MANY_SERVER)
        try:
            for size in TPUT_SIZES:
                payload = os.urandom(size)
                best = {}
                for _ in range(rounds):
                    for name in clients:
                        rate = asyncio.run(MANY[name](url, payload, seconds, None))
                        best[name] = max(best.get(name, 0.0), rate)
                row = {"mode": "plain", "connections": CONNS, "depth": DEPTH, "size": size, "msgs_per_s": best,
                       "ratio": {k: best["wsengine"] / v for k, v in best.items() if k != "wsengine"}}
                many.append(row)
                print(f"{CONNS} conn × {size} B, {DEPTH} in flight  "
                      + "  ".join(f"{k} {v:,.0f}/s" for k, v in best.items())
                      + "   wsengine ÷ " + ", ".join(f"{k} {v:.2f}×" for k, v in row["ratio"].items()), flush=True)
        finally:
            proc.terminate()
            proc.wait(10)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "python-roundtrip", "seconds": seconds, "rounds": rounds,
                       "server": "bindings-python/bench/echo_server.py (wsengine.asyncio)",
                       "many_server": "bindings-python/examples/echo_server.py (sans-IO asyncio.Protocol)",
                       "python": platform.python_version(), "results": results, "many": many}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
