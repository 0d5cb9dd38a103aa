#!/usr/bin/env python3
"""Self-test of the fuzzing server: it must judge permessage-deflate negotiation as strictly as
Autobahn|Testsuite 0.8.2, whose accept functions answer `client_max_window_bits=N` with exactly
the N of the case, whatever value the client offered (README.md, "permessage-deflate as
Autobahn|Testsuite 0.8.2 negotiates it").

A client we did not write, Python `websockets`, offers `client_max_window_bits=12` (as wsengine's
client did before issue 12). It must refuse the answer 15 of 13.4.x and 13.6.x (FAILED, as
against the real suite) and pass 13.1.1, 13.3.1 (answer 9) and 13.7.1 (answer 9 first).

    python3 tests/conformance/selftest.py          # exit 1 if the runner is more lenient
"""

from __future__ import annotations

import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

EXPECTED = {"13.1.1": "OK", "13.3.1": "OK", "13.4.1": "FAILED", "13.6.1": "FAILED", "13.7.1": "OK"}


async def client(base: str, count: int) -> None:
    """Runs cases 1..count of the fuzzing server with a websockets client offering 12 bits."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    for n in range(1, count + 1):
        offer = ClientPerMessageDeflateFactory(server_max_window_bits=12, client_max_window_bits=12)
        try:
            async with connect("%s/runCase?case=%d&agent=selftest" % (base, n), extensions=[offer],
                               compression=None, max_size=None) as ws:
                async for message in ws:
                    await ws.send(message)
        except InvalidHandshake as e:  # the refused answer: websockets fails the connection
            print("case %d: websockets refused the handshake: %s" % (n, e))
    async with connect("%s/updateReports?agent=selftest" % base):
        pass


async def main() -> int:
    import conformance
    from cases import Scale, select

    cases = select(",".join(EXPECTED))
    fs = conformance.FuzzingServer(cases, Scale(full=False))
    server = await asyncio.start_server(fs.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proc = await asyncio.create_subprocess_exec(sys.executable, os.path.abspath(__file__), "--client",
                                                "ws://127.0.0.1:%d" % port, str(len(cases)))
    rc = await asyncio.wait_for(proc.wait(), 120)
    server.close()
    bad = rc != 0
    for case in cases:
        got = fs.results.get(case.id, {}).get("result", "not run")
        ok = got == EXPECTED[case.id]
        bad |= not ok
        print("%-7s %-7s (expected %s) %s" % (case.id, got, EXPECTED[case.id], "" if ok else "<- WRONG"))
    print("selftest: the fuzzing server is %s" % ("NOT as strict as Autobahn 0.8.2" if bad else "as strict as Autobahn 0.8.2"))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        asyncio.run(client(sys.argv[2], int(sys.argv[3])))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
