//! Events: plain values the connection hands to the application, in order.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;

use crate::close::CloseFrame;
use crate::error::Error;
use crate::handshake::{Header, Request};

/// Something that happened on the connection. Drain them with
/// [`crate::Connection::poll_event`] after every input.
///
/// The once-per-connection variants are boxed so that the per-message ones stay small
/// (an `Event` is 40 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Server: a valid WebSocket upgrade request arrived. Answer it with
    /// [`crate::Connection::accept`] or [`crate::Connection::reject`].
    Request(Box<Request>),
    /// Server: a valid HTTP request that is not a WebSocket upgrade. Answer it with
    /// [`crate::Connection::respond`] (the connection then closes).
    HttpRequest(Box<Request>),
    /// The opening handshake completed; the connection is open.
    Open(Box<Opened>),
    /// Client: the CONNECT proxy opened the tunnel. The upgrade request is queued behind
    /// this event: start TLS now for `wss://`, then write the pending output.
    ProxyConnected,
    /// Client: the server (or the CONNECT proxy) answered with something other than success.
    Rejected(Box<Rejected>),
    /// A complete text message.
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A piece of a data message (chunked or preserve-frames delivery).
    Chunk(Chunk),
    /// A ping arrived (only with `surface_pings`; it is answered either way when `auto_pong`).
    Ping(Vec<u8>),
    /// A pong arrived (only with `surface_pongs`).
    Pong(Vec<u8>),
    /// The peer sent a close frame (code 1005 if it had no body). Our answer is queued
    /// automatically.
    CloseReceived(CloseFrame),
    /// We failed the connection because of `error`; a close frame with `error.close_code()`
    /// was queued when the connection was open. [`Event::Closed`] follows.
    Failed(Error),
    /// The connection is over: write any pending output, then drop the transport.
    Closed(CloseInfo),
    /// Queued output drained below the low-water mark after exceeding the high-water mark.
    Writable,
}

/// An event handed to the callback of [`crate::Connection::receive_with`]: a whole message
/// borrowed from the connection's buffer (valid during the call), or from the caller's input
/// with [`crate::Connection::receive_in_place`], or any other event.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventRef<'a> {
    /// A complete text message, borrowed.
    Text(&'a str),
    /// A complete binary message, borrowed.
    Binary(&'a [u8]),
    /// A complete binary message, received into the buffer that
    /// [`EventSink::message_buffer`] gave for it (only with [`crate::Connection::receive_into`]).
    Buffer(Box<dyn MessageBuffer>),
    /// A complete text message (valid UTF-8), received into the buffer that
    /// [`EventSink::text_buffer`] gave for it (only with [`crate::Connection::receive_into`]).
    TextBuffer(Box<dyn MessageBuffer>),
    /// Any other event (including messages that were fragmented or compressed).
    Owned(Event),
}

impl EventRef<'_> {
    /// The same event as an owned [`Event`] (copies a lent message).
    pub fn into_owned(self) -> Event {
        match self {
            EventRef::Text(t) => Event::Text(String::from(t)),
            EventRef::Binary(b) => Event::Binary(b.to_vec()),
            EventRef::Buffer(b) => Event::Binary(b.as_slice().to_vec()),
            // Validated before it was handed over; the lossy conversion only copies.
            EventRef::TextBuffer(b) => {
                Event::Text(String::from_utf8_lossy(b.as_slice()).into_owned())
            }
            EventRef::Owned(e) => e,
        }
    }
}

/// Where [`crate::Connection::receive_into`] hands its events, and where it may receive a
/// message: into memory of the application's own (a Python `bytes`, a JS buffer), so that
/// the message is written once, unmasked, where the application wants it, instead of into
/// the engine's buffer and then copied. Every `FnMut(EventRef)` is one (with
/// no buffers of its own).
pub trait EventSink {
    /// The next event, in order.
    fn event(&mut self, event: EventRef<'_>);

    /// A binary message of `len` bytes begins, in one uncompressed frame whose header
    /// passed every check (so `len` is within the configured limits). Return a buffer of
    /// exactly `len` bytes to receive it into, or `None` (the default) for the engine's own.
    /// The message then arrives as [`EventRef::Buffer`] with this buffer, filled; if the
    /// connection fails first, the buffer is dropped.
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        let _ = len;
        None
    }

    /// [`EventSink::message_buffer`] for a text message of `len` bytes: return a buffer of
    /// exactly `len` bytes, or `None` (the default) for the engine's own (the message is then
    /// lent as [`EventRef::Text`]). The engine validates the UTF-8 where it writes it
    /// (invalid text fails the connection with 1007 as always, and the buffer is dropped);
    /// the message then arrives as [`EventRef::TextBuffer`].
    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        let _ = len;
        None
    }
}

impl<F: FnMut(EventRef<'_>)> EventSink for F {
    fn event(&mut self, event: EventRef<'_>) {
        self(event)
    }
}

/// Memory an [`EventSink`] lends for one message (see [`EventSink::message_buffer`] and
/// [`EventSink::text_buffer`]).
pub trait MessageBuffer: Any + Send + Sync {
    /// The whole buffer (the message's length).
    fn as_slice(&self) -> &[u8];
    /// The whole buffer, to write the message into.
    fn as_mut_slice(&mut self) -> &mut [u8];
    /// The buffer as `Any`, to get its concrete type back (`downcast`).
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl fmt::Debug for dyn MessageBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageBuffer")
            .field("len", &self.as_slice().len())
            .finish()
    }
}

impl PartialEq for dyn MessageBuffer {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for dyn MessageBuffer {}

/// What the peer agreed to in the opening handshake.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opened {
    /// The selected subprotocol.
    pub protocol: Option<String>,
    /// The negotiated extensions, as the `Sec-WebSocket-Extensions` value.
    pub extensions: Option<String>,
    /// Client: the headers of the server's 101 response. Server: empty.
    pub headers: Vec<Header>,
}

/// A refused opening handshake, as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// HTTP status code (not 101, or not 2xx from a CONNECT proxy).
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Response headers.
    pub headers: Vec<Header>,
    /// The body, up to `max_reject_body` bytes.
    pub body: Vec<u8>,
    /// Whether a CONNECT proxy (not the WebSocket server) refused.
    pub from_proxy: bool,
}

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Binary data.
    Binary,
}

/// A piece of a data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Text or binary.
    pub kind: DataKind,
    /// The bytes. For text (unless `ignore_utf8_errors`) they are validated UTF-8 and end
    /// on a character boundary.
    pub data: Vec<u8>,
    /// Whether this is the first piece of its message.
    pub first: bool,
    /// Whether this is the last piece of its message.
    pub last: bool,
}

/// Which side began the closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// This endpoint.
    Local,
    /// The peer.
    Remote,
}

/// How the connection ended (the W3C CloseEvent's `code`, `reason` and `wasClean`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The code the peer sent; 1005 if its close frame had none; 1006 if no close frame
    /// arrived (transport closed, failure, timeout).
    pub code: u16,
    /// The reason the peer sent.
    pub reason: String,
    /// Whether the closing handshake completed: both close frames were exchanged
    /// (Ioto's httpWebSocketOrderlyClosed).
    pub was_clean: bool,
    /// Who sent the first close frame, if anyone did.
    pub initiated_by: Option<Side>,
    /// The code of the close frame we sent, if we sent one.
    pub sent_code: Option<u16>,
}
