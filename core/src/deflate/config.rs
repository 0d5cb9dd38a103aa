//! What an endpoint wants from permessage-deflate ([`DeflateConfig`]) and what
//! was agreed in the handshake ([`DeflateParams`]).

use alloc::string::String;
use core::fmt::Write as _;

use super::params::ParseLimits;
use super::Endpoint;

/// Smallest window (log2 bytes) our compressor can be created with: zlib and
/// zlib-rs refuse 8 for a raw deflate stream. (A 9-bit one serves an agreed
/// 8-bit window: it never refers back more than 250 bytes.)
pub(crate) const MIN_COMPRESS_BITS: u8 = 9;

/// permessage-deflate settings for one endpoint.
///
/// Each parameter has one meaning in both roles — the window or context
/// policy of the *client's* or the *server's* compressor — and the role
/// decides whether we request it from the peer or impose it on ourselves.
/// `DeflateConfig::default()` is what we recommend: compression on, 4 KiB
/// windows (`12` bits, like Python `websockets`), context takeover kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Context policy of the client's compressor.
    ///
    /// As a client: offer `client_no_context_takeover` (a hint, §7.1.1.2) and
    /// reset our compressor after each message whatever the server answers.
    /// As a server: always answer `client_no_context_takeover`, so the client
    /// resets its context and we can free our inflater between messages.
    /// Default `false`.
    pub client_no_context_takeover: bool,
    /// Context policy of the server's compressor.
    ///
    /// As a client: request `server_no_context_takeover`; a server that
    /// accepts must echo it (§7.1.1.1). As a server: always answer
    /// `server_no_context_takeover` and drop our compressor between messages
    /// (a client's request for it is always accepted). Default `false`.
    pub server_no_context_takeover: bool,
    /// Window limit (log2 bytes, 8–15) of the client's compressor.
    ///
    /// As a client: the most our compressor uses (`None` = 15). The offer
    /// always carries the bare `client_max_window_bits`, so the server may
    /// answer any window (§7.1.2.2), and we compress with the smaller of its
    /// answer and this value: a compressor may always use a smaller window
    /// than the agreed maximum, and an inflater with a larger one reads it.
    /// (Offering the value instead would only make a server's larger answer
    /// invalid — some servers answer 15 regardless — and gain nothing the
    /// server cannot get by answering a smaller value itself.) As a server:
    /// the most we allow the client to use, answered only if the client
    /// offered the parameter (§7.1.2.2); `None` = no limit of ours. Values
    /// below 9 are treated as 9 (see the module docs on 8-bit windows), above
    /// 15 as 15. Default `Some(12)`.
    pub client_max_window_bits: Option<u8>,
    /// Window limit (log2 bytes, 8–15) of the server's compressor.
    ///
    /// As a client: `Some(n)` requests `server_max_window_bits=n`, so we
    /// inflate with a smaller window; `None` requests nothing. As a server:
    /// the most we compress with; answered whenever it is below 15
    /// (§7.1.2.1). Values below 9 are treated as 9, above 15 as 15.
    /// Default `Some(12)`.
    pub server_max_window_bits: Option<u8>,
    /// zlib compression level, 0 (store) to 9 (best); larger values are
    /// treated as 9. Default 6, zlib's default and what `ws` and `websockets`
    /// use. Measured with zlib-rs on 800-byte JSON messages with context
    /// takeover: level 6 ≈ 260 MB/s, 18 bytes per message; level 4 ≈ 350 MB/s,
    /// 19 bytes; level 1 (zlib-rs "quick", static Huffman) ≈ 1.5 GB/s but
    /// 27 bytes, and 45 % larger on a first 1 KiB message. Pick 1 when CPU
    /// matters more than bandwidth.
    pub compression_level: u32,
    /// Messages shorter than this many bytes are sent uncompressed (RSV1
    /// clear, always allowed by §6). Default 64: below that the deflate block
    /// overhead usually eats the gain and the call costs more than it saves.
    pub threshold: usize,
    /// Compression-ratio guard on receive: fail a message whose decompressed
    /// size exceeds `max_ratio` × its compressed size plus 4 KiB of slack
    /// (`None` = off). Default `None`: deflate itself cannot exceed about
    /// 1032:1, legitimate repetitive messages get close to that, and the
    /// message-size limit (applied while inflating) is the real bomb guard.
    /// Set it, e.g. to `Some(100)`, to bound the CPU spent per received byte.
    pub max_ratio: Option<u32>,
    /// Bounds on the `Sec-WebSocket-Extensions` parser.
    pub parse_limits: ParseLimits,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            client_no_context_takeover: false,
            server_no_context_takeover: false,
            client_max_window_bits: Some(12),
            server_max_window_bits: Some(12),
            compression_level: 6,
            threshold: 64,
            max_ratio: None,
            parse_limits: ParseLimits::default(),
        }
    }
}

/// Clamps a configured window size to what our compressor supports.
pub(crate) fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_COMPRESS_BITS, 15)
}

/// The permessage-deflate parameters agreed for one connection.
///
/// Window sizes are log2 bytes, 8–15 (15 when the parameter was absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// Largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// Largest window the client compresses with.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// Plain `permessage-deflate`: context takeover, 15-bit windows.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The server's `Sec-WebSocket-Extensions` response value, e.g.
    /// `permessage-deflate; client_max_window_bits=12`. Window sizes of 15
    /// are left out (15 is what absence means).
    pub fn to_header(&self) -> String {
        let mut s = String::from("permessage-deflate");
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits < 15 {
            let _ = write!(
                s,
                "; server_max_window_bits={}",
                self.server_max_window_bits
            );
        }
        if self.client_max_window_bits < 15 {
            let _ = write!(
                s,
                "; client_max_window_bits={}",
                self.client_max_window_bits
            );
        }
        s
    }

    /// `(window bits, no_context_takeover)` of the compressor owned by `side`.
    pub fn direction(&self, side: Endpoint) -> (u8, bool) {
        match side {
            Endpoint::Client => (self.client_max_window_bits, self.client_no_context_takeover),
            Endpoint::Server => (self.server_max_window_bits, self.server_no_context_takeover),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        assert_eq!(DeflateParams::default().to_header(), "permessage-deflate");
        let p = DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 12,
        };
        assert_eq!(
            p.to_header(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=12"
        );
        assert_eq!(p.direction(Endpoint::Client), (12, true));
        assert_eq!(p.direction(Endpoint::Server), (10, true));
    }

    #[test]
    fn clamp() {
        assert_eq!(clamp_bits(0), 9);
        assert_eq!(clamp_bits(8), 9);
        assert_eq!(clamp_bits(12), 12);
        assert_eq!(clamp_bits(200), 15);
    }
}
