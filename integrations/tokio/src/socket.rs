//! [`WebSocket`]: an open connection as a `futures` [`Stream`] of received messages and a
//! [`Sink`] of messages to send, and its halves after [`WebSocket::split`].

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use wsengine::{CloseInfo, Connection, Event, State};

use crate::driver::Driver;
use crate::message::{CloseFrame, Message, Utf8Bytes};
use crate::Error;

/// An open WebSocket over the transport `S` (a `TcpStream`, a TLS stream, a hyper upgrade...).
///
/// It has no task of its own: reading, writing and timers (keepalive, idle, close timeouts
/// from the engine's `Config`) make progress while the application polls it. Keep polling the
/// [`Stream`] (e.g. `ws.next().await` in a loop) for as long as the connection should live: that
/// is what reads, answers pings and completes the closing handshake. The stream ends (`None`)
/// once the connection is closed and its last bytes are written.
///
/// Sending (`Sink`) queues the message in the engine without writing; `poll_flush` (and
/// `SinkExt::send`) writes everything queued in as few writes as possible, and the stream
/// writes queued output before it reads again — so `StreamExt::forward` or `feed` + `flush`
/// batch many messages into one write. `poll_ready` waits while the queued output is above
/// the high-water mark (`Config::high_water_mark`), so a peer that never reads cannot make the
/// queue grow past that bound (plus one message).
pub struct WebSocket<S> {
    driver: Driver<S>,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("conn", &self.driver.conn)
            .finish_non_exhaustive()
    }
}

impl<S> WebSocket<S> {
    pub(crate) fn from_driver(driver: Driver<S>) -> Self {
        WebSocket { driver }
    }

    /// A WebSocket over a transport that is already open: for stacks that did the upgrade
    /// themselves (RFC 8441 / RFC 9220), with a connection from [`Connection::open`] whose
    /// clock has not started.
    pub fn from_open(io: S, conn: Connection) -> Self {
        WebSocket::from_driver(Driver::new(io, conn))
    }

    /// The engine connection (read-only): state, protocol, extensions, buffered amount...
    pub fn connection(&self) -> &Connection {
        &self.driver.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.driver.io
    }

    /// The W3C ready state.
    pub fn state(&self) -> State {
        self.driver.conn.state()
    }

    /// Bytes queued and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.driver.conn.buffered_amount()
    }

    /// The subprotocol selected in the opening handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.driver.conn.protocol()
    }

    /// The negotiated extensions (`Sec-WebSocket-Extensions`).
    pub fn extensions(&self) -> Option<&str> {
        self.driver.conn.extensions()
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.driver.conn.close_info()
    }

    /// Splits the socket into a receiving and a sending half that can live in different
    /// tasks. They share the transport behind a mutex held only during a poll.
    pub fn split(self) -> (WebSocketSender<S>, WebSocketReceiver<S>) {
        let shared = Arc::new(Mutex::new(self.driver));
        (
            WebSocketSender {
                shared: Arc::clone(&shared),
            },
            WebSocketReceiver { shared },
        )
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Sends a message and writes everything queued (`SinkExt::send` without the import).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        poll_fn(|cx| self.driver.poll_ready_send(cx)).await?;
        start_send(&mut self.driver, message)?;
        poll_fn(|cx| self.driver.poll_flush_out(cx)).await
    }

    /// The next message (`StreamExt::next` without the import); `None` once closed.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| poll_message(&mut self.driver, cx)).await
    }

    /// Sends a ping with `payload` (at most 125 bytes) and writes it.
    pub async fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send(Message::Ping(payload.into())).await
    }

    /// Starts the closing handshake with `code` and `reason` (RFC 6455 §7.1.2) and writes the
    /// close frame. Keep reading the stream until it ends to see the peer's answer.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.driver
            .conn
            .close(Some(code), reason)
            .map_err(Error::from_send)?;
        poll_fn(|cx| self.driver.poll_flush_out(cx)).await
    }
}

/// Queues one message in the engine.
fn start_send<S>(driver: &mut Driver<S>, message: Message) -> Result<(), Error> {
    let conn = &mut driver.conn;
    let result = match &message {
        Message::Text(t) => conn.send_text(t.as_str()),
        Message::Binary(b) => conn.send_binary(b),
        Message::Ping(p) => conn.ping(p),
        Message::Pong(p) => conn.pong(p),
        Message::Close(None) => conn.close(None, ""),
        Message::Close(Some(f)) => conn.close(Some(f.code), f.reason.as_str()),
    };
    result.map_err(Error::from_send)
}

/// The next message, skipping the engine's other events.
fn poll_message<S: AsyncRead + AsyncWrite + Unpin>(
    driver: &mut Driver<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, Error>>> {
    loop {
        let event = match std::task::ready!(driver.poll_event(cx)) {
            None => return Poll::Ready(driver.failure.take().map(|e| Err(Error::Protocol(e)))),
            Some(Err(e)) => return Poll::Ready(Some(Err(e))),
            Some(Ok(event)) => event,
        };
        let message = match event {
            Event::Text(t) => Message::Text(Utf8Bytes::from(t)),
            Event::Binary(b) => Message::Binary(Bytes::from(b)),
            Event::Ping(p) => Message::Ping(Bytes::from(p)),
            Event::Pong(p) => Message::Pong(Bytes::from(p)),
            Event::CloseReceived(f) => {
                // Nothing more may be sent now; our answer is queued behind every answer the
                // application gave to earlier messages. Write it as far as the transport
                // takes it without waiting, for applications that stop reading here.
                let _ = driver.poll_write_out(cx);
                Message::Close(Some(CloseFrame {
                    code: f.code,
                    reason: Utf8Bytes::from(f.reason),
                }))
            }
            Event::Failed(e) => {
                // Reported once the connection is over: the close frame written, the transport
                // shut down and its input drained (so that dropping the socket right after the
                // error cannot reset the connection and destroy the close frame and the
                // answers queued before it).
                driver.failure = Some(e);
                continue;
            }
            _ => continue,
        };
        return Poll::Ready(Some(Ok(message)));
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        poll_message(&mut self.get_mut().driver, cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_ready_send(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        start_send(&mut self.get_mut().driver, item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_flush_out(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        poll_close(&mut self.get_mut().driver, cx)
    }
}

/// Sends a close frame (1000) if none was sent, then writes everything.
fn poll_close<S: AsyncRead + AsyncWrite + Unpin>(
    driver: &mut Driver<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    if driver.conn.state() == State::Open {
        // Closing twice, or in a state that forbids it, is not an error here.
        let _ = driver.conn.close(Some(1000), "");
    }
    driver.poll_flush_out(cx)
}

/// The sending half of a split [`WebSocket`]: a [`Sink`] of messages.
pub struct WebSocketSender<S> {
    shared: Arc<Mutex<Driver<S>>>,
}

/// The receiving half of a split [`WebSocket`]: a [`Stream`] of messages. Keep polling it:
/// it also answers pings, runs the timers and completes the closing handshake.
pub struct WebSocketReceiver<S> {
    shared: Arc<Mutex<Driver<S>>>,
}

fn lock<S>(m: &Mutex<Driver<S>>) -> MutexGuard<'_, Driver<S>> {
    // A panic while polling cannot leave the driver half-updated in a way that matters more
    // than losing the connection; keep going with its state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<S> WebSocketSender<S> {
    /// Whether both halves come from the same [`WebSocket`].
    pub fn is_pair_of(&self, other: &WebSocketReceiver<S>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Puts the halves back together; gives them back if they do not belong together.
    pub fn reunite(
        self,
        other: WebSocketReceiver<S>,
    ) -> Result<WebSocket<S>, (WebSocketSender<S>, WebSocketReceiver<S>)> {
        if !self.is_pair_of(&other) {
            return Err((self, other));
        }
        drop(other);
        match Arc::try_unwrap(self.shared) {
            Ok(m) => Ok(WebSocket {
                driver: m.into_inner().unwrap_or_else(|p| p.into_inner()),
            }),
            Err(_) => unreachable!("both halves were given"),
        }
    }

    /// Bytes queued and not yet written.
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared).conn.buffered_amount()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketSender<S> {
    /// Sends a message and writes everything queued.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        poll_fn(|cx| lock(&self.shared).poll_ready_send(cx)).await?;
        start_send(&mut lock(&self.shared), message)?;
        poll_fn(|cx| lock(&self.shared).poll_flush_out(cx)).await
    }

    /// Starts the closing handshake with `code` and `reason` and writes the close frame.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        lock(&self.shared)
            .conn
            .close(Some(code), reason)
            .map_err(Error::from_send)?;
        poll_fn(|cx| lock(&self.shared).poll_flush_out(cx)).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketSender<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_ready_send(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        start_send(&mut lock(&self.shared), item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_flush_out(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        poll_close(&mut lock(&self.shared), cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketReceiver<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        poll_message(&mut lock(&self.shared), cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketReceiver<S> {
    /// The next message; `None` once closed.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| poll_message(&mut lock(&self.shared), cx)).await
    }
}
