"""An Autobahn fuzzingserver client on wsengine.asyncio (connect(), async for, send()).

    python tests/conformance/clients/asyncio_client.py [--url ws://127.0.0.1:9001] [--agent wsengine-asyncio]

GET /getCaseCount, then /runCase?case=N&agent=A for every case (echoing every message until
the server closes), then /updateReports?agent=A. permessage-deflate is offered.
"""

from __future__ import annotations

import argparse
import asyncio

from wsengine.asyncio import ConnectionClosed, InvalidHandshake, connect

LIMIT = 64 << 20


async def run_case(url: str) -> None:
    try:
        async with connect(url, max_size=LIMIT, ping_interval=None, max_queue=64) as ws:
            async for message in ws:
                await ws.send(message)
    except (ConnectionClosed, InvalidHandshake, ConnectionError):
        pass  # the case's verdict is the fuzzing server's to give


async def main(url: str, agent: str) -> None:
    async with connect(f"{url}/getCaseCount", ping_interval=None) as ws:
        count = int(await ws.recv())
    for case in range(1, count + 1):
        await run_case(f"{url}/runCase?case={case}&agent={agent}")
    async with connect(f"{url}/updateReports?agent={agent}", ping_interval=None) as ws:
        try:
            await ws.recv()
        except ConnectionClosed:
            pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:9001")
    parser.add_argument("--agent", default="wsengine-asyncio")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.agent))
