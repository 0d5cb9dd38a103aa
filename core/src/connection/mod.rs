//! The connection state machine: one type for both roles, tying the handshake, the frame
//! codec, message assembly, closing and timers together.
//!
//! Data flows in through [`Connection::receive`], [`Connection::receive_eof`] and
//! [`Connection::handle_timeout`]; out through [`Connection::poll_event`] and the output
//! queue ([`Connection::pending_output`] / [`Connection::consume_output`]).
//!
//! # The delivery contract
//!
//! - **Only input changes state.** [`Connection::receive`], [`Connection::receive_eof`],
//!   [`Connection::handle_timeout`], the output calls that report what the transport took
//!   ([`Connection::consume_output`], [`Connection::take_output`]) and the application's own
//!   send, close, accept and reject calls are the only calls that change the connection's
//!   state or its output. Taking events ([`Connection::poll_event`]) never does: one by one,
//!   all at once, before or after a timer call, the wire sees the same bytes.
//! - **Each input is processed whole.** A protocol error fails the connection at once
//!   (RFC 6455 §7.1.7: no further input is processed) and the peer's close frame is answered
//!   at once (§5.5.1); the events of the messages that came before them in the same input come
//!   first, in order.
//! - **Messages that arrived before a failure or a peer's close can always be answered.**
//!   The close frame the engine queues in reaction to input is *fenced*: it stays behind
//!   every data message the application sends until the transport takes its first byte, and
//!   sending data stays allowed until then. §5.5.1 lets an endpoint finish sending before it
//!   answers a close frame ("it MAY delay sending a Close frame until its current message is
//!   sent"), and §7.1.7 only forbids processing more *input* after a failure. So write the
//!   output after the application has answered what an input produced (the usual loop:
//!   receive, handle_timeout, take and answer events, write), and answers reach the wire
//!   before our close frame (Autobahn 5.15, 7.1.1). Once the close frame was taken, sends
//!   fail with [`Error::InvalidState`]. Only data messages answer: pings and pongs need an
//!   open connection. A close the application starts itself ([`Connection::close`]) is not
//!   fenced: nothing may follow it.

mod closing;
mod opening;
#[cfg(feature = "deflate")]
mod pmd;
mod receive;
mod send;
mod timers;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::close::CloseFrame;
use crate::config::{Config, Role};
use crate::error::Error;
use crate::event::{CloseInfo, Event, Side};
use crate::output::Output;
use crate::rng::{KeyPool, RandomSource};

pub use opening::{AcceptOptions, ClientOptions, OpenOptions, ProxyOptions};

use opening::Opening;
use receive::Receiver;
use timers::Timers;

/// The connection's state, as the W3C `WebSocket.readyState` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake is in progress (0).
    Connecting,
    /// Messages flow both ways (1).
    Open,
    /// A close frame was sent or received; the closing handshake is in progress (2).
    Closing,
    /// The connection is over; the transport may be dropped (3).
    Closed,
}

/// Where the connection is in its life (RFC 6455 §4 and §7): the one source of truth for what
/// may happen next. [`Connection::state`] gives its W3C view. What was exchanged on the way
/// (the close frames' codes and reasons, who began) is recorded beside it, not encoded here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Phase {
    /// §4.1 / §4.2: the opening handshake is in progress; `Opening` holds its step.
    Connecting,
    /// §4.1, §4.2.2: "_The WebSocket Connection is Established_": data flows both ways.
    Open,
    /// §5.5.1, §7.1.2: our close frame is queued and the peer's has not come yet; its data
    /// frames are still read (and delivered), ours may no longer be sent.
    CloseSent,
    /// §7.1.1: a client that exchanged both close frames waits for the server to close the
    /// TCP connection first (or for `close_timeout`).
    AwaitingEof,
    /// §7.1.4: "_The WebSocket Connection is Closed_"; how, in `close_info`.
    Closed,
}

/// A WebSocket connection: a pure state machine with no I/O.
///
/// See the crate documentation for the calling pattern.
pub struct Connection {
    role: Role,
    config: Config,
    phase: Phase,
    opening: Opening,
    events: VecDeque<Event>,
    out: Output,
    keys: Option<KeyPool>,
    recv: Receiver,
    /// A fragmented message we are sending: its kind, while `fin` has not been sent.
    sending_fragmented: Option<crate::event::DataKind>,
    /// UTF-8 state of a fragmented text message being sent.
    sending_utf8: crate::utf8::Utf8Stream,
    close_sent: Option<u16>,
    close_received: Option<CloseFrame>,
    initiated_by: Option<Side>,
    close_info: Option<CloseInfo>,
    /// Output passed the high-water mark; a `Writable` event is owed when it drains.
    above_high_water: bool,
    /// A pong owed while output was above the high-water mark (only the latest ping's).
    deferred_pong: Option<Vec<u8>>,
    protocol: Option<String>,
    extensions: Option<String>,
    timers: Timers,
    #[cfg(feature = "deflate")]
    pmd: Option<pmd::Pmd>,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("phase", &self.phase)
            .field("buffered_amount", &self.out.len())
            .field("protocol", &self.protocol)
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(role: Role, config: Config, keys: Option<Box<dyn RandomSource>>) -> Result<Self, Error> {
        config.validate()?;
        Ok(Connection {
            role,
            timers: Timers::new(&config),
            config,
            phase: Phase::Connecting,
            opening: Opening::Done,
            events: VecDeque::new(),
            out: Output::default(),
            keys: keys.map(KeyPool::new),
            recv: Receiver::default(),
            sending_fragmented: None,
            sending_utf8: Default::default(),
            close_sent: None,
            close_received: None,
            initiated_by: None,
            close_info: None,
            above_high_water: false,
            deferred_pong: None,
            protocol: None,
            extensions: None,
            #[cfg(feature = "deflate")]
            pmd: None,
        })
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration the connection was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The W3C ready state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Connecting => State::Connecting,
            Phase::Open => State::Open,
            Phase::CloseSent | Phase::AwaitingEof => State::Closing,
            Phase::Closed => State::Closed,
        }
    }

    /// The subprotocol selected in the opening handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The negotiated extensions, as a `Sec-WebSocket-Extensions` value.
    pub fn extensions(&self) -> Option<&str> {
        self.extensions.as_deref()
    }

    /// How the connection ended; `None` until it is [`State::Closed`].
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.close_info.as_ref()
    }

    /// The next event, or `None` when every event produced so far has been taken.
    ///
    /// Taking events never changes the connection's state or its output (see "The delivery
    /// contract" above): take them one by one, all at once, before or after
    /// [`Connection::handle_timeout`], and the wire sees the same bytes.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Takes every pending event at once: [`Connection::poll_event`] until `None`.
    pub fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        core::iter::from_fn(move || self.poll_event())
    }

    /// Whether the application may send data messages now: the connection is open and no
    /// close frame was queued, or the engine's own close frame (the answer to the peer's
    /// close, or the close frame of a failure) is still fenced behind the application's
    /// output, so answers to the messages that came before it go out first (the delivery
    /// contract above). A send returns [`Error::InvalidState`] exactly when this is false.
    pub fn can_send(&self) -> bool {
        self.phase == Phase::Open || self.out.has_fence()
    }

    /// Number of events waiting.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    // ---- output ----

    /// Bytes queued for the transport and not yet consumed (the W3C `bufferedAmount`).
    pub fn buffered_amount(&self) -> usize {
        self.out.len()
    }

    /// Whether queued output is at or below the high-water mark.
    pub fn is_writable(&self) -> bool {
        !self.above_high_water
    }

    /// The first contiguous run of bytes to write; empty when nothing is queued.
    pub fn pending_output(&self) -> &[u8] {
        self.out.front()
    }

    /// Every run of bytes to write, in order: give them to a vectored write.
    /// A large payload sent with [`Connection::send_owned`] is its own run (never copied).
    pub fn output_segments(&self) -> impl Iterator<Item = &[u8]> {
        self.out.segments()
    }

    /// Records that the transport accepted `n` bytes of output.
    pub fn consume_output(&mut self, n: usize) {
        self.out.consume(n);
        self.after_drain();
    }

    /// Takes every queued byte as one buffer (copies only when there is more than one run).
    pub fn take_output(&mut self) -> Vec<u8> {
        let bytes = self.out.take_all();
        self.after_drain();
        bytes
    }

    fn after_drain(&mut self) {
        let drained = self.above_high_water && self.out.len() <= self.config.low_water_mark;
        if drained {
            self.above_high_water = false;
        }
        // The pong held back while output was full goes out once there is room again.
        if !self.above_high_water && self.out.len() < self.config.max_output_buffer {
            if let Some(payload) = self.deferred_pong.take() {
                if self.can_send_control() {
                    self.write_control(crate::frame::OpCode::Pong, &payload);
                }
            }
        }
        if drained && self.phase == Phase::Open {
            self.events.push_back(Event::Writable);
        }
    }

    fn note_output_growth(&mut self) {
        if self.out.len() > self.config.high_water_mark {
            self.above_high_water = true;
        }
    }

    /// Whether a control frame (and our close frame) may still be queued: only while open,
    /// as every later phase has our close frame queued already (RFC 6455 §5.5.1).
    fn can_send_control(&self) -> bool {
        self.phase == Phase::Open
    }
}

#[cfg(test)]
mod tests;
