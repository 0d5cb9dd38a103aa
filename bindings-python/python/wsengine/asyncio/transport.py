"""Transports whose reads and writes the engine does itself, over a connected socket.

asyncio's socket transport reads in Python (``get_buffer``, ``recv_into``,
``buffer_updated``), and the protocol then copies the bytes read and hands them to the engine;
writing takes the engine's output as a bytes object and passes it through the transport's
``write``. Here the loop only reports readiness (``add_reader`` / ``add_writer``) and the
engine reads from and writes to the socket's descriptor in one native call each
(``Connection.receive_from`` / ``send_to``): per round trip, a few Python calls and two
copies fewer. SocketTransport serves TCP and Unix sockets (on Unix). TLSSocketTransport
does the same over TLS with the caller's ``ssl.SSLContext`` (an ``SSLObject`` over memory
BIOs, which does the handshake, verification and close_notify); once the handshake is done,
records go through a native ``TlsSession`` over that SSLObject's OpenSSL objects, so a read
or a write is again one native call (``receive_tls_from`` / ``send_tls_to``). Where there is
no session (an interpreter whose ``_ssl`` layout is not known, or whose ``_ssl`` is built
in), the same transport makes Python's ssl calls, a few C-level calls per record.

The engine's output queue is the transport's write buffer: ``get_write_buffer_size()`` is
the engine's ``buffered_amount`` (plus, over TLS, the records not yet sent), and the
protocol's ``pause_writing`` / ``resume_writing`` follow it against the usual high- and
low-water marks (64 KiB and a quarter of it by default). Everything else is asyncio's
transport contract: ``connection_made`` first, ``eof_received`` at the peer's EOF (the
transport closes unless it returns true), ``connection_lost`` last, on the loop's next
iteration; ``close()`` writes what is queued first, ``abort()`` does not.

A server's connections get them too: SocketListener accepts on the sockets of an asyncio
Server created with ``start_serving=False`` (so every ``create_server`` option still applies)
and hands each accepted socket to a new transport.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import os
import socket
import ssl
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple, cast

import wsengine
from wsengine import _wsengine

__all__ = ["SocketTransport", "TLSSocketTransport", "SocketListener", "AVAILABLE"]

logger = logging.getLogger("wsengine.asyncio")

#: Whether this build can read and write sockets itself (Unix builds).
AVAILABLE = hasattr(wsengine.Connection, "receive_from")

#: Whether TLS connections move records with native calls once their handshake is done
#: (``TlsSession``, where this build and interpreter allow; see native_tls_session()).
NATIVE_TLS = hasattr(_wsengine, "TlsSession")

_HIGH_WATER = 64 * 1024


class EngineProtocol(Protocol):
    """What the transport calls on its protocol (wsengine.asyncio's Connection)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None: ...
    def _dispatch(self, events: Any, now: bool, read: bool) -> None: ...
    def eof_received(self) -> Optional[bool]: ...
    def connection_lost(self, exc: Optional[Exception]) -> None: ...
    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...


class SocketTransport(asyncio.Transport):
    """The transport of one connection over a connected non-blocking socket, which it owns
    (it closes it once the connection is lost)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 protocol: EngineProtocol, engine: wsengine.Connection) -> None:
        extra: Dict[str, Any] = {"socket": sock}
        for key, get in (("peername", sock.getpeername), ("sockname", sock.getsockname)):
            try:
                extra[key] = get()
            except OSError:
                extra[key] = None
        super().__init__(extra)
        self._info = extra
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        self._dispatch = protocol._dispatch  # the events of a read go straight to the protocol
        self._engine = engine
        self._reading = False  # the reader is registered
        self._read_paused = False
        self._writing = False  # the writer is registered: output waits for the socket
        self._closing = False
        self._lost = False  # connection_lost is scheduled
        self._eof_pending = False  # write_eof() waits for the output to drain
        self._high, self._low = _HIGH_WATER, _HIGH_WATER // 4
        self._protocol_paused = False
        self._made = False  # connection_made was called (connection_lost will be)

    def start(self) -> None:
        """Tells the protocol it is connected, then starts reading."""
        self._made = True
        self._protocol.connection_made(self)
        if not self._closing and not self._read_paused:
            self._add_reader()

    @classmethod
    def adopt(cls, transport: asyncio.BaseTransport, protocol: EngineProtocol,
              engine: wsengine.Connection) -> Optional["SocketTransport"]:
        """Takes a connection over from asyncio's own socket transport (one a server such as
        uvicorn made and handed to `protocol`, already connected): reads and writes go
        through the engine from then on, over a duplicate of the socket's descriptor, and
        asyncio's transport is closed without touching the connection (its protocol is
        replaced first, so `protocol` hears of one connection_lost only, ours). None, and
        nothing changed, where that is not possible: not an asyncio selector transport over
        a TCP or Unix socket (TLS, say), output still buffered in it, reading paused, closing,
        or no descriptor to spare. An asyncio Server no longer counts the connection once
        adopted (its ``wait_closed()`` does not wait for it; uvicorn waits on its own)."""
        sock = transport.get_extra_info("socket")
        if (not AVAILABLE or sock is None or type(transport).__module__ != "asyncio.selector_events"
                or transport.get_extra_info("sslcontext") is not None or transport.is_closing()
                or not isinstance(transport, asyncio.Transport) or transport.get_write_buffer_size()
                or not transport.is_reading() or transport.get_protocol() is not cast(Any, protocol)):
            return None
        loop = getattr(transport, "_loop", None)
        if loop is None:
            return None
        transport.pause_reading()
        own: Optional[socket.socket] = None
        try:
            own = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))
            own.setblocking(False)
            adopted = cls(loop, own, protocol, engine)
            adopted._made = True  # connected already: no second connection_made
            adopted._add_reader()
        except OSError as exc:  # out of descriptors, say: uvicorn's transport goes on
            logger.debug("connection not adopted: %s", exc)
            if own is not None:
                own.close()
            transport.resume_reading()
            return None
        transport.set_protocol(_Detached())
        transport.abort()  # closes its descriptor only; the connection lives on in ours
        return adopted

    # ---------------------------------------------------------------- reading

    def _on_readable(self) -> None:
        try:
            events = self._engine.receive_from(self._fd)
        except Exception as exc:  # OSError; InternalError from a poisoned engine
            self._fatal(exc)
            return
        try:
            if events is None:
                self._remove_reader()
                if not self._protocol.eof_received():
                    self.close()
            else:
                self._dispatch(events, True, True)
        except Exception as exc:
            self._fatal(exc, "protocol callback failed")

    def is_reading(self) -> bool:
        return self._reading

    def pause_reading(self) -> None:
        if self._closing or self._read_paused:
            return
        self._read_paused = True
        self._remove_reader()

    def resume_reading(self) -> None:
        if self._closing or not self._read_paused:
            return
        self._read_paused = False
        self._add_reader()

    def _add_reader(self) -> None:
        if not self._reading:
            self._reading = True
            # Registered in an empty context: the reader must not keep the context of the task
            # that (re)starts reading (recv() resuming a paused read, an ASGI app adopting).
            contextvars.Context().run(self._loop.add_reader, self._fd, self._on_readable)

    def _remove_reader(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    # ---------------------------------------------------------------- writing

    def write_output(self) -> None:
        """Writes the engine's queued output, as much as the socket takes now; the rest when
        the socket is writable again."""
        if self._writing or self._lost:
            if self._writing:
                self._check_pause(self._engine.buffered_amount)
            return
        try:
            left = self._engine.send_to(self._fd)
        except OSError as exc:
            self._fatal(exc)
            return
        if left:
            self._writing = True
            self._loop.add_writer(self._fd, self._on_writable)
            self._check_pause(left)

    def _on_writable(self) -> None:
        try:
            left = self._engine.send_to(self._fd)
        except Exception as exc:  # OSError; InternalError from a poisoned engine
            self._fatal(exc)
            return
        self._after_write(left)

    def _after_write(self, left: int) -> None:
        """After the writer callback wrote, `left` bytes still queued: resumes the protocol
        below the low-water mark; once all is written, stops waiting for the socket and
        finishes a close() or write_eof() that waited for it."""
        if self._protocol_paused and left <= self._low:
            self._protocol_paused = False
            try:
                self._protocol.resume_writing()
            except Exception as exc:
                self._fatal(exc, "protocol.resume_writing() failed")
                return
        if left:
            return
        self._writing = False
        self._loop.remove_writer(self._fd)
        if self._closing:
            self._schedule_lost(None)
        elif self._eof_pending:
            self._shutdown_write()

    def _check_pause(self, size: int) -> None:
        if not self._protocol_paused and size > self._high:
            self._protocol_paused = True
            try:
                self._protocol.pause_writing()
            except Exception as exc:
                self._fatal(exc, "protocol.pause_writing() failed")

    def write(self, data: Any) -> None:
        raise RuntimeError("this transport writes the engine's output (write_output()); "
                           "send through the connection")

    def get_write_buffer_size(self) -> int:
        return self._engine.buffered_amount

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return self._low, self._high

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        if high is None:
            high = _HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._check_pause(self._engine.buffered_amount)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        if self._closing or self._eof_pending:
            return
        self._eof_pending = True
        if not self._writing:
            self._shutdown_write()

    def _shutdown_write(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            self._fatal(exc)

    # ---------------------------------------------------------------- closing

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stops reading; the connection is lost once the queued output is written."""
        if self._closing:
            return
        self._closing = True
        self._remove_reader()
        if not self._writing:
            self._schedule_lost(None)

    def abort(self) -> None:
        self._force_close(None)

    def _fatal(self, exc: BaseException, message: str = "fatal error on transport") -> None:
        if isinstance(exc, OSError):
            logger.debug("%r: %s", self, exc)
        else:
            self._loop.call_exception_handler({"message": message, "exception": exc,
                                               "transport": self, "protocol": self._protocol})
        self._force_close(exc if isinstance(exc, Exception) else None)

    def _force_close(self, exc: Optional[Exception]) -> None:
        if self._lost:
            return
        self._closing = True
        self._remove_reader()
        if self._writing:
            self._writing = False
            self._loop.remove_writer(self._fd)
        self._schedule_lost(exc)

    def _schedule_lost(self, exc: Optional[Exception]) -> None:
        if not self._lost:
            self._lost = True
            self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: Optional[Exception]) -> None:
        try:
            if self._made:
                self._protocol.connection_lost(exc)
        finally:
            self._sock.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._info.get(name, default)

    def get_protocol(self) -> Any:
        return self._protocol

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol
        self._dispatch = protocol._dispatch

    def __repr__(self) -> str:
        state = "closing" if self._closing else "open"
        return f"<SocketTransport fd={self._fd} {state}>"


class _Detached(asyncio.BaseProtocol):
    """The protocol left to an asyncio transport whose connection SocketTransport.adopt()
    took over: it hears nothing that matters."""


#: The size of one read (asyncio's own read size): of the read buffer each thread's
#: connections share, and of the plaintext buffer of TLS reads.
READ_BUFFER_SIZE = 256 * 1024
_thread = threading.local()


def read_buffer() -> memoryview:
    """The read buffer of this thread's connections (one per thread: a thread runs one event
    loop, whose reads never interleave, and what is read is copied out at once): where
    asyncio's transports read for a BufferedProtocol, and where TLSSocketTransport reads
    records."""
    view: Optional[memoryview] = getattr(_thread, "read_buffer", None)
    if view is None:
        view = _thread.read_buffer = memoryview(bytearray(READ_BUFFER_SIZE))
    return view


def _plaintext_buffer() -> memoryview:
    """This thread's buffer for the plaintext TLS records decrypt to (copied out at once)."""
    view: Optional[memoryview] = getattr(_thread, "plaintext_buffer", None)
    if view is None:
        view = _thread.plaintext_buffer = memoryview(bytearray(READ_BUFFER_SIZE))
    return view


def handshake_timeout(engine: wsengine.Connection) -> float:
    """The TLS handshake's bound: the engine's opening-handshake timeout (60 s without one)."""
    ms = engine.config.handshake_timeout
    return 60.0 if ms is None else ms / 1000


def native_tls_session(tls: Any, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO) -> Optional[Any]:
    """A ``TlsSession`` over a connection's ssl objects (its ``SSLObject._sslobj`` and memory
    BIOs), through which the engine reads, decrypts, encrypts and writes records in one native
    call each (``receive_tls_from`` / ``send_tls_to``); None where this build or interpreter
    has none (the transport then calls Python's ssl, as before)."""
    if not NATIVE_TLS:
        return None
    try:
        return _wsengine.TlsSession(tls, incoming, outgoing)
    except Exception as exc:  # ValueError: an interpreter or ssl module it does not know
        logger.debug("TLS records through Python's ssl calls: %s", exc)
        return None


class TLSSocketTransport(SocketTransport):
    """A SocketTransport over TLS: records are read from and written to the socket here,
    and decrypted and encrypted by an ``ssl.SSLObject`` made from the caller's context. The
    TLS handshake comes first (bounded by ``handshake_timeout`` seconds); the protocol's
    ``connection_made`` follows it, and a failed handshake never reaches the protocol (it
    sets the ``handshake`` future's exception). No half-close over TLS (as asyncio's):
    ``close()`` sends close_notify, then closes. Once the handshake is done, application
    records go through a native TlsSession where there is one (native_tls_session())."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, protocol: EngineProtocol,
                 engine: wsengine.Connection, context: ssl.SSLContext, *, server_side: bool,
                 server_hostname: Optional[str] = None, handshake_timeout: float = 60.0) -> None:
        super().__init__(loop, sock, protocol, engine)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        ssl_object = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side,
                                      server_hostname=server_hostname)
        self._info.update(sslcontext=context, ssl_object=ssl_object)
        # The C object under ssl.SSLObject (its methods are one-line Python wrappers around
        # it, a call more per record each way), or the SSLObject where it has none.
        self._tls: Any = getattr(ssl_object, "_sslobj", ssl_object)
        self._ssl_object = ssl_object
        self._raw, self._plain = read_buffer(), _plaintext_buffer()
        self._pending = bytearray()  # encrypted bytes the socket has not taken yet
        self._session: Optional[Any] = None  # the native TlsSession, after the handshake
        self._handshake_timeout = handshake_timeout
        self._handshake_timer: Optional[asyncio.TimerHandle] = None
        #: Done when the TLS handshake is; its exception says why it failed.
        self.handshake: asyncio.Future[None] = loop.create_future()

    def start(self) -> None:
        """Starts the TLS handshake; the protocol hears of the connection once it is done."""
        self._handshake_timer = self._loop.call_later(self._handshake_timeout, self._handshake_timed_out)
        self._add_reader()
        self._step_handshake()

    def _handshake_timed_out(self) -> None:
        self._handshake_timer = None
        if not self.handshake.done():
            self._fatal(ConnectionAbortedError("TLS handshake timed out"))

    def _step_handshake(self) -> bool:
        """Advances the handshake; True once it is done and the protocol is connected."""
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            self._flush_records()
            return False
        except (ssl.SSLError, OSError) as exc:
            self._flush_records()
            self._fatal(exc)
            return False
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        self._info.update(peercert=self._ssl_object.getpeercert(), cipher=self._ssl_object.cipher(),
                           compression=None)
        self._flush_records()
        self._session = native_tls_session(self._tls, self._incoming, self._outgoing)
        self.handshake.set_result(None)
        self._made = True
        self._protocol.connection_made(self)
        return not self._closing

    # ---------------------------------------------------------------- reading

    def _on_readable(self) -> None:
        session = self._session
        if session is not None:
            try:
                events = self._engine.receive_tls_from(self._fd, session)
            except Exception as exc:  # ssl.SSLError, OSError; InternalError from a poisoned engine
                self._fatal(exc)
                return
            if events is None:
                self._incoming.write_eof()
                self._read_records(True)
                return
            state = session.state  # what is left to do once the events are handled
            failure = session.take_failure() if state & 8 else None
            try:
                if events:
                    self._dispatch(events, True, True)
            except Exception as exc:
                self._fatal(exc, "protocol callback failed")
                return
            if failure is not None:  # a bad record after the messages returned
                self._fatal(failure)
            elif state & 2 or (state & 1 and not self._read_paused):
                self._read_records(bool(state & 2))  # close_notify, or records left to decrypt
            elif state & 4:
                self._flush_records()  # records TLS made while reading (a key update's answer)
            return
        raw = self._raw
        try:
            n = self._sock.recv_into(raw)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal(exc)
            return
        if n:
            self._incoming.write(raw[:n])
        else:
            self._incoming.write_eof()
            if not self._made:
                self._fatal(ConnectionResetError("connection closed during the TLS handshake"))
                return
        if not self._made and not self._step_handshake():
            return
        self._read_records(not n)

    def _read_records(self, eof: bool = False) -> None:
        """Decrypts the records read and hands the plaintext to the engine, a buffer's worth
        at a time, until they are consumed or reading is paused."""
        plain = self._plain
        tls, incoming = self._tls, self._incoming
        try:
            while not self._lost:
                got = 0  # plaintext bytes in `plain`, at most a record's per read()
                failure: Optional[ssl.SSLError] = None
                try:
                    # One read() for the usual whole record: a read() more would raise
                    # SSLWantReadError, which costs more than these checks.
                    while (incoming.pending or tls.pending() or eof) and got < READ_BUFFER_SIZE:
                        k = tls.read(READ_BUFFER_SIZE - got, plain[got:] if got else plain)
                        if not k:
                            eof = True
                            break
                        got += k
                except ssl.SSLWantReadError:
                    pass
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    eof = True  # close_notify, or the peer closed without it
                except ssl.SSLError as exc:
                    if not got:
                        raise
                    failure = exc  # after the plaintext before the bad record is handled
                if got:
                    self._dispatch(self._engine.receive(bytes(plain[:got])), True, True)
                if failure is not None:
                    raise failure
                if got < READ_BUFFER_SIZE or self._read_paused:
                    break
            if self._outgoing.pending:
                self._flush_records()  # TLS may answer a read (key updates, tickets)
            if eof and not self._closing:
                self._remove_reader()
                if not self._protocol.eof_received():
                    self.close()
        except ssl.SSLError as exc:
            self._fatal(exc)
        except Exception as exc:
            self._fatal(exc, "protocol callback failed")

    def resume_reading(self) -> None:
        was_paused = self._read_paused
        super().resume_reading()
        if was_paused and not self._read_paused and (self._incoming.pending or self._tls.pending()):
            self._loop.call_soon(self._read_records)  # records read before the pause

    # ---------------------------------------------------------------- writing

    def write_output(self) -> None:
        """Encrypts the engine's queued output and writes it, as much as the socket takes now;
        the rest when the socket is writable again."""
        if self._lost or not self._made:
            return
        session = self._session
        if session is not None and not self._writing:
            try:
                rest = self._engine.send_tls_to(self._fd, session)
            except Exception as exc:  # ssl.SSLError, OSError; InternalError from a poisoned engine
                self._fatal(exc)
                return
            if rest is not None:
                self._pending += rest
                self._writing = True
                self._loop.add_writer(self._fd, self._on_writable)
                self._check_pause(len(self._pending))
            return
        out = self._engine.data_to_send()
        if not out:
            return
        try:
            self._tls.write(out)
        except ssl.SSLError as exc:
            self._fatal(exc)
            return
        self._flush_records()

    def _flush_records(self) -> None:
        """Sends the records TLS has produced."""
        records = self._outgoing.read()
        if not records or self._lost:
            return
        if self._writing:
            self._pending += records
            self._check_pause(len(self._pending))
            return
        try:
            n = self._sock.send(records)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as exc:
            self._fatal(exc)
            return
        if n < len(records):
            self._pending += records[n:]
            self._writing = True
            self._loop.add_writer(self._fd, self._on_writable)
            self._check_pause(len(self._pending))

    def _on_writable(self) -> None:
        try:
            n = self._sock.send(self._pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal(exc)
            return
        del self._pending[:n]
        self._after_write(len(self._pending))

    def get_write_buffer_size(self) -> int:
        return len(self._pending) + self._engine.buffered_amount

    def can_write_eof(self) -> bool:
        return False

    def write_eof(self) -> None:
        raise NotImplementedError("TLS has no half-close")

    # ---------------------------------------------------------------- closing

    def close(self) -> None:
        """Sends close_notify after the queued records; the connection is lost once they are
        written."""
        if self._closing:
            return
        if self._made and not self._lost:
            try:
                self._ssl_object.unwrap()
            except (ssl.SSLError, ValueError):
                pass  # SSLWantReadError: the peer's close_notify is not awaited
            self._flush_records()
        super().close()

    def _fatal(self, exc: BaseException, message: str = "fatal error on transport") -> None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        if not self.handshake.done():
            self.handshake.set_exception(exc)
            self.handshake.exception()  # retrieved: a server's failed handshake is only logged
            logger.debug("%r: TLS handshake failed: %s", self, exc)
            self._force_close(None)
            return
        super()._fatal(exc, message)

    def __repr__(self) -> str:
        state = "closing" if self._closing else "open"
        return f"<TLSSocketTransport fd={self._fd} {state}>"


class SocketListener:
    """Accepts connections on the (bound, not yet serving) sockets of an asyncio Server and
    gives each one a SocketTransport and a protocol from ``factory``. Has what
    wsengine.asyncio's Server uses of an asyncio Server: ``sockets``, ``is_serving()``,
    ``close()``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, server: asyncio.AbstractServer,
                 factory: Callable[[], Any], backlog: int = 100,
                 ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self._loop = loop
        self._ssl_context = ssl_context
        self._server = server
        self._factory = factory
        self._backlog = backlog
        self._listening: List[socket.socket] = []

    def start(self) -> None:
        """Listens on every socket of the server and starts accepting."""
        for bound in getattr(self._server, "sockets", ()) or ():
            sock = bound.dup()  # ours to accept on (and close); the server closes its own
            sock.setblocking(False)
            sock.listen(self._backlog)
            self._listening.append(sock)
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    @property
    def sockets(self) -> Tuple[Any, ...]:
        return tuple(getattr(self._server, "sockets", ()) or ())

    def is_serving(self) -> bool:
        return bool(self._listening)

    def close(self) -> None:
        """Stops accepting and closes the listening sockets (connections stay open)."""
        for sock in self._listening:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        self._listening = []
        self._server.close()

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(self._backlog):  # as asyncio: at most a backlog's worth per wake-up
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    raise
                # Out of descriptors or memory: pause accepting for a second, as asyncio does.
                logger.error("accepting a connection failed (%s); retrying in 1 s", exc)
                self._loop.remove_reader(sock.fileno())
                self._loop.call_later(1.0, self._resume, sock)
                return
            try:
                conn.setblocking(False)
                protocol = self._factory()
                engine = protocol.engine
                if self._ssl_context is None:
                    SocketTransport(self._loop, conn, protocol, engine).start()
                else:
                    TLSSocketTransport(self._loop, conn, protocol, engine, self._ssl_context, server_side=True,
                                       handshake_timeout=handshake_timeout(engine)).start()
            except Exception:
                logger.error("setting up an accepted connection failed", exc_info=True)
                conn.close()

    def _resume(self, sock: socket.socket) -> None:
        if sock in self._listening:
            self._loop.add_reader(sock.fileno(), self._accept, sock)
