//! Configuration: limits, delivery options, timers and handshake policy.
//!
//! Every limit has a safe default and is checked where the data arrives; every timer is
//! optional and counts milliseconds of the caller's clock (see [`crate::Connection::handle_timeout`]).
//! Bindings set options by name through the schema ([`CONFIG_OPTIONS`], [`Config::set`]).

use alloc::string::String;
use alloc::vec::Vec;

mod schema;

#[cfg(feature = "deflate")]
pub use schema::DEFLATE_OPTIONS;
pub use schema::{
    camel_case, snake_case, OptionError, OptionKind, OptionSpec, OptionValue, CONFIG_OPTIONS,
};

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends masked frames, expects unmasked ones; starts the opening handshake.
    Client,
    /// Sends unmasked frames, expects masked ones; answers the opening handshake.
    Server,
}

/// How received data messages reach the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Whole messages: [`crate::Event::Text`] and [`crate::Event::Binary`] (the default).
    Messages,
    /// Pieces of at most this many bytes as [`crate::Event::Chunk`], the last one flagged
    /// (Ioto's LimitWebSocketsPacket). Text pieces end on character boundaries.
    Chunks(usize),
    /// One [`crate::Event::Chunk`] per frame as it arrived, `last` on the final frame
    /// (Ioto's PreserveFrames). Text pieces end on character boundaries: up to 3 bytes of
    /// a character split between frames move to the next piece.
    Frames,
}

/// Connection options. `Config::default()` is safe for a public server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    // ---- limits ----
    /// Largest frame payload accepted (1009 beyond). Default 16 MiB.
    pub max_frame_size: usize,
    /// Largest message accepted, counted after decompression (1009 beyond;
    /// Ioto's LimitWebSocketsMessage). Default 16 MiB.
    pub max_message_size: usize,
    /// Most frames in one message (1009 beyond). Default 131 072, so a 4 MiB message in
    /// 65 536 fragments of 64 bytes passes (Autobahn 9.3/9.4) while a flood of empty
    /// fragments is cut off.
    pub max_fragments: usize,
    /// Most bytes the application may queue for output; sends beyond fail with
    /// [`crate::Error::OutputBufferFull`]. Default 64 MiB.
    pub max_output_buffer: usize,
    /// Above this many queued output bytes, automatic pongs are coalesced (only the most
    /// recent ping is answered, RFC 6455 §5.5.3) and [`crate::Connection::is_writable`]
    /// is false. Default 1 MiB.
    pub high_water_mark: usize,
    /// When queued output drains to this many bytes after having passed the high-water
    /// mark, a [`crate::Event::Writable`] is emitted. Default 64 KiB.
    pub low_water_mark: usize,
    /// Split outgoing messages into frames of at most this many payload bytes
    /// (Ioto's LimitWebSocketsFrame). `None` sends each message as one frame.
    pub max_outgoing_frame_size: Option<usize>,
    /// Longest HTTP head (request line or status line plus headers) accepted. Default 8 KiB.
    pub max_header_bytes: usize,
    /// Most HTTP header fields accepted. Default 64.
    pub max_headers: usize,
    /// Most body bytes of a non-101 response kept for [`crate::Event::Rejected`]. Default 64 KiB.
    pub max_reject_body: usize,

    // ---- delivery ----
    /// How data messages are delivered.
    pub delivery: Delivery,
    /// Accept text that is not UTF-8 (Ioto's IgnoreEncodingErrors): whole text messages are
    /// delivered with invalid sequences replaced by U+FFFD, chunks as the raw bytes.
    pub ignore_utf8_errors: bool,
    /// Emit [`crate::Event::Ping`] for received pings (they are answered either way). Default false.
    pub surface_pings: bool,
    /// Emit [`crate::Event::Pong`] for received pongs. Default false.
    pub surface_pongs: bool,
    /// Answer pings automatically with a pong of the same payload. Default true.
    pub auto_pong: bool,

    // ---- timers, in milliseconds of the caller's clock ----
    /// Fail the opening handshake if it has not completed this long after the clock starts
    /// (a server answers 408). Default 10 s.
    pub handshake_timeout: Option<u64>,
    /// Send a keepalive ping this long after the previous one while open (Ioto's WebSocketsPing).
    /// Default off.
    pub ping_interval: Option<u64>,
    /// Fail with 1011 when a keepalive ping is not answered this long after it was sent. Default 20 s.
    pub pong_timeout: Option<u64>,
    /// Close with 1001 after this long without any inbound byte (Ioto's InactivityTimeout). Default off.
    pub idle_timeout: Option<u64>,
    /// Close with 1001 this long after the connection opened (Ioto's RequestTimeout). Default off.
    pub max_lifetime: Option<u64>,
    /// After our close frame, wait this long for the peer's (and, for a client, for the
    /// server to drop the transport) before reporting the connection closed. Default 5 s.
    pub close_timeout: Option<u64>,

    // ---- handshake policy ----
    /// Subprotocols: for a server, its preference list (the first one the client offered is
    /// selected when the application does not choose; Ioto's WebSocketsProtocol); for a client,
    /// the list it offers.
    pub protocols: Vec<String>,
    /// Server: `Origin` values accepted; others are rejected with 403 before the application
    /// sees the request. `None` lets every origin through (the application may still reject).
    pub allowed_origins: Option<Vec<String>>,
    /// permessage-deflate (RFC 7692); `None` disables it. Default disabled.
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::deflate::DeflateConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 16 << 20,
            max_message_size: 16 << 20,
            max_fragments: 131_072,
            max_output_buffer: 64 << 20,
            high_water_mark: 1 << 20,
            low_water_mark: 64 << 10,
            max_outgoing_frame_size: None,
            max_header_bytes: 8 << 10,
            max_headers: 64,
            max_reject_body: 64 << 10,
            delivery: Delivery::Messages,
            ignore_utf8_errors: false,
            surface_pings: false,
            surface_pongs: false,
            auto_pong: true,
            handshake_timeout: Some(10_000),
            ping_interval: None,
            pong_timeout: Some(20_000),
            idle_timeout: None,
            max_lifetime: None,
            close_timeout: Some(5_000),
            protocols: Vec::new(),
            allowed_origins: None,
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }
}

impl Config {
    /// Checks that the values are consistent (positive limits, low water below high water).
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |why: &str| Err(crate::Error::InvalidInput(String::from(why)));
        if self.max_frame_size == 0 || self.max_message_size == 0 {
            return bad("max_frame_size and max_message_size must be positive");
        }
        if self.max_fragments == 0 {
            return bad("max_fragments must be positive");
        }
        if self.low_water_mark > self.high_water_mark {
            return bad("low_water_mark must not exceed high_water_mark");
        }
        if self.max_outgoing_frame_size == Some(0) {
            return bad("max_outgoing_frame_size must be positive");
        }
        if let Delivery::Chunks(0) = self.delivery {
            return bad("chunk size must be positive");
        }
        if self.max_header_bytes < 64 || self.max_headers == 0 {
            return bad("max_header_bytes must be at least 64 and max_headers positive");
        }
        Ok(())
    }
}
