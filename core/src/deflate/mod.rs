//! permessage-deflate (RFC 7692): negotiation and the per-message codec.
//!
//! Pure functions and objects, no I/O:
//!
//! - [`params`]: the `Sec-WebSocket-Extensions` parser, linear and bounded.
//! - [`config`]: [`DeflateConfig`] (what we want) and [`DeflateParams`] (what
//!   was agreed).
//! - [`negotiate`]: [`client_offer`] / [`client_accept`] and
//!   [`server_negotiate`].
//! - [`codec`]: [`Compressor`] and [`Decompressor`] over flate2 + zlib-rs.
//!
//! # 8-bit windows
//!
//! zlib (and zlib-rs, and flate2's API) cannot *create* a raw deflate
//! compressor with an 8-bit window, but a 9-bit one never refers back more
//! than 250 bytes (the window minus zlib's 262-byte lookahead), so what it
//! writes is valid for a peer that agreed to 8 bits (256 bytes). And any
//! inflater with a larger window reads a stream written with a smaller one.
//! So every window 8–15 is accepted in both roles and directions:
//!
//! - When the peer compresses with 8 bits (`client_max_window_bits=8` hint
//!   from a client, `server_max_window_bits=8` from a server) we inflate with
//!   a 9-bit window.
//! - When we are asked to compress with 8 bits (`server_max_window_bits=8` in
//!   a client's offer, `client_max_window_bits=8` in a server's answer) we
//!   agree and compress with 9 bits (the codec tests check the 250-byte
//!   bound on every kind of compression level).
//! - Configured window sizes below 9 are raised to 9, so we never ask a peer
//!   for 8 (zlib-based peers such as Python's `zlib` refuse to compress with it).
//!
//! # The client's window
//!
//! A client offers `client_max_window_bits` bare, so a server may answer any
//! window, and compresses with the smaller of the answer and
//! [`DeflateConfig::client_max_window_bits`] (12 by default): a compressor may
//! always use less than the agreed maximum (§7.1.2.2). Offering the value
//! would gain nothing (a server can answer a smaller value itself) and make a
//! larger answer invalid, which some servers give anyway (the Autobahn
//! fuzzing server answers 15 in its cases 13.4 and 13.6).
//!
//! # Close codes
//!
//! [`CodecError::close_code`]: invalid compressed data fails with 1007 (as
//! Node `ws`; Python `websockets` uses 1002, Autobahn does not test it),
//! the decompressed-size limit and the ratio guard with 1009.
//!
//! # BFINAL
//!
//! A block with BFINAL set ends the DEFLATE stream (§7.2.3.4). Whatever
//! follows in the same message (normally an empty stored block plus the
//! appended tail) is decoded by a fresh inflater, and the next message starts
//! with a fresh one too.
//!
//! # Memory per connection
//!
//! Bytes held by one context after its first message, counted with a counting
//! global allocator in a scratch program (flate2 1.1.11 + zlib-rs 0.6.8,
//! x86_64; the level does not matter):
//!
//! | window bits | [`Compressor`]       | [`Decompressor`]   |
//! |-------------|----------------------|--------------------|
//! | 15          | 380,032 (371 KiB)    | 47,552 (46.4 KiB)  |
//! | 12 (default)| 265,344 (259 KiB)    | 47,552             |
//! | 9           | 251,008 (245 KiB)    | 47,552             |
//!
//! zlib-rs sizes the compressor's hash table (128 KiB) and pending buffer
//! (64 KiB) for memLevel 8 whatever the window, and flate2 does not expose
//! memLevel; its inflater always allocates a 32 KiB window. So smaller windows
//! save little here (and a small inflate window does not reject references
//! beyond it: lenient, never unsafe).
//!
//! With context takeover a connection holds both contexts from its first
//! compressed message on: about 305 KiB with the defaults. With
//! `no_context_takeover` in a direction, its context exists only while one
//! message is being (de)compressed and 0 bytes are held between messages, so
//! a server that sets [`DeflateConfig::server_no_context_takeover`] and
//! [`DeflateConfig::client_no_context_takeover`] holds nothing for idle
//! connections. Contexts are allocated lazily, on the first compressed message;
//! sending an empty message allocates nothing.

pub mod codec;
pub mod config;
#[cfg(test)]
mod distances;
pub mod negotiate;
pub mod params;

pub use codec::{CodecError, Compressor, Decompressor};
pub use config::{DeflateConfig, DeflateParams};
pub use negotiate::{
    agreed_params, client_accept, client_offer, server_negotiate, NegotiationError,
};
pub use params::{parse_extensions, ExtensionOffer, ExtensionParseError, ParseLimits};

/// Which endpoint owns a compression direction: the client's messages use
/// the `client_*` parameters, the server's the `server_*` ones.
///
/// Constructors take `impl Into<Endpoint>`, so a [`crate::config::Role`] or a
/// `bool` (`true` = server) works too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The client.
    Client,
    /// The server.
    Server,
}

impl Endpoint {
    /// The other endpoint.
    pub fn peer(self) -> Endpoint {
        match self {
            Endpoint::Client => Endpoint::Server,
            Endpoint::Server => Endpoint::Client,
        }
    }
}

impl From<crate::config::Role> for Endpoint {
    fn from(role: crate::config::Role) -> Self {
        match role {
            crate::config::Role::Client => Endpoint::Client,
            crate::config::Role::Server => Endpoint::Server,
        }
    }
}

impl From<bool> for Endpoint {
    /// `true` is the server.
    fn from(is_server: bool) -> Self {
        if is_server {
            Endpoint::Server
        } else {
            Endpoint::Client
        }
    }
}
