//! # wsengine
//!
//! A sans-IO WebSocket engine: RFC 6455 framing and closing, the HTTP/1.1 opening
//! handshake for both roles, permessage-deflate (RFC 7692), a post-handshake mode for
//! RFC 8441 / RFC 9220 stacks, limits and timers. It never touches a socket, a thread, a
//! clock or a random-number source: bytes and time go in, events and bytes come out.
//!
//! ```
//! use wsengine::{Config, Connection, Event, AcceptOptions};
//!
//! let mut server = Connection::server(Config::default()).unwrap();
//! server.receive(b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n");
//! let Some(Event::Request(request)) = server.poll_event() else { panic!() };
//! assert_eq!(request.path, "/chat");
//! server.accept(AcceptOptions::default()).unwrap();
//! let response = server.take_output();
//! assert!(response.starts_with(b"HTTP/1.1 101"));
//! assert!(matches!(server.poll_event(), Some(Event::Open(_))));
//!
//! // A masked "Hello" from the client (RFC 6455 §5.7).
//! server.receive(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//! assert_eq!(server.poll_event(), Some(Event::Text("Hello".into())));
//! server.send_text("Hello").unwrap();
//! assert_eq!(server.take_output(), [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
//! ```
//!
//! The calling pattern, for any runtime:
//!
//! 1. create a [`Connection`] ([`Connection::server`], [`Connection::client`] or
//!    [`Connection::open`]) and call [`Connection::handle_timeout`] with the current time;
//! 2. on every read: [`Connection::receive`] (or [`Connection::receive_eof`]), then
//!    [`Connection::handle_timeout`] with the current time;
//! 3. drain [`Connection::poll_event`] and act on each [`Event`];
//! 4. write [`Connection::pending_output`] and [`Connection::consume_output`] what was written;
//! 5. sleep until [`Connection::poll_timeout`] or the next read;
//! 6. after [`Event::Closed`], write what is left and drop the transport.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close;
pub mod config;
pub mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod error;
pub mod event;
pub mod frame;
pub mod handshake;
pub mod mask;
mod output;
pub mod rng;
pub mod utf8;

pub use close::CloseFrame;
pub use config::{Config, Delivery, Role};
pub use connection::{AcceptOptions, ClientOptions, Connection, OpenOptions, ProxyOptions, State};
pub use error::Error;
pub use event::{
    Chunk, CloseInfo, DataKind, Event, EventRef, EventSink, MessageBuffer, Opened, Rejected, Side,
};
pub use handshake::{Header, Request};
#[cfg(feature = "getrandom")]
pub use rng::OsRandom;
pub use rng::RandomSource;
