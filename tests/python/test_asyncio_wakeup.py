"""How wsengine.asyncio reads and wakes recv(), against `websockets` peers over 127.0.0.1.

A read holding one message resumes the task waiting in recv() within that read (see
wsengine/asyncio/waiter.py), not on the loop's next iteration; reads go into one buffer
shared by the thread's connections (the engine's own socket reads, or a BufferedProtocol's
under asyncio's transports). The handler must not notice either: its task, its context variables, cancellation and errors behave as with an asyncio Future,
and messages of every size on concurrent connections arrive byte-exact."""

from __future__ import annotations

import asyncio
import contextvars
import os
import random
from typing import Any, List, Optional

import websockets
from websockets.asyncio.client import connect as ws_connect

from wsengine.asyncio import ServerConnection, connect, serve

TIMEOUT = 30.0
VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 3 * TIMEOUT))


def port_of(server: Any) -> int:
    return int(server.sockets[0].getsockname()[1])


def test_a_woken_handler_keeps_its_task_and_context_and_its_errors_close_with_1011() -> None:
    seen: List[Any] = []

    async def handler(ws: ServerConnection) -> None:
        VAR.set("handler")
        task = asyncio.current_task()
        for _ in range(3):
            message = await ws.recv()
            seen.append((message, VAR.get(), asyncio.current_task() is task))
            await ws.send(message)
        raise RuntimeError("the handler fails after three answers")

    async def main() -> Optional[int]:
        async with serve(handler, "127.0.0.1", 0) as server:
            async with ws_connect(f"ws://127.0.0.1:{port_of(server)}/") as client:
                for text in ("one", "two", "three"):
                    await client.send(text)
                    assert await client.recv() == text  # one message per read: woken at once
                try:
                    await client.recv()
                except websockets.ConnectionClosedError as exc:
                    return exc.rcvd.code if exc.rcvd else None
        return None

    assert run(main()) == 1011
    assert seen == [("one", "handler", True), ("two", "handler", True), ("three", "handler", True)]


def test_a_cancelled_recv_leaves_the_connection_usable() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> List[Any]:
        got: List[Any] = []
        async with serve(handler, "127.0.0.1", 0) as server:
            async with connect(f"ws://127.0.0.1:{port_of(server)}/") as ws:
                try:
                    await asyncio.wait_for(ws.recv(), 0.05)  # nothing comes: cancelled
                except asyncio.TimeoutError:
                    got.append("timeout")
                waiting = asyncio.ensure_future(ws.recv())
                await asyncio.sleep(0.01)
                waiting.cancel()  # cancelled while waiting, explicitly
                try:
                    await waiting
                except asyncio.CancelledError:
                    got.append("cancelled")
                await ws.send("after")
                got.append(await ws.recv())
                await ws.send(b"\x00\x01")
                got.append(await ws.recv())
        return got

    assert run(main()) == ["timeout", "cancelled", "after", b"\x00\x01"]


def test_concurrent_connections_share_the_read_buffer_and_lose_nothing() -> None:
    """Two clients on one loop (wsengine.asyncio and websockets) send messages of every size
    at once to an echo server; each gets back exactly what it sent, in order."""

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    def payloads(seed: int) -> List[Any]:
        rng = random.Random(seed)
        out: List[Any] = []
        for i in range(150):
            n = rng.choice([0, 1, 125, 126, 4000, 65535, 65536, 300_000, 1 << 20])
            out.append(os.urandom(n) if i % 2 else "é" * (n // 2))
        return out

    async def echoed(open_client: Any, url: str, messages: List[Any]) -> List[Any]:
        async with open_client(url, max_size=None) as ws:
            async def send_all() -> None:
                for m in messages:
                    await ws.send(m)
            sender = asyncio.ensure_future(send_all())
            got = [await ws.recv() for _ in messages]
            await sender
            return got

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
            url = f"ws://127.0.0.1:{port_of(server)}/"
            a, b = payloads(1), payloads(2)
            got_a, got_b = await asyncio.gather(echoed(connect, url, a), echoed(ws_connect, url, b))
            assert got_a == a
            assert got_b == b

    run(main())


def test_wake_resumes_its_task_inside_the_call_or_on_the_next_iteration() -> None:
    from wsengine.asyncio.waiter import wake

    async def main() -> List[str]:
        loop = asyncio.get_running_loop()
        log: List[str] = []

        async def waiting(w: "asyncio.Future[None]", name: str) -> None:
            await w
            log.append(f"{name} resumed")

        now, later = loop.create_future(), loop.create_future()
        tasks = [asyncio.ensure_future(waiting(now, "now")), asyncio.ensure_future(waiting(later, "later"))]
        await asyncio.sleep(0)  # both tasks wait
        seen: List[Optional[str]] = []
        marker: "contextvars.ContextVar[str]" = contextvars.ContextVar("marker")
        now.add_done_callback(lambda f: seen.append(marker.get(None)), context=contextvars.copy_context())
        marker.set("the read's context")

        def read_callback() -> None:  # as a protocol's read: a loop callback, no task running
            wake(now, True)
            log.append("after wake(True)")
            wake(later)
            log.append("after wake()")
            wake(now, True)  # done already: nothing more

        loop.call_soon(read_callback)
        await asyncio.gather(*tasks)
        assert seen == [None]  # each callback ran in the context it was added with
        assert now.result() is None and later.result() is None
        return log

    assert run(main()) == ["now resumed", "after wake(True)", "after wake()", "later resumed"]


def test_wake_inside_a_task_or_with_a_failing_callback_still_resumes_every_waiter() -> None:
    """wake(now=True) called while a task runs wakes the waiter on the next iteration (a task
    cannot run inside another); a callback that raises is reported as the loop reports it and
    does not keep the others from running."""
    from wsengine.asyncio.waiter import wake

    async def main() -> List[str]:
        loop = asyncio.get_running_loop()
        log: List[str] = []
        first: "asyncio.Future[None]" = loop.create_future()

        async def waiting() -> None:
            await first
            log.append("task resumed")

        task = asyncio.ensure_future(waiting())
        await asyncio.sleep(0)
        wake(first, True)  # from inside this task
        log.append("after wake")
        await task

        second: "asyncio.Future[None]" = loop.create_future()

        def failing(_: Any) -> None:
            raise ValueError("callback failed")

        second.add_done_callback(failing)
        second.add_done_callback(lambda _: log.append("next callback ran"))
        reported: List[str] = []
        loop.set_exception_handler(lambda _, context: reported.append(str(context.get("exception"))))
        loop.call_soon(wake, second, True)  # from a loop callback, as a read
        await asyncio.sleep(0.01)
        assert reported == ["callback failed"]  # reported as the loop reports it, not raised
        return log

    assert run(main()) == ["after wake", "task resumed", "next callback ran"]
