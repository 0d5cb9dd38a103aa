"""An echo server for the Autobahn testsuite's fuzzing client (asyncio, wsengine).

    python examples/autobahn_server.py [--host 127.0.0.1] [--port 9002]

The echo server of echo_server.py with the large limits the testsuite expects (section 9
sends 16 MiB messages) and permessage-deflate on; every text and binary message goes back as
it came, on any path. Point `wstest -m fuzzingclient` at ws://127.0.0.1:9002;
`tests/conformance/run.sh` tests it too.
"""

from __future__ import annotations

import argparse
import asyncio

import wsengine
from echo_server import EchoProtocol


class AutobahnEcho(EchoProtocol):
    http_answer = (404, [("Content-Type", "text/plain")], b"WebSocket only\n")


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
