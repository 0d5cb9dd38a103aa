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
            if data is None:
                pass
            elif data:
                conn.receive_data(data)
            else:
                conn.receive_eof()
            conn.handle_timeout(int(loop.time() * 1000))
            for event in conn.events():
                match event:
                    case wsengine.TextMessage(data=text):
                        if first is None:
                            first = text
                        if echo:
                            conn.send_text(text)
                    case wsengine.BinaryMessage(data=payload):
                        if echo:
                            conn.send_binary(payload)
                    case _:
                        pass
    except ConnectionError:
        pass
    finally:
        writer.close()
    return first


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
