"""The connection object of wsengine.asyncio: an asyncio protocol that drives the engine.

One object is both the transport's protocol and the application's connection (as in
websockets' asyncio implementation): ``buffer_updated`` / ``data_received`` feed the engine
and queue the messages, ``recv()`` / ``async for`` take them, ``send()`` queues frames. A
read holding one message resumes the task waiting in ``recv()`` within the read (waiter.py),
and its answer is written at once. Otherwise output is written by ``_flush``, run with
``loop.call_soon`` after a read has been dispatched, so that handlers woken by the read run
first: when a read holds messages and the peer's close frame, the
answers go out before our close frame (the engine keeps them ahead of it until its output is
taken). Timers (handshake, keepalive, idle, lifetime, close) are the engine's: one
``loop.call_at`` at ``next_timeout()``, on the loop's clock in milliseconds.

Transports: a SocketTransport or TLSSocketTransport (transport.py): the engine reads from
and writes to the socket itself and each read's events come to ``_dispatch`` (uvicorn's
plain connections too, once their 101 is written: SocketTransport.adopt). Under another
transport (asyncio's, where connect() is given ``sock=`` or other loop options; uvicorn's
before the 101, over TLS or on another loop), this class is a BufferedProtocol: the transport reads into one buffer shared by the thread's
connections (reads are synchronous: get_buffer, the read, buffer_updated), and only the bytes
read are copied out. A plain Protocol gets a fresh bytes object of the transport's maximum
read size (256 KiB) per read: on Linux an mmap, an mremap and a munmap per read, the largest
cost of a small round trip.

Flow control: at ``max_queue`` received messages not yet taken by ``recv()``, reading pauses
(``transport.pause_reading``) and resumes once the queue is down to a quarter; ``send()``
waits while the transport's buffer is above its high-water mark (``pause_writing``) and
hands the engine's output to the transport itself whenever the engine holds more than its
``high_water_mark``, so a peer that floods or never reads holds a bounded amount of memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import deque
from typing import (Any, AsyncIterable, AsyncIterator, Deque, Dict, Iterable, List, Literal, Optional,
                    Tuple, Union, cast)

import wsengine

from .exceptions import ConcurrencyError, ConnectionClosed, ConnectionClosedOK, closed_exception
from .http import Request, Response
from .transport import SocketTransport, read_buffer
from .waiter import wake

__all__ = ["Connection", "Data", "State"]

#: A message: str for text, bytes for binary.
Data = Union[str, bytes]
State = wsengine.State

_TEXT = wsengine.TextMessage
_BINARY = wsengine.BinaryMessage
_OPEN = wsengine.State.OPEN
_BYTES_LIKE = (bytes, bytearray, memoryview)

logger = logging.getLogger("wsengine.asyncio")

class Connection(asyncio.BufferedProtocol):
    """A WebSocket connection (base of ServerConnection and ClientConnection).

    Attributes: ``id`` (a UUID), ``request`` / ``response`` (the opening handshake),
    ``subprotocol``, ``remote_address`` / ``local_address``, ``latency`` (seconds, of the last
    ping answered), ``close_code`` / ``close_reason`` (None while open), ``state``.
    """

    def __init__(self, engine: wsengine.Connection, *, max_queue: Optional[int] = 16,
                 write_limit: Union[int, Tuple[int, int], None] = None) -> None:
        self._engine = engine
        self._loop = asyncio.get_running_loop()
        self._transport: Optional[asyncio.Transport] = None
        self.id: uuid.UUID = uuid.uuid4()
        self.request: Optional[Request] = None
        self.response: Optional[Response] = None
        self.remote_address: Any = None
        self.local_address: Any = None
        self.latency: float = 0.0
        self._max_queue = max_queue if max_queue else 0
        self._resume_at = self._max_queue // 4
        self._write_limit = write_limit
        self._messages: Deque[Data] = deque()
        self._fragments: List[bytes] = []
        self._fragment_kind = "binary"
        self._recv_waiter: Optional[asyncio.Future[None]] = None
        self._read_paused = False
        self._write_paused = False
        self._drain_waiter: Optional[asyncio.Future[None]] = None
        self._flush_handle: Optional[asyncio.Handle] = None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_at: Optional[int] = None
        self._pings: Dict[bytes, Tuple[float, asyncio.Future[float]]] = {}
        self._closed: Optional[wsengine.Closed] = None  # the engine's Closed event
        self._failure: Optional[wsengine.Failed] = None
        self._lingering = False
        self._closing = False  # a close frame is (or is about to be) queued
        # recv() has reported the close: sends raise from then on. Until then the engine
        # decides: it accepts answers to the messages that arrived with the peer's close
        # until its output holding our close frame is taken.
        self._close_reported = False
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._read_buffer = read_buffer()
        self._native = False  # the transport is a SocketTransport

    # ---------------------------------------------------------------- public API

    @property
    def state(self) -> wsengine.State:
        """CONNECTING, OPEN, CLOSING or CLOSED (the engine's state)."""
        return self._engine.state

    @property
    def subprotocol(self) -> Optional[str]:
        """The subprotocol selected in the opening handshake, if any."""
        return self._engine.protocol

    @property
    def close_code(self) -> Optional[int]:
        """The close code (1006 if the connection dropped), None while not closed."""
        return None if self._closed is None else self._closed.code

    @property
    def close_reason(self) -> Optional[str]:
        """The close reason, None while not closed."""
        return None if self._closed is None else self._closed.reason

    @property
    def engine(self) -> wsengine.Connection:
        """The sans-IO engine under this connection (for options and introspection)."""
        return self._engine

    @property
    def transport(self) -> Optional[asyncio.Transport]:
        """The asyncio transport, once connected."""
        return self._transport

    async def recv(self, decode: Optional[bool] = None) -> Data:
        """The next message: str for text, bytes for binary (``decode=True`` turns bytes into
        str, ``decode=False`` str into bytes). Messages received before a close are returned
        first; then ConnectionClosedOK / ConnectionClosedError. ConcurrencyError if another
        coroutine is already waiting in recv()."""
        while True:
            messages = self._messages
            if messages:
                message = messages.popleft()
                if self._read_paused and len(messages) <= self._resume_at:
                    self._resume_reading()
                if decode is None:
                    return message
                if decode and type(message) is bytes:
                    return message.decode()
                if not decode and type(message) is str:
                    return message.encode()
                return message
            if self._closed is not None or self._lost.done():
                self._close_reported = True
                raise self._closed_error()
            if self._recv_waiter is not None:
                raise ConcurrencyError("recv() is already running in another coroutine")
            waiter = self._loop.create_future()
            self._recv_waiter = waiter
            try:
                await waiter
            finally:
                if self._recv_waiter is waiter:
                    self._recv_waiter = None

    def __aiter__(self) -> AsyncIterator[Data]:
        return self

    async def __anext__(self) -> Data:
        """``async for message in ws``: ends when the connection closes normally, raises
        ConnectionClosedError when it does not."""
        messages = self._messages
        if messages and not self._read_paused:
            return messages.popleft()
        try:
            return await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None

    async def send(self, message: Union[Data, bytearray, memoryview, Iterable[Data], AsyncIterable[Data]],
                   text: Optional[bool] = None) -> None:
        """Sends a message: str as text, bytes-like as binary (``text=True`` sends bytes as a
        text frame, ``text=False`` a str as binary), or an iterable / async iterable of str or
        bytes as the fragments of one message (RFC 6455 §5.4). Waits while the transport's
        buffer is above its high-water mark. ConnectionClosed once the connection is closing."""
        if self._close_reported:
            raise self._closed_error()
        engine = self._engine
        try:
            if type(message) is str and text is not False:
                engine.send_text(message)
            elif isinstance(message, _BYTES_LIKE) and not text:
                engine.send_binary(message)
            elif isinstance(message, (str,) + _BYTES_LIKE):
                engine.send_fragment(message, True, "text" if text else "binary")
            elif isinstance(message, dict):
                raise TypeError("send() takes str, bytes or an iterable of them, not a dict")
            elif hasattr(message, "__aiter__"):
                await self._send_async_fragments(cast(AsyncIterable[Data], message), text)
            elif hasattr(message, "__iter__"):
                self._send_fragments(message, text)
            else:
                raise TypeError(f"send() takes str, bytes or an iterable of them, not {type(message).__name__}")
        except wsengine.ApplicationError as exc:
            raise self._send_error(exc) from None
        if not self._messages and not self._closing and self._transport is not None and not self._lingering:
            self._write_out()  # _after_send()'s first case, inline: the path of every round trip
        else:
            self._after_send()
        if self._write_paused:
            await self._drain()

    async def ping(self, data: Union[str, bytes, None] = None) -> "asyncio.Future[float]":
        """Sends a ping; returns a future that resolves to the round-trip time in seconds when
        its pong arrives (a pong answers every earlier ping too, RFC 6455 §5.5.3). Without
        ``data``, a random 4-byte payload."""
        if self._close_reported:
            raise self._closed_error()
        payload = os.urandom(4) if data is None else (data.encode() if isinstance(data, str) else bytes(data))
        if payload in self._pings:
            raise ConcurrencyError("a ping with this payload is already waiting for its pong")
        try:
            self._engine.ping(payload)
        except wsengine.ApplicationError as exc:
            raise self._send_error(exc) from None
        waiter: asyncio.Future[float] = self._loop.create_future()
        self._pings[payload] = (self._loop.time(), waiter)
        self._after_send()
        return waiter

    async def pong(self, data: Union[str, bytes] = b"") -> None:
        """Sends an unsolicited pong (a heartbeat, RFC 6455 §5.5.3)."""
        if self._close_reported:
            raise self._closed_error()
        try:
            self._engine.pong(data)
        except wsengine.ApplicationError as exc:
            raise self._send_error(exc) from None
        self._after_send()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake (any code valid on the wire) and waits until the TCP
        connection is closed (the engine's close timeout bounds the wait). Does nothing more
        if the connection is already closing."""
        self.close_nowait(code, reason)
        await asyncio.shield(self._lost)

    def close_nowait(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake without waiting for it."""
        if self._closed is None and not self._lost.done():
            try:
                if self._engine.state == wsengine.State.CONNECTING:
                    self._abort()
                    return
                self._closing = True
                self._engine.close_with(code, reason)
            except wsengine.ApplicationError:
                pass  # already closing: the handshake under way finishes the connection
            self._after_send()

    async def wait_closed(self) -> None:
        """Waits until the TCP connection is closed."""
        await asyncio.shield(self._lost)

    # ---------------------------------------------------------------- transport callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        if isinstance(transport, SocketTransport):
            self._native = True
            self._write_out = transport.write_output  # type: ignore[method-assign]
        if self._write_limit is not None:
            limit = self._write_limit
            high, low = limit if isinstance(limit, tuple) else (limit, None)
            self._transport.set_write_buffer_limits(high, low)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                # Small request/response messages: no Nagle delay (asyncio sets it too) and
                # no delayed ACKs (Linux), so a round trip costs no timer.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if hasattr(socket, "TCP_QUICKACK"):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except OSError:
                pass
        self.remote_address = transport.get_extra_info("peername")
        self.local_address = transport.get_extra_info("sockname")
        self._engine.handle_timeout(self._now())  # starts the engine's clock
        self._flush()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._read_buffer[:nbytes]))

    def data_received(self, data: bytes) -> None:
        if self._closed is not None:
            return  # over: input is discarded until the peer's EOF (see _finish)
        events = self._engine.receive(data)
        # One message alone, outside any task (a transport's read callback; wake() checks
        # that): recv() returns it within this call (see waiter.py).
        self._dispatch(events, True, True)

    def eof_received(self) -> Optional[bool]:
        if self._closed is None:
            self._engine.receive_eof()
            self._dispatch(self._engine.events())
            self._flush()
        return False

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self._closed is None:
            self._engine.receive_eof()
            self._dispatch(self._engine.events())
            if self._closed is None:  # should not happen: the engine closes on EOF
                self._on_closed(wsengine.Closed(1006, "", False, None, None))
        for handle in (self._timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._flush_handle = None
        self._wake_drain()
        if not self._lost.done():
            self._lost.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain()

    # ---------------------------------------------------------------- engine events

    def _dispatch(self, events: List[wsengine.Event], now: bool = False, read: bool = False) -> None:
        """Queues the messages and handles the other events. ``now``: the waiting recv()
        returns within this call (one message, no task running: see waiter.py); otherwise on
        the loop's next iteration, so that the answers to a burst are batched into one write.
        ``read``: the events of one read (SocketTransport calls this with what the engine
        read from the socket itself, in a loop callback)."""
        messages = self._messages
        if now and len(events) != 1:
            now = False
        for event in events:
            kind = type(event)
            if kind is _TEXT or kind is _BINARY:
                messages.append(event.data)  # type: ignore[union-attr]
                waiter = self._recv_waiter
                if waiter is not None:
                    self._recv_waiter = None
                    wake(waiter, now)
                if self._max_queue and len(messages) >= self._max_queue and not self._read_paused:
                    self._pause_reading()
            else:
                self._on_event(event)
        # After a read, output (an automatic pong, a close frame) is written once the handlers
        # woken by it have run; so is a deadline moved earlier (a close or failure found
        # behind messages is left for the next call, with next_timeout() due at once).
        # Messages alone need neither: a round trip then costs no extra loop iteration.
        if read and self._flush_handle is None:
            engine = self._engine
            if engine.buffered_amount or self._closing:
                self._flush_handle = self._loop.call_soon(self._flush)
            else:
                deadline = engine.next_timeout()
                if deadline is None:
                    if self._timer is not None:
                        self._cancel_timer()
                elif self._timer_at is None or deadline < self._timer_at:
                    self._flush_handle = self._loop.call_soon(self._flush)

    def _on_event(self, event: wsengine.Event) -> None:
        """Every event but whole messages. Subclasses handle the handshake's events first."""
        if isinstance(event, wsengine.Chunk):
            self._fragments.append(event.data)
            if event.first:
                self._fragment_kind = event.kind
            if event.last:
                data = b"".join(self._fragments)
                self._fragments = []
                message: Data = data.decode() if self._fragment_kind == "text" else data
                self._dispatch([wsengine.TextMessage(message) if isinstance(message, str)
                                else wsengine.BinaryMessage(message)])
        elif isinstance(event, wsengine.Pong):
            self._on_pong(event.data)
        elif isinstance(event, wsengine.CloseReceived):
            self._closing = True
        elif isinstance(event, wsengine.Failed):
            self._failure = event
            self._closing = True
        elif isinstance(event, wsengine.Closed):
            self._on_closed(event)
        elif isinstance(event, wsengine.Writable):
            self._wake_drain()
        # CloseReceived: the engine answers it and Closed follows; Ping: answered by the engine.

    def _on_pong(self, data: bytes) -> None:
        if data not in self._pings:
            return  # a keepalive pong of the engine's, or unsolicited
        now = self._loop.time()
        while self._pings:
            payload, (sent_at, waiter) = next(iter(self._pings.items()))
            del self._pings[payload]
            if not waiter.done():
                waiter.set_result(now - sent_at)
            if payload == data:
                self.latency = now - sent_at
                break

    def _on_closed(self, event: wsengine.Closed) -> None:
        self._closed = event
        self._closing = True
        waiter = self._recv_waiter
        if waiter is not None:
            self._recv_waiter = None
            wake(waiter)
        self._wake_drain()
        if self._pings:
            error = self._closed_error()
            for _, waiter_ in self._pings.values():
                if not waiter_.done():
                    waiter_.set_exception(error)
                    waiter_.exception()  # retrieved: an unanswered ping is not an error to log
            self._pings.clear()

    # ---------------------------------------------------------------- output and timers

    def _after_send(self) -> None:
        """After queuing output: write it now when nothing else is coming (no received
        message waits to be answered, no close frame is queued: a round trip costs no extra
        loop iteration), else on the next loop iteration, so that the answers to a burst of
        messages go out in one write, and before a close frame that came with them. Now, too,
        if the engine holds more than its high-water mark."""
        if not self._messages and not self._closing:
            if self._transport is not None and not self._lingering:
                self._write_out()
        elif not self._engine.is_writable:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Writes the engine's output, closes the transport once the engine is closed, and
        sets the timer for the engine's next deadline."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        transport = self._transport
        if transport is None or self._lingering:
            return
        if not transport.is_closing():
            self._write_out()
        elif not self._native:
            self._engine.data_to_send()  # taken: the transport writes nothing more
        if self._closed is not None:
            self._finish()
            return
        deadline = self._engine.next_timeout()
        if deadline is None:
            if self._timer is not None:
                self._cancel_timer()
        elif self._timer_at is None or deadline < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = deadline
            # One millisecond later: the loop may fire a timer a hair early, and the engine
            # counts whole milliseconds.
            self._timer = self._loop.call_at((deadline + 1) / 1000, self._on_timer)

    def _write_out(self) -> None:
        """Hands the engine's output to the transport (SocketTransport, which writes the
        engine's output itself, replaces this with its write_output)."""
        out = self._engine.data_to_send()
        if out:
            cast(asyncio.Transport, self._transport).write(out)

    def _cancel_timer(self) -> None:
        """The engine has no deadline any more (the opening handshake's is over, say): a
        timer left in the loop's heap would cost every loop iteration a clock read."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if self._closed is not None:
            return
        self._engine.handle_timeout(self._now())
        events = self._engine.events()
        if events:
            self._dispatch(events)
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _finish(self) -> None:
        """The engine is closed and its last bytes are written: end the TCP connection. A
        half-close, then input is discarded until the peer's EOF (at most 2 s): closing a
        socket with unread input sends a reset, which could destroy our close frame before
        the peer reads it."""
        self._lingering = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._read_paused:
            self._resume_reading()
        transport = self._transport
        assert transport is not None
        if transport.is_closing():
            return
        if transport.can_write_eof():
            transport.write_eof()
            self._loop.call_later(2.0, transport.close)
        else:
            transport.close()

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _now(self) -> int:
        return int(self._loop.time() * 1000)

    # ---------------------------------------------------------------- flow control

    def _pause_reading(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._read_paused = True
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        self._read_paused = False
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    async def _drain(self) -> None:
        while self._write_paused and self._closed is None and not self._lost.done():
            if self._drain_waiter is None:
                self._drain_waiter = self._loop.create_future()
            await asyncio.shield(self._drain_waiter)

    def _wake_drain(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # ---------------------------------------------------------------- fragments

    def _send_fragments(self, chunks: "Iterable[Data]", text: Optional[bool]) -> None:
        it = iter(chunks)
        try:
            current = next(it)
        except StopIteration:
            return
        kind, first_is_text = self._fragment_kind_of(current, text)
        for following in it:
            self._check_fragment(following, first_is_text)
            self._engine.send_fragment(current, False, kind)
            current = following
        self._engine.send_fragment(current, True, kind)

    async def _send_async_fragments(self, chunks: AsyncIterable[Data], text: Optional[bool]) -> None:
        it = chunks.__aiter__()
        try:
            current = await it.__anext__()
        except StopAsyncIteration:
            return
        kind, first_is_text = self._fragment_kind_of(current, text)
        while True:
            try:
                following = await it.__anext__()
            except StopAsyncIteration:
                break
            self._check_fragment(following, first_is_text)
            self._engine.send_fragment(current, False, kind)
            self._after_send()
            if self._write_paused:
                await self._drain()
            current = following
        self._engine.send_fragment(current, True, kind)

    @staticmethod
    def _fragment_kind_of(first: Data, text: Optional[bool]) -> Tuple[Literal["text", "binary"], bool]:
        if not isinstance(first, (str,) + _BYTES_LIKE):
            raise TypeError(f"a fragment must be str or bytes, not {type(first).__name__}")
        is_text = isinstance(first, str)
        if text is None:
            text = is_text
        return ("text" if text else "binary"), is_text

    @staticmethod
    def _check_fragment(chunk: Data, first_is_text: bool) -> None:
        if not isinstance(chunk, (str,) + _BYTES_LIKE):
            raise TypeError(f"a fragment must be str or bytes, not {type(chunk).__name__}")
        if isinstance(chunk, str) != first_is_text:
            raise TypeError("all fragments of a message must have the same type")

    # ---------------------------------------------------------------- errors

    def _closed_error(self) -> ConnectionClosed:
        info = self._closed
        if info is None:
            return closed_exception(1006, "", False, None, None)
        exc = closed_exception(info.code, info.reason, info.was_clean, info.initiated_by, info.sent_code)
        if self._failure is not None:
            exc.__cause__ = self._failure.error
        return exc

    def _send_error(self, exc: wsengine.ApplicationError) -> Exception:
        """A send the engine refused: ConnectionClosed once the connection is closing or
        closed; otherwise the engine's error (a bad argument, a full output buffer)."""
        if self._engine.state != _OPEN or self._closed is not None:
            if self._closed is None:
                # Closing: the closing handshake is under way.
                info = self._engine.close_info
                error = closed_exception(info.code if info else 1006, info.reason if info else "", False,
                                         info.initiated_by if info else None, info.sent_code if info else None)
            else:
                error = self._closed_error()
            error.__cause__ = exc
            return error
        return exc
