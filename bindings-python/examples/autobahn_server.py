"""An echo server for the Autobahn testsuite's fuzzing client (asyncio, wsengine).

    python examples/autobahn_server.py [--host 127.0.0.1] [--port 9002]

Every text and binary message goes back as it came, on any path, with the large limits the
testsuite expects (section 9 sends 16 MiB messages) and permessage-deflate on. Point
`wstest -m fuzzingclient` at ws://127.0.0.1:9002; `tests/conformance/run.sh` tests it too.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Optional

import wsengine


class AutobahnEcho(asyncio.Protocol):
    def __init__(self, config: wsengine.Config) -> None:
        self.conn = wsengine.ServerConnection(config)
        self.loop = asyncio.get_running_loop()
        self.transport: Optional[asyncio.Transport] = None
        self.timer: Optional[asyncio.TimerHandle] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.on_timer()

    def data_received(self, data: bytes) -> None:
        self.conn.handle_timeout(self.now_ms())
        self.handle(self.conn.receive(data))

    def eof_received(self) -> bool:
        self.conn.receive_eof()
        self.handle(self.conn.events())
        return False

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.timer is not None:
            self.timer.cancel()

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
                    self.conn.respond(404, [("Content-Type", "text/plain")], b"WebSocket only\n")
                # A message can arrive in the same read as a frame that failed the
                # connection: answer only while it is open.
                case wsengine.TextMessage(data=text) if self.conn.state == wsengine.State.OPEN:
                    self.conn.send_text(text)
                case wsengine.BinaryMessage(data=data) if self.conn.state == wsengine.State.OPEN:
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
            self.transport.close()
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        deadline = self.conn.next_timeout()
        if deadline is not None:
            self.timer = self.loop.call_at(deadline / 1000, self.on_timer)


async def main(host: str, port: int) -> None:
    config = wsengine.Config(
        max_message_size=64 << 20,
        max_frame_size=64 << 20,
        max_output_buffer=256 << 20,
        deflate=wsengine.DeflateConfig(),
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: AutobahnEcho(config), host, port)
    print(f"wsengine Autobahn echo server on ws://{host}:{port}/", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9002)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
