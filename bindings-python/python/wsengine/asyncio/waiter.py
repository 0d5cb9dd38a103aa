"""The future ``recv()`` waits on: an asyncio Future-compatible object that can wake its task
at once.

An asyncio Future runs its callbacks (the waiting task's wake-up) with ``loop.call_soon``:
the task resumes on the loop's next iteration, one more ``epoll_wait`` and pass through the
ready queue per message. When a read brings exactly one message and no task is running (the
read is a loop callback), the connection wakes the task inside the read instead, as a
callback-style library (picows) answers inside its frame callback: the handler's answer is
written in the same iteration. A read with more messages wakes the task the usual way, so the
answers to a burst still go out in one write.

asyncio's Task accepts any object with the Future protocol (``_asyncio_future_blocking``,
``get_loop``, ``add_done_callback``, ``result``, ``cancel``, ...); this implements what a
task waiting on it uses. Its result is always ``None`` (the message is in the connection's
queue).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Callable, Generator, List, Optional, Tuple

__all__ = ["Waiter"]

_Callback = Callable[["Waiter"], Any]


class Waiter:
    """Done once woken (result None) or cancelled (result raises CancelledError)."""

    __slots__ = ("_loop", "_callbacks", "_done", "_cancelled", "_asyncio_future_blocking")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._callbacks: List[Tuple[_Callback, Optional[contextvars.Context]]] = []
        self._done = False
        self._cancelled = False
        self._asyncio_future_blocking = False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._done

    def cancelled(self) -> bool:
        return self._cancelled

    def result(self) -> None:
        if self._cancelled:
            raise asyncio.CancelledError()
        if not self._done:
            raise asyncio.InvalidStateError("result is not ready")

    def exception(self) -> Optional[BaseException]:
        self.result()  # raises as a Future's exception() does: cancelled, or not done
        return None

    def add_done_callback(self, fn: _Callback, *, context: Optional[contextvars.Context] = None) -> None:
        if self._done:
            self._loop.call_soon(fn, self, context=context)
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: _Callback) -> int:
        before = len(self._callbacks)
        self._callbacks = [c for c in self._callbacks if c[0] != fn]
        return before - len(self._callbacks)

    def wake(self, now: bool = False) -> None:
        """Done: the waiting task resumes on the loop's next iteration, or, with ``now``, in
        this call (only where no task is running: a protocol callback)."""
        if self._done:
            return
        self._done = True
        callbacks, self._callbacks = self._callbacks, []
        for fn, context in callbacks:
            if now:
                if context is None:
                    fn(self)
                else:
                    context.run(fn, self)
            else:
                self._loop.call_soon(fn, self, context=context)

    def cancel(self, msg: Any = None) -> bool:
        if self._done:
            return False
        self._cancelled = True
        self.wake()
        return True

    def __await__(self) -> Generator["Waiter", None, None]:
        if not self._done:
            self._asyncio_future_blocking = True
            yield self
        return self.result()

    __iter__ = __await__
