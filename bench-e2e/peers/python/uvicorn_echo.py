"""A raw-ASGI echo app under uvicorn for the end-to-end benchmarks, with the WebSocket
implementation given on the command line: uvicorn's "websockets", "wsproto", or wsengine's
"wsengine.uvicorn:WebSocketProtocol". The app is the same for all three.

    python uvicorn_echo.py --port 8765 --ws wsproto [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
from typing import Any, Awaitable, Callable, Dict

import uvicorn

Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]


async def app(scope: Dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ws", required=True, help='"websockets", "wsproto" or "module:Class"')
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, ws=args.ws, lifespan="off", log_level="warning",
                ws_per_message_deflate=False, ws_max_size=1 << 30)
