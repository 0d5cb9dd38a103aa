"""A picows echo server for the end-to-end benchmarks, written the way picows' examples write
one: a WSListener whose on_ws_frame sends every data frame back as it came.

    python picows_echo.py --port 8765 [--host 127.0.0.1] [--tls CERT KEY]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from typing import Optional

from picows import WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server


class Echo(WSListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)


def listener(request: WSUpgradeRequest) -> WSListener:
    return Echo()


async def main(host: str, port: int, tls: Optional[ssl.SSLContext]) -> None:
    server = await ws_create_server(listener, host, port, ssl=tls, max_frame_size=1 << 30)
    await server.serve_forever()


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
    asyncio.run(main(args.host, args.port, context))
