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
``get_loop``, ``add_done_callback``, ``result``, ``cancel``, ...). The Task calls several of
them per message, so the class is native (``wsengine._wsengine.Waiter``, in Rust): each call
costs a fraction of a Python-level method's. Its result is always ``None`` (the message is in
the connection's queue).
"""

from __future__ import annotations

from .._wsengine import Waiter

__all__ = ["Waiter"]
