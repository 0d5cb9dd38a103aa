"""The echo server of the round-trip benchmark (roundtrip.py): wsengine.asyncio serve(), no
compression, in its own process; TLS when given a certificate.

    python bench/echo_server.py --port PORT [--certfile cert.pem --keyfile key.pem]

Prints "echo server on ws(s)://127.0.0.1:PORT/" once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from typing import Optional

from wsengine.asyncio import ServerConnection, serve


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def main(port: int, context: Optional[ssl.SSLContext]) -> None:
    async with serve(echo, "127.0.0.1", port, ssl=context, compression=None, max_size=None,
                     ping_interval=None) as server:
        scheme = "wss" if context else "ws"
        print(f"echo server on {scheme}://127.0.0.1:{port}/", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    context = None
    if args.certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.certfile, args.keyfile)
    asyncio.run(main(args.port, context))
