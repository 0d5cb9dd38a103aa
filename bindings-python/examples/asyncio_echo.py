"""A WebSocket echo server on wsengine.asyncio (the websockets-style API).

    python examples/asyncio_echo.py [--host 127.0.0.1] [--port 8765] [--max-size BYTES] [--no-deflate]

Every text or binary message is sent back as it came; a plain HTTP request gets a short text
answer (a health check through process_request). The handler is the whole application:
the engine and wsengine.asyncio own the socket, the clock and the write loop.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Optional

from wsengine.asyncio import Request, Response, ServerConnection, serve


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def health_check(ws: ServerConnection, request: Request) -> Optional[Response]:
    """Plain HTTP requests (not upgrades) get a text answer instead of 426."""
    if "upgrade" not in request.headers.get("Connection", "").lower():
        return ws.respond(200, "wsengine asyncio echo server\n")
    return None


async def main(host: str, port: int, max_size: int, deflate: bool) -> None:
    async with serve(echo, host, port, max_size=max_size, compression="deflate" if deflate else None,
                     process_request=health_check, backlog=4096) as server:
        print(f"asyncio echo server on ws://{host}:{port}/", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-size", type=int, default=64 << 20, help="largest message accepted")
    parser.add_argument("--no-deflate", action="store_true", help="do not accept permessage-deflate")
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port, args.max_size, not args.no_deflate))
    except KeyboardInterrupt:
        pass
