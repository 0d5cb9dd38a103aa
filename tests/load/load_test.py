"""Load: 10,000 concurrent loopback connections to a server built on the Python binding.

    target/python-venv/bin/python tests/load/load_test.py [--connections 10000] [--messages 5]

The server is the binding's wsengine.asyncio example, bindings-python/examples/asyncio_echo.py
(serve() with a handler task per connection), run as its own process. The clients are the `websockets` library (not our code), all in one asyncio
process: every connection is opened and held, then each sends sequence-numbered messages
(text and binary, alternating) and checks that every echo comes back, complete and in order,
then closes with 1000 and checks the close handshake. Memory per idle connection is the
server's resident-set growth between "listening, one connection served" and "every connection
open and idle", divided by the number of connections; the server's open sockets are counted
from /proc at that moment to prove they are held concurrently.

Exits non-zero on any lost, duplicated, reordered or altered message, any connection that fails
or any unclean close. 127.0.0.1 only; stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import time

from websockets.asyncio.client import ClientConnection, connect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVER = os.path.join(ROOT, "bindings-python", "examples", "asyncio_echo.py")
# The server runs with its file-descriptor limit raised to the hard limit, like a deployment would.
LAUNCH = (
    "import resource, runpy, sys; "
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"load_test: the hard limit on open files is {hard}; {needed} are needed (ulimit -Hn)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def open_sockets(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def payload(conn_id: int, seq: int) -> str | bytes:
    text = f"{conn_id}:{seq}:" + "x" * (seq * 7 % 50)
    return text if seq % 2 == 0 else text.encode()


async def exchange(ws: ClientConnection, conn_id: int, messages: int) -> None:
    for seq in range(messages):
        await ws.send(payload(conn_id, seq))
    for seq in range(messages):
        got = await ws.recv()
        want = payload(conn_id, seq)
        if got != want:
            raise AssertionError(f"connection {conn_id}: echo {seq} is {got!r}, expected {want!r}")


async def close(ws: ClientConnection, conn_id: int) -> None:
    await ws.close(1000)
    if ws.close_code != 1000 or ws.protocol.close_rcvd is None or ws.protocol.close_rcvd.code != 1000:
        raise AssertionError(f"connection {conn_id}: close {ws.close_code}, server said {ws.protocol.close_rcvd}")


async def in_batches(coros: list, batch: int) -> list:
    out = []
    for i in range(0, len(coros), batch):
        out += await asyncio.gather(*coros[i : i + batch])
    return out


async def run(port: int, server_pid: int, n: int, messages: int) -> dict[str, float]:
    url = f"ws://127.0.0.1:{port}/"

    def dial() -> "asyncio.Future[ClientConnection]":
        return connect(url, ping_interval=None, compression=None, open_timeout=60, close_timeout=30, max_queue=None)

    # One connection served first, so the code paths the server needs are loaded and warm.
    warm = await dial()
    await exchange(warm, -1, 2)
    await close(warm, -1)
    await asyncio.sleep(0.5)
    base_kib = rss_kib(server_pid)
    base_sockets = open_sockets(server_pid)  # the listener and the event loop's own socket pair

    t0 = time.monotonic()
    conns: list[ClientConnection] = await in_batches([dial() for _ in range(n)], 250)
    opened = time.monotonic() - t0
    await asyncio.sleep(1.0)  # every handshake answered, every connection idle
    held = open_sockets(server_pid) - base_sockets
    idle_kib = rss_kib(server_pid)
    if held < n:
        raise AssertionError(f"the server holds {held} sockets with {n} connections open")

    t1 = time.monotonic()
    await asyncio.gather(*(exchange(ws, i, messages) for i, ws in enumerate(conns)))
    exchanged = time.monotonic() - t1
    await in_batches([close(ws, i) for i, ws in enumerate(conns)], 1000)
    return {
        "opened_s": opened,
        "exchanged_s": exchanged,
        "held": held,
        "per_conn_bytes": (idle_kib - base_kib) * 1024 / n,
        "base_mib": base_kib / 1024,
        "idle_mib": idle_kib / 1024,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=5, help="messages per connection")
    args = ap.parse_args()
    raise_fd_limit(args.connections + 100)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", LAUNCH, SERVER, "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "echo server on ws://..." once it listens
        if "echo server" not in line:
            print(f"load_test: the server did not start: {line!r}", file=sys.stderr)
            return 1
        r = asyncio.run(asyncio.wait_for(run(port, server.pid, args.connections, args.messages), 600))
        if server.poll() is not None:
            print(f"load_test: the server exited ({server.returncode})", file=sys.stderr)
            return 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    total = args.connections * args.messages
    print(f"{args.connections} connections held at once by bindings-python/examples/{os.path.basename(SERVER)} "
          f"({r['held']:.0f} sockets open in the server), opened in {r['opened_s']:.1f} s")
    print(f"{total} sequence-numbered messages each way, every echo complete and in order, in {r['exchanged_s']:.1f} s; "
          f"every connection closed with 1000")
    print(f"server memory: {r['base_mib']:.1f} MiB listening, {r['idle_mib']:.1f} MiB with every connection idle: "
          f"{r['per_conn_bytes'] / 1024:.1f} KiB per idle connection (Python objects, transport, kernel-side "
          f"socket buffers not included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
