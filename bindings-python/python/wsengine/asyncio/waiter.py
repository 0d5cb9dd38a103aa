"""Waking the task that waits in ``recv()``, at once when the read allows it.

``recv()`` waits on a plain asyncio Future. An asyncio Future runs its callbacks (the waiting
task's wake-up) with ``loop.call_soon``: the task resumes on the loop's next iteration, one
more ``epoll_wait`` and pass through the ready queue per message. When a read brings exactly
one message and no task is running (the read is a loop callback), the connection wakes the
task inside the read instead (``wake(future, now=True)``), as a callback-style library
(picows) answers inside its frame callback: the handler's answer is written in the same
iteration. A read with more messages wakes the task the usual way, so the answers to a burst
still go out in one write.

Waking now takes the Future's callbacks off it, completes it (so nothing is scheduled) and runs
them, each in its own context, as the loop would have. The Future stays a real asyncio Future,
so the Task's own fast paths for one (C code, no method calls) apply every time it waits.
"""

from __future__ import annotations

import asyncio

__all__ = ["wake"]


def wake(future: "asyncio.Future[None]", now: bool = False) -> None:
    """Completes ``future`` with None (nothing if it is done already). With ``now``, its
    callbacks run within this call, unless a task is running (the woken task cannot run
    inside another): then, as without ``now``, on the loop's next iteration."""
    if future.done():
        return
    callbacks = getattr(future, "_callbacks", None) if now else None
    if not callbacks or asyncio.current_task(future.get_loop()) is not None:
        future.set_result(None)
        return
    callbacks = list(callbacks)
    for callback, _ in callbacks:
        future.remove_done_callback(callback)
    future.set_result(None)
    for i, (callback, context) in enumerate(callbacks):
        try:
            context.run(callback, future)
        except (SystemExit, KeyboardInterrupt):
            # As the loop: these stop it; the other callbacks still run when it goes on.
            loop = future.get_loop()
            for later, later_context in callbacks[i + 1:]:
                loop.call_soon(later, future, context=later_context)
            raise
        except BaseException as exc:  # as the loop: reported, and the others run
            future.get_loop().call_exception_handler({
                "message": f"Exception in callback {callback!r}", "exception": exc, "future": future})
