"""An asyncio WebSocket echo server on wsengine (loop.create_server + asyncio.Protocol).

    python examples/echo_server.py [--host 127.0.0.1] [--port 8765]

Every text or binary message is sent back as it came. A plain HTTP request gets a short
text answer. The engine does no I/O: this file owns the socket and the clock.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Optional

import wsengine


class EchoProtocol(asyncio.Protocol):
    #: The answer to a plain HTTP request (not an upgrade): status, headers, body.
    http_answer: tuple[int, list[tuple[str, str]], bytes] = (
        200,
        [("Content-Type", "text/plain")],
        b"wsengine echo server\n",
    )

    def __init__(self, config: wsengine.Config) -> None:
        self.conn = wsengine.ServerConnection(config)
        self.loop = asyncio.get_running_loop()
        self.transport: Optional[asyncio.Transport] = None
        self.timer: Optional[asyncio.TimerHandle] = None
        self.closing = False

    # ---- transport callbacks ----

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.on_timer()  # starts the engine's clock (handshake timeout)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return  # the connection is closed: input is discarded until the peer's EOF
        self.handle(self.conn.receive(data))

    def eof_received(self) -> bool:
        if self.closing:
            return False
        self.conn.receive_eof()
        self.handle(self.conn.events())
        return False

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.timer is not None:
            self.timer.cancel()

    # ---- engine ----

    def now_ms(self) -> int:
        return int(self.loop.time() * 1000)

    def on_timer(self) -> None:
        self.conn.handle_timeout(self.now_ms())
        self.handle(self.conn.events())

    def handle(self, events: list[wsengine.Event]) -> None:
        closed = False
        for event in events:
            match event:
                case wsengine.Request():
                    self.conn.accept()
                case wsengine.HttpRequest():
                    self.conn.respond(*self.http_answer)
                # A message can arrive in the same read as the peer's close or a frame that
                # failed the connection: it can still be answered (before our close frame).
                case wsengine.TextMessage(data=text) if self.conn.can_send:
                    self.conn.send_text(text)
                case wsengine.BinaryMessage(data=data) if self.conn.can_send:
                    self.conn.send_binary(data)
                case wsengine.Closed():
                    closed = True
                case _:
                    pass
        assert self.transport is not None
        out = self.conn.data_to_send()
        if out:
            self.transport.write(out)
        if closed:
            self.close_transport()
            return
        self.schedule()

    def close_transport(self) -> None:
        """Half-closes after what is queued, then discards input until the peer's EOF (at most
        2 s). Closing a socket with unread input sends a reset, and a reset can destroy what
        we sent last -- the close frame after a protocol error -- before the peer reads it."""
        assert self.transport is not None
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(2.0, self.transport.close)
        else:
            self.transport.close()

    def schedule(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        deadline = self.conn.next_timeout()
        if deadline is not None:
            self.timer = self.loop.call_at(deadline / 1000, self.on_timer)


async def main(host: str, port: int) -> None:
    config = wsengine.Config(max_message_size=64 << 20, max_frame_size=64 << 20)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: EchoProtocol(config), host, port)
    print(f"echo server on ws://{host}:{port}/", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
