//! # wsengine-tokio
//!
//! The [wsengine](https://docs.rs/wsengine) sans-IO WebSocket engine on tokio: a
//! [`WebSocket`] that is a `futures` `Stream<Item = Result<Message, Error>>` and a
//! `Sink<Message>`, servers over any `AsyncRead + AsyncWrite` ([`accept`]), clients over TCP
//! with optional TLS ([`connect`], feature `rustls`), and upgrades inside hyper 1 and axum
//! (module `upgrade`, feature `hyper`), including WebSockets over HTTP/2 (RFC 8441).
//!
//! The engine makes every protocol decision (framing, UTF-8, limits, closing, timers,
//! permessage-deflate); this crate only moves bytes and time between it and tokio. There is no
//! background task: the socket reads, writes and runs its timers while it is polled.
//!
//! A ten-line echo server:
//!
//! ```no_run
//! use futures_util::StreamExt;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//!     loop {
//!         let (tcp, _) = listener.accept().await?;
//!         tokio::spawn(async move {
//!             let ws = wsengine_tokio::accept(tcp, Default::default()).await?.accept().await?;
//!             let (sink, stream) = ws.split();
//!             stream.forward(sink).await
//!         });
//!     }
//! }
//! ```
//!
//! Received messages that can be answered are always answerable: when one read holds
//! messages followed by the peer's close frame or a protocol error, the messages are handed
//! out first, and answers sent to them are written before the engine's close frame.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod driver;
mod error;
mod message;
mod server;
mod socket;
#[cfg(feature = "rustls")]
pub mod tls;
#[cfg(feature = "hyper")]
pub mod upgrade;

pub use client::{client, connect, ConnectOptions, MaybeTlsStream};
pub use error::Error;
pub use message::{CloseFrame, Message, Utf8Bytes};
pub use server::{accept, Incoming};
pub use socket::{WebSocket, WebSocketReceiver, WebSocketSender};

pub use bytes::Bytes;
pub use wsengine;
pub use wsengine::{AcceptOptions, Config, Header, Opened, Request};
