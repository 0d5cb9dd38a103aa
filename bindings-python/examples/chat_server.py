"""An asyncio chat server on wsengine (asyncio.start_server streams).

    python examples/chat_server.py [--host 127.0.0.1] [--port 8766]

Open http://127.0.0.1:8766/ in a browser for a tiny chat page; every text message a
client sends is broadcast to every connected client. Slow clients whose output queue
passes the engine's high-water mark are disconnected with 1008.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Optional

import wsengine

PAGE = b"""<!doctype html><meta charset=utf-8><title>wsengine chat</title>
<pre id=log></pre><input id=msg autofocus placeholder="say something, press Enter">
<script>
const ws = new WebSocket(`ws://${location.host}/chat`);
const log = (t) => document.getElementById('log').textContent += t + '\\n';
ws.onmessage = (e) => log(e.data);
ws.onclose = (e) => log(`closed ${e.code} ${e.reason}`);
document.getElementById('msg').onkeydown = (e) => {
  if (e.key === 'Enter') { ws.send(e.target.value); e.target.value = ''; }
};
</script>
"""


class Peer:
    def __init__(self, room: "Room", writer: asyncio.StreamWriter) -> None:
        self.room = room
        self.writer = writer
        self.conn = wsengine.ServerConnection(room.config)
        self.name = "?"

    def flush(self) -> None:
        out = self.conn.data_to_send()
        if out and not self.writer.is_closing():
            self.writer.write(out)


class Room:
    def __init__(self) -> None:
        self.config = wsengine.Config(ping_interval=20_000, idle_timeout=120_000, max_message_size=64 * 1024)
        self.peers: set[Peer] = set()
        self.loop = asyncio.get_running_loop()
        self.counter = 0

    def now_ms(self) -> int:
        return int(self.loop.time() * 1000)

    def broadcast(self, text: str) -> None:
        for peer in list(self.peers):
            if peer.conn.state != wsengine.State.OPEN:
                continue
            if not peer.conn.is_writable:
                peer.conn.close_with(1008, "too slow")
            else:
                peer.conn.send_text(text)
            peer.flush()

    def handle(self, peer: Peer, events: list[wsengine.Event]) -> bool:
        """Acts on events; returns False when the connection is over."""
        alive = True
        while events:
            for event in events:
                match event:
                    case wsengine.Request(path="/chat"):
                        peer.conn.accept()
                    case wsengine.Request():
                        peer.conn.reject(404, body=b"no such chat room\n")
                    case wsengine.HttpRequest(path="/"):
                        peer.conn.respond(200, [("Content-Type", "text/html; charset=utf-8")], PAGE)
                    case wsengine.HttpRequest():
                        peer.conn.respond(404, body=b"not found\n")
                    case wsengine.Open():
                        self.counter += 1
                        peer.name = f"user{self.counter}"
                        self.peers.add(peer)
                        self.broadcast(f"* {peer.name} joined")
                    case wsengine.TextMessage(data=text):
                        self.broadcast(f"{peer.name}: {text}")
                    case wsengine.Closed():
                        alive = False
                    case _:
                        pass
            # accept() queues Open: it is in the next events().
            events = peer.conn.events()
        peer.flush()
        if not alive and peer in self.peers:
            self.peers.discard(peer)
            self.broadcast(f"* {peer.name} left")
        return alive

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(self, writer)
        conn = peer.conn
        conn.handle_timeout(self.now_ms())
        try:
            while True:
                deadline = conn.next_timeout()
                timeout: Optional[float] = None if deadline is None else max(0.0, deadline / 1000 - self.loop.time())
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout)
                except asyncio.TimeoutError:
                    conn.handle_timeout(self.now_ms())
                    events = conn.events()
                else:
                    if data:
                        events = conn.receive(data)
                    else:
                        conn.receive_eof()
                        events = conn.events()
                if not self.handle(peer, events):
                    break
                await writer.drain()
        except ConnectionError:
            conn.receive_eof()
            self.handle(peer, conn.events())
        finally:
            self.peers.discard(peer)
            await linger(reader, writer)
            writer.close()


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-closes, then discards input until the peer's EOF (at most 2 s): closing a socket
    with unread input sends a reset, which can destroy our close frame before it is read."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 2.0
    try:
        if writer.can_write_eof() and not writer.is_closing():
            writer.write_eof()
        while end > loop.time():
            if not await asyncio.wait_for(reader.read(65536), end - loop.time()):
                break
    except (ConnectionError, asyncio.TimeoutError):
        pass


async def main(host: str, port: int) -> None:
    room = Room()
    server = await asyncio.start_server(room.serve, host, port)
    print(f"chat on http://{host}:{port}/ (WebSocket at ws://{host}:{port}/chat)", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
