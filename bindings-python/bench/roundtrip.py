"""Request–response round trips per second over loopback, as picows' published benchmark
measures them: one connection, a binary message sent, its echo awaited, repeat. The clients
are wsengine.asyncio, picows, aiohttp and websockets, each used the way its documentation
shows (picows through its callback listener, sending the next message from on_ws_frame; the
others with send() / recv()), against the same echo server in its own process
(bench/echo_server.py, wsengine.asyncio), plain and over TLS, no compression.

    python bench/roundtrip.py [--quick] [--sizes 256,8192,102400] [--json FILE]

Each figure is the best of several rounds (clients interleaved in each round); ratios are
wsengine's figure over each peer's, from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Coroutine, Dict, List, Optional

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


def start_server(certs: Optional[tuple[str, str]]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    argv = [sys.executable, os.path.join(HERE, "echo_server.py"), "--port", str(port)]
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "python-roundtrip", "seconds": seconds, "rounds": rounds,
                       "server": "bindings-python/bench/echo_server.py (wsengine.asyncio)",
                       "python": platform.python_version(), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
