"""An aiohttp echo server for the end-to-end benchmarks, as aiohttp's documentation writes
one: a WebSocketResponse handler that sends every message back as it came.

    python aiohttp_echo.py --port 8765 [--host 127.0.0.1] [--tls CERT KEY]
"""

from __future__ import annotations

import argparse
import ssl
from typing import Optional

from aiohttp import WSMsgType, web


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def main(host: str, port: int, tls: Optional[ssl.SSLContext]) -> None:
    app = web.Application()
    app.router.add_get("/{tail:.*}", echo)
    web.run_app(app, host=host, port=port, ssl_context=tls, print=None, access_log=None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    context = None
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
    main(args.host, args.port, context)
