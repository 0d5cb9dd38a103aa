"""The Python reference peer of the end-to-end benchmarks: a plain `websockets` (asyncio API)
echo server, written the way its documentation shows one.

    python websockets_echo.py --port 8765 [--host 127.0.0.1] [--tls CERT KEY]

Every message is sent back as it came, at any path. Compression is off, as on every server of
the comparison (the load generator offers no extension anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from typing import Optional

from websockets.asyncio.server import ServerConnection, serve


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def main(host: str, port: int, tls: Optional[ssl.SSLContext]) -> None:
    async with serve(echo, host, port, ssl=tls, compression=None, max_size=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve wss:// with this certificate")
    args = parser.parse_args()
    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
    asyncio.run(main(args.host, args.port, context))
