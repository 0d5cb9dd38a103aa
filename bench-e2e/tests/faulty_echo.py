"""An echo server (on the `websockets` library) that misbehaves once, on purpose: the smoke test
(bench-e2e/smoke.sh) checks that wsengine-loadgen catches every kind of fault and fails.

    python3 faulty_echo.py PORT corrupt|drop|close|type|late-ping [N]

After N messages (default 50) on a connection, the next one is: altered in one byte (corrupt),
not echoed (drop), answered with close 1011 (close), or echoed as the other type (type).
late-ping: no fault; a ping before each echo from message N on, which the client must answer
(the connection fails if a pong is missing by the next ping).
"""
from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve


def handler(fault: str, after: int):
    async def echo(ws: ServerConnection) -> None:
        count = 0
        async for message in ws:
            count += 1
            if count == after + 1 and fault != "late-ping":
                if fault == "corrupt":
                    data = bytearray(message.encode() if isinstance(message, str) else message)
                    data[len(data) // 2] ^= 0x01
                    message = bytes(data).decode() if isinstance(message, str) else bytes(data)
                elif fault == "drop":
                    continue
                elif fault == "close":
                    await ws.close(1011, "fault injected")
                    return
                elif fault == "type":
                    message = message.encode() if isinstance(message, str) else message.decode()
            if fault == "late-ping" and count > after:
                # Waits for the pong: a client that never answers stalls, then fails the run.
                await asyncio.wait_for(await ws.ping(), 5)
            await ws.send(message)

    return echo


async def main(port: int, fault: str, after: int) -> None:
    async with serve(handler(fault, after), "127.0.0.1", port, compression=None, max_size=None,
                     ping_interval=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    port, fault = int(sys.argv[1]), sys.argv[2]
    assert fault in ("corrupt", "drop", "close", "type", "late-ping"), fault
    asyncio.run(main(port, fault, int(sys.argv[3]) if len(sys.argv) > 3 else 50))
