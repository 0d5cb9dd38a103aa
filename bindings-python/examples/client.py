"""An asyncio WebSocket client on wsengine (asyncio streams).

    python examples/client.py [ws://127.0.0.1:8765/] [message ...]

Connects, sends each message (default: a greeting), prints what comes back, then closes
the connection cleanly. Works against examples/echo_server.py or any echo server.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.parse
from typing import Optional

import wsengine


class Client:
    """A minimal driver: the engine decides, this class moves bytes and time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = wsengine.ClientConnection(url)
        self.loop = asyncio.get_running_loop()
        self.reader: Optional[asyncio.StreamReader] = None
        self.writer: Optional[asyncio.StreamWriter] = None

    def now_ms(self) -> int:
        return int(self.loop.time() * 1000)

    async def connect(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme != "ws":
            raise SystemExit("this example speaks ws:// only (wss:// needs an ssl context)")
        self.reader, self.writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        self.conn.handle_timeout(self.now_ms())
        await self.flush()
        events = await self.next_events()
        for event in events:
            if isinstance(event, wsengine.Rejected):
                raise SystemExit(f"server refused: {event.status} {event.reason}")
            if isinstance(event, wsengine.Failed):
                raise event.error

    async def flush(self) -> None:
        assert self.writer is not None
        out = self.conn.data_to_send()
        if out:
            self.writer.write(out)
            await self.writer.drain()

    async def next_events(self) -> list[wsengine.Event]:
        """Reads until the engine has something to say (or the connection is closed)."""
        assert self.reader is not None
        while True:
            deadline = self.conn.next_timeout()
            timeout = None if deadline is None else max(0.0, deadline / 1000 - self.loop.time())
            try:
                data = await asyncio.wait_for(self.reader.read(65536), timeout)
            except asyncio.TimeoutError:
                data = None
            if data is None:
                self.conn.handle_timeout(self.now_ms())
            elif data:
                self.conn.receive_data(data)
            else:
                self.conn.receive_eof()
            events = self.conn.events()
            await self.flush()
            if events or self.conn.state == wsengine.State.CLOSED:
                return events

    async def close(self) -> Optional[wsengine.CloseInfo]:
        self.conn.close(1000, "bye")
        await self.flush()
        while self.conn.state != wsengine.State.CLOSED:
            await self.next_events()
        assert self.writer is not None
        self.writer.close()
        return self.conn.close_info


async def main(url: str, messages: list[str]) -> None:
    client = Client(url)
    await client.connect()
    print(f"connected to {url}")
    for message in messages:
        client.conn.send_text(message)
        await client.flush()
        answered = False
        while not answered:
            for event in await client.next_events():
                match event:
                    case wsengine.TextMessage(data=text):
                        print(f"< {text}")
                        answered = True
                    case wsengine.BinaryMessage(data=data):
                        print(f"< {len(data)} bytes")
                        answered = True
                    case wsengine.Closed(code=code, reason=reason):
                        raise SystemExit(f"closed by the server: {code} {reason}")
                    case _:
                        pass
    info = await client.close()
    print(f"closed: {info}")


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8765/"
    texts = sys.argv[2:] or ["Hello, wsengine!"]
    asyncio.run(main(target, texts))
