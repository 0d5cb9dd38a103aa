"""Checks an installed wsengine (wheel or sdist) as a user gets it: the version, then a
client on the sans-IO engine over asyncio streams echoes a text and a binary message through
a `websockets` server (a peer we did not write) and closes cleanly.

usage: python check_python.py <expected version>
"""

import asyncio
import sys

import wsengine
from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def client(port: int) -> list:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = wsengine.ClientConnection(f"ws://127.0.0.1:{port}/echo")
    got = []
    sent = False
    while conn.state != wsengine.State.CLOSED:
        out = conn.data_to_send()
        if out:
            writer.write(out)
            await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 10)
        if data:
            events = conn.receive(data)
        else:
            conn.receive_eof()
            events = conn.events()
        for event in events:
            if isinstance(event, wsengine.Open) and not sent:
                conn.send_text("héllo from wsengine")
                conn.send_binary(b"\x00\x01\x02\xff")
                sent = True
            elif isinstance(event, (wsengine.TextMessage, wsengine.BinaryMessage)):
                got.append(event.data)
                if len(got) == 2:
                    conn.close(1000, "done")
            elif isinstance(event, wsengine.Failed):
                raise SystemExit(f"connection failed: {event!r}")
    writer.write(conn.data_to_send())
    writer.close()
    info = conn.close_info
    assert info is not None and info.was_clean and info.code == 1000, info
    return got


async def main() -> None:
    expected = sys.argv[1]
    assert wsengine.__version__ == expected, (wsengine.__version__, expected)
    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        got = await client(port)
    assert got == ["héllo from wsengine", b"\x00\x01\x02\xff"], got
    print(f"wsengine {wsengine.__version__} from {wsengine.__file__}: echo through websockets ok")


asyncio.run(main())
