//! The driver: one engine [`Connection`] and one transport, moved forward whenever the
//! application polls. No task of its own: reads, writes and timers happen inside
//! `poll_next` / `poll_ready` / `poll_flush`.
//!
//! Output is never written right after input is fed to the engine: the events are handed to
//! the application first, so answers it sends to them land before a close frame the engine
//! queued behind them (the engine's delivery contract). Output is written when the
//! application flushes, when it waits above the high-water mark, and when the stream is about
//! to read again: everything queued goes out in as few writes as possible.

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use wsengine::{Connection, Event, State};

use crate::Error;

/// Most output runs handed to one vectored write.
const MAX_IOVECS: usize = 64;

/// Bytes asked from the transport per read. The buffer lives on the stack of the poll (and
/// is not initialised), so an idle connection holds no read buffer: 10,000 connections cost
/// the engine's state, not 10,000 buffers.
const READ_CHUNK: usize = 64 * 1024;

/// How long a closed connection keeps reading (and discarding) input so that its last
/// frames are not destroyed by a reset.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

pub(crate) struct Driver<S> {
    pub(crate) io: S,
    pub(crate) conn: Connection,
    origin: Instant,
    sleep: Pin<Box<Sleep>>,
    /// The engine deadline `sleep` is set to.
    armed: Option<u64>,
    /// The transport reported end of input (or a read error).
    read_done: bool,
    /// The transport was shut down for writing.
    shut_down: bool,
    /// The stream has ended (`Closed` handled, output written).
    finished: bool,
    /// A task waiting in `poll_ready`/`poll_flush` whose wake-up another task's write may steal
    /// (the two halves of a split socket share one transport).
    write_waiter: Option<Waker>,
    /// A task waiting in `poll_next` on output (closing), likewise.
    read_waiter: Option<Waker>,
    /// Why the connection failed, reported when the stream ends.
    pub(crate) failure: Option<wsengine::Error>,
}

impl<S> Driver<S> {
    /// Wraps an engine connection whose clock has not started yet.
    pub(crate) fn new(io: S, mut conn: Connection) -> Self {
        let origin = Instant::now();
        conn.handle_timeout(0);
        Driver {
            io,
            conn,
            origin,
            sleep: Box::pin(tokio::time::sleep_until(origin)),
            armed: None,
            read_done: false,
            shut_down: false,
            finished: false,
            write_waiter: None,
            read_waiter: None,
            failure: None,
        }
    }

    fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }

    /// Runs due timers; arms the sleep for the next deadline. Returns whether a timer ran.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            let Some(deadline) = self.conn.poll_timeout() else {
                self.armed = None;
                return false;
            };
            let now = self.now_ms();
            if now >= deadline {
                self.conn.handle_timeout(now);
                return true;
            }
            if self.armed != Some(deadline) {
                self.armed = Some(deadline);
                self.sleep
                    .as_mut()
                    .reset(self.origin + std::time::Duration::from_millis(deadline));
            }
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            // The sleep fired: loop, the clock has now reached the deadline.
            self.armed = None;
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// Writes queued output until none is left (`Ready(Ok)`) or the transport is full.
    pub(crate) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut progressed = false;
        let result = loop {
            if self.conn.buffered_amount() == 0 {
                break Poll::Ready(Ok(()));
            }
            let polled = if self.io.is_write_vectored() {
                let mut slices: [IoSlice<'_>; MAX_IOVECS] = [IoSlice::new(&[]); MAX_IOVECS];
                let mut n = 0;
                for seg in self.conn.output_segments().take(MAX_IOVECS) {
                    slices[n] = IoSlice::new(seg);
                    n += 1;
                }
                Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..n])
            } else {
                Pin::new(&mut self.io).poll_write(cx, self.conn.pending_output())
            };
            match polled {
                Poll::Ready(Ok(0)) => {
                    break Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    self.conn.consume_output(n);
                    progressed = true;
                }
                Poll::Ready(Err(e)) => break Poll::Ready(Err(e)),
                Poll::Pending => break Poll::Pending,
            }
        };
        if progressed {
            // The other half of a split socket may be waiting for this progress.
            if let Some(w) = self.write_waiter.take() {
                w.wake();
            }
            if let Some(w) = self.read_waiter.take() {
                w.wake();
            }
        }
        result
    }

    /// Writes all output and flushes the transport.
    pub(crate) fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.poll_write_out(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
            Poll::Pending => {
                self.write_waiter = Some(cx.waker().clone());
                return Poll::Pending;
            }
        }
        Pin::new(&mut self.io).poll_flush(cx).map_err(Error::Io)
    }

    /// Waits while queued output is above the high-water mark, writing it meanwhile.
    pub(crate) fn poll_ready_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Not the state: after the peer's close frame or a failure, answers to the messages
        // that came before it may still be sent (the engine fences its close frame behind
        // them); the engine refuses a send that is too late, and `start_send` reports it.
        if self.finished {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if self.conn.is_writable() {
            return Poll::Ready(Ok(()));
        }
        match self.poll_write_out(cx) {
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
            Poll::Ready(Ok(())) | Poll::Pending => {}
        }
        if self.conn.is_writable() {
            Poll::Ready(Ok(()))
        } else {
            self.write_waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// The next engine event, driving the transport and the timers until there is one.
    /// `None` once the connection is over and its last output written.
    pub(crate) fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Event, Error>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(event) = self.conn.poll_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            // Nothing to hand out: write what the application and the engine queued, all at once.
            let written = self.poll_write_out(cx);
            if let Poll::Ready(Err(e)) = written {
                self.read_done = true;
                self.conn.receive_eof();
                self.drain_to_end();
                return Poll::Ready(Some(Err(Error::Io(e))));
            }
            if self.conn.state() == State::Closed {
                if written.is_pending() {
                    self.read_waiter = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                if !self.shut_down {
                    // Best effort: the peer may already be gone.
                    let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
                    self.shut_down = true;
                    let linger = Instant::now() + LINGER;
                    self.sleep.as_mut().reset(linger);
                    self.armed = None;
                }
                // Closing a socket with unread input resets the connection, and a reset can
                // destroy our close frame before the peer reads it: read and discard until
                // the peer closes too (or for at most LINGER).
                ready!(self.poll_linger(cx));
                self.finished = true;
                return Poll::Ready(None);
            }
            if self.poll_timers(cx) {
                continue;
            }
            if self.read_done {
                // EOF was fed; the engine reports Closed at once, so this is not reached
                // with the connection still open, but never spin.
                return Poll::Pending;
            }
            let mut storage = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut storage);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => {
                    if buf.filled().is_empty() {
                        self.read_done = true;
                        self.conn.receive_eof();
                    } else {
                        self.conn.receive(buf.filled());
                    }
                    let now = self.now_ms();
                    self.conn.handle_timeout(now);
                }
                // A TLS peer that closed without close_notify: the WebSocket closing
                // handshake, not TLS, says whether the end was clean (RFC 6455 §7.1.1), so
                // this is an end of input like any other and the engine judges it.
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.read_done = true;
                    self.conn.receive_eof();
                    let now = self.now_ms();
                    self.conn.handle_timeout(now);
                }
                Poll::Ready(Err(e)) => {
                    self.read_done = true;
                    self.conn.receive_eof();
                    self.drain_to_end();
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
            }
        }
    }

    /// Discards input until end of file, an error or the linger deadline.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while !self.read_done {
            let mut storage = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut storage);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {}
                Poll::Ready(_) => self.read_done = true,
                Poll::Pending => {
                    ready!(self.sleep.as_mut().poll(cx));
                    self.read_done = true;
                }
            }
        }
        Poll::Ready(())
    }

    /// After a transport error: nothing more can be written or read.
    fn drain_to_end(&mut self) {
        while self.conn.poll_event().is_some() {}
        let n = self.conn.buffered_amount();
        self.conn.consume_output(n);
        self.finished = true;
    }
}
