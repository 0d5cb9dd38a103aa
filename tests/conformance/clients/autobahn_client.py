"""An Autobahn fuzzingserver client on the Python binding (asyncio streams).

    python tests/conformance/clients/autobahn_client.py [--url ws://127.0.0.1:9001] [--agent wsengine-python]

GET /getCaseCount, then /runCase?case=N&agent=A for every case (echoing every message until
the server closes), then /updateReports?agent=A. permessage-deflate is offered.
"""

from __future__ import annotations

import argparse
import asyncio
import urllib.parse
from typing import Optional

import wsengine

CONFIG = wsengine.Config(max_message_size=64 << 20, max_frame_size=64 << 20, max_output_buffer=256 << 20, deflate=True)


async def session(url: str, echo: bool) -> Optional[str]:
    """One connection; returns the first text message received."""
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    loop = asyncio.get_running_loop()
    conn = wsengine.ClientConnection(url, CONFIG)
    first: Optional[str] = None
    conn.handle_timeout(int(loop.time() * 1000))
    eof = False
    try:
        while True:
            out = conn.data_to_send()
            if out:
                writer.write(out)
                await writer.drain()
            if conn.state == wsengine.State.CLOSED:
                break
            deadline = conn.next_timeout()
            timeout = None if deadline is None else max(0.0, deadline / 1000 - loop.time())
            try:
                data = await asyncio.wait_for(reader.read(1 << 18), timeout)
            except asyncio.TimeoutError:
                data = None
            conn.handle_timeout(int(loop.time() * 1000))
            if data is None:
                events = conn.events()
            elif data:
                events = conn.receive(data)
            else:
                eof = True
                conn.receive_eof()
                events = conn.events()
            for event in events:
                match event:
                    case wsengine.TextMessage(data=text):
                        if first is None:
                            first = text
                        # A message can come in the same read as the server's close or a
                        # frame that failed the connection: it can still be answered.
                        if echo and conn.can_send:
                            conn.send_text(text)
                    case wsengine.BinaryMessage(data=payload):
                        if echo and conn.can_send:
                            conn.send_binary(payload)
                    case _:
                        pass
        if not eof:
            await linger(reader, writer)
    except ConnectionError:
        pass
    finally:
        writer.close()
    return first


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seconds: float = 2.0) -> None:
    """Half-closes, then discards input until the server's EOF: closing a socket with unread
    input sends a reset, which can make the server lose what we sent last (the close frame
    after a protocol error, while the server is still sending octet by octet)."""
    if writer.can_write_eof():
        writer.write_eof()
    end = asyncio.get_running_loop().time() + seconds
    while True:
        left = end - asyncio.get_running_loop().time()
        if left <= 0:
            return
        try:
            if not await asyncio.wait_for(reader.read(1 << 16), left):
                return
        except asyncio.TimeoutError:
            return


async def main(base: str, agent: str) -> int:
    count = await session(base + "/getCaseCount", False)
    if count is None or not count.strip().isdigit():
        print("getCaseCount: no answer")
        return 1
    for n in range(1, int(count) + 1):
        await session("%s/runCase?case=%d&agent=%s" % (base, n, agent), True)
    await session("%s/updateReports?agent=%s" % (base, agent), False)
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="ws://127.0.0.1:9001")
    ap.add_argument("--agent", default="wsengine-python")
    args = ap.parse_args()
    raise SystemExit(asyncio.run(main(args.url.rstrip("/"), args.agent)))
