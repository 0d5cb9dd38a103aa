//! Per-message compression and bounded decompression (RFC 7692 §7.2).
//!
//! Both objects allocate their zlib state on first use and free it between
//! messages when the direction's `no_context_takeover` applies, so an idle
//! connection holds no deflate memory in that mode.

use alloc::vec::Vec;
use core::fmt;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::config::{clamp_bits, DeflateParams};
use super::Endpoint;

/// The empty stored block a sync flush ends with: removed from every sent
/// message (§7.2.1) and appended to every received one (§7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Largest output step of one inflate call; also the most a limit check can
/// be late by (the excess is truncated before returning).
const MAX_STEP: usize = 64 * 1024;
/// Smallest output step.
const MIN_STEP: usize = 1024;
/// Output allowed beyond `max_ratio × input` so that short messages never
/// trip the ratio guard.
const RATIO_SLACK: u64 = 4096;

/// A compression or decompression failure. The connection cannot go on
/// after any of them: the context is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecError {
    /// The received data is not a valid DEFLATE stream. Close with 1007.
    Corrupt,
    /// The decompressed message exceeds the size limit. Close with 1009.
    TooLarge,
    /// The decompressed message exceeds the compression-ratio guard. Close with 1009.
    RatioExceeded,
    /// zlib failed while compressing (should not happen). Close with 1011.
    Compress,
}

impl CodecError {
    /// The close code to fail the connection with (RFC 6455 §7.4.1).
    ///
    /// Invalid compressed data is 1007 (payload inconsistent with the
    /// message, as Node `ws` does; Python `websockets` uses 1002);
    /// size and ratio breaches are 1009.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::Corrupt => 1007,
            Self::TooLarge | Self::RatioExceeded => 1009,
            Self::Compress => 1011,
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Corrupt => "invalid compressed data",
            Self::TooLarge => "decompressed message too large",
            Self::RatioExceeded => "decompressed message exceeds the compression ratio limit",
            Self::Compress => "compression failed",
        })
    }
}

impl std::error::Error for CodecError {}

/// Compresses outgoing messages for one direction.
#[derive(Debug)]
pub struct Compressor {
    ctx: Option<Compress>,
    level: Compression,
    window_bits: u8,
    no_context_takeover: bool,
}

impl Compressor {
    /// A compressor for messages sent by `side` under `params`, at zlib
    /// `level` (0–9; more is 9). The window comes from `side`'s
    /// `*_max_window_bits`, raised to 9 if it is 8: a 9-bit zlib compressor
    /// never refers back more than 250 bytes, so its output fits an 8-bit
    /// window (see the module docs).
    pub fn new(params: &DeflateParams, side: impl Into<Endpoint>, level: u32) -> Self {
        let (bits, nct) = params.direction(side.into());
        Self {
            ctx: None,
            level: Compression::new(level.min(9)),
            window_bits: clamp_bits(bits),
            no_context_takeover: nct,
        }
    }

    /// Whether the zlib state is allocated right now.
    pub fn is_allocated(&self) -> bool {
        self.ctx.is_some()
    }

    /// Frees the zlib state; the next message starts a fresh context.
    /// Only valid between messages when context takeover is off, or when
    /// the connection is closing.
    pub fn release(&mut self) {
        self.ctx = None;
    }

    /// Appends `payload`, compressed as one whole message, to `out`: a sync
    /// flush with the trailing `00 00 ff ff` removed (§7.2.1). Send it with
    /// RSV1 set on the first frame. On error `out` is left as it was.
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let start = out.len();
        let result = self.compress_inner(payload, out);
        if result.is_err() {
            out.truncate(start);
            self.ctx = None;
        } else if self.no_context_takeover {
            // §7.1.1: no context across messages; free it until the next one.
            self.ctx = None;
        }
        result
    }

    fn compress_inner(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if payload.is_empty() {
            // An empty stored block minus the tail (§7.2.3.6). zlib would emit
            // nothing after an earlier flush, and the context is unchanged.
            out.push(0x00);
            return Ok(());
        }
        let (level, bits) = (self.level, self.window_bits);
        let ctx = self
            .ctx
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let start = out.len();
        let mut input = payload;
        let mut grow = payload.len() / 2 + 64;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(grow);
                grow = grow.saturating_mul(2);
            }
            let before = ctx.total_in();
            ctx.compress_vec(input, out, FlushCompress::Sync)
                .map_err(|_| CodecError::Compress)?;
            let used = usize::try_from(ctx.total_in() - before).unwrap_or(usize::MAX);
            input = input.get(used..).unwrap_or(&[]);
            // zlib: a flush is complete once it returns with output space left.
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        let end = out.len();
        if end - start < TAIL.len() || out[end - TAIL.len()..] != TAIL {
            return Err(CodecError::Compress);
        }
        out.truncate(end - TAIL.len());
        Ok(())
    }
}

/// Decompresses incoming messages for one direction, with the output bounded
/// while inflating.
#[derive(Debug)]
pub struct Decompressor {
    ctx: Option<Decompress>,
    window_bits: u8,
    no_context_takeover: bool,
    max_ratio: Option<u32>,
    /// Bytes produced for the current message.
    produced: usize,
    /// Compressed bytes fed for the current message.
    consumed: u64,
    /// A block with BFINAL ended the DEFLATE stream during this message.
    stream_ended: bool,
}

impl Decompressor {
    /// A decompressor for messages sent by the peer of `our_side` under
    /// `params`. The peer's window 8 is inflated with a 9-bit window, which
    /// decodes any stream an 8-bit one does. `max_ratio`: see
    /// [`super::DeflateConfig::max_ratio`].
    pub fn new(
        params: &DeflateParams,
        our_side: impl Into<Endpoint>,
        max_ratio: Option<u32>,
    ) -> Self {
        let (bits, nct) = params.direction(our_side.into().peer());
        Self {
            ctx: None,
            window_bits: clamp_bits(bits),
            no_context_takeover: nct,
            max_ratio,
            produced: 0,
            consumed: 0,
            stream_ended: false,
        }
    }

    /// Whether the zlib state is allocated right now.
    pub fn is_allocated(&self) -> bool {
        self.ctx.is_some()
    }

    /// Frees the zlib state (when the connection closes).
    pub fn release(&mut self) {
        self.ctx = None;
    }

    /// Decompresses the next piece of a compressed message (a frame payload or
    /// any part of one) and appends the output to `out`.
    ///
    /// `max_output` bounds the decompressed size of the whole message: the
    /// call fails with [`CodecError::TooLarge`] as soon as the output would
    /// exceed it, having inflated at most 64 KiB past the limit and grown
    /// `out` by at most the limit (plus one byte). On any error the
    /// decompressor is unusable and the connection must fail.
    pub fn decompress(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_output: usize,
    ) -> Result<(), CodecError> {
        self.inflate(input, out, max_output)
    }

    /// Ends the current message: feeds the `00 00 ff ff` tail (§7.2.2), then
    /// resets or frees the context if the peer's `no_context_takeover`
    /// applies or the stream ended with a BFINAL block (§7.2.3.4).
    ///
    /// A message with no compressed bytes at all decodes as empty without the
    /// tail (appending it to nothing would leave the inflater inside a stored
    /// block header).
    pub fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        max_output: usize,
    ) -> Result<(), CodecError> {
        let result = if self.consumed == 0 && !self.stream_ended {
            Ok(())
        } else {
            self.inflate(&TAIL, out, max_output)
        };
        let ended = self.stream_ended;
        self.produced = 0;
        self.consumed = 0;
        self.stream_ended = false;
        result?;
        if self.no_context_takeover {
            self.ctx = None;
        } else if ended {
            if let Some(ctx) = self.ctx.as_mut() {
                ctx.reset(false);
            }
        }
        Ok(())
    }

    /// Forgets a partly received message (e.g. the caller abandoned it): the
    /// next call starts a new message. With context takeover the context is
    /// lost too, so this is only for connections that are ending.
    pub fn abort_message(&mut self) {
        self.produced = 0;
        self.consumed = 0;
        self.stream_ended = false;
        self.ctx = None;
    }

    fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_output: usize,
    ) -> Result<(), CodecError> {
        let bits = self.window_bits;
        // First step sized for a typical ratio, doubling while the output fills it.
        let mut step = input.len().saturating_mul(4).clamp(MIN_STEP, MAX_STEP);
        loop {
            let budget = max_output.saturating_sub(self.produced);
            // One byte past the budget tells "exactly at the limit" from "over".
            let this_step = step.min(budget.saturating_add(1));
            let len = out.len();
            reserve_bounded(out, this_step, budget.saturating_add(1));
            out.resize(len + this_step, 0);
            let ctx = self
                .ctx
                .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
            let (in0, out0) = (ctx.total_in(), ctx.total_out());
            let status = ctx.decompress(input, &mut out[len..], FlushDecompress::None);
            let used = usize::try_from(ctx.total_in() - in0).unwrap_or(usize::MAX);
            let made = usize::try_from(ctx.total_out() - out0).unwrap_or(usize::MAX);
            out.truncate(len + made.min(this_step));
            input = input.get(used..).unwrap_or(&[]);
            self.produced = self.produced.saturating_add(made);
            self.consumed = self.consumed.saturating_add(used as u64);
            match status {
                Err(_) => {
                    self.ctx = None;
                    return Err(CodecError::Corrupt);
                }
                Ok(Status::StreamEnd) => {
                    // A BFINAL block ended the stream (§7.2.3.4): what follows
                    // (the padding block and our tail, or a new stream) is
                    // decoded by a fresh inflater.
                    self.stream_ended = true;
                    ctx.reset(false);
                }
                Ok(Status::Ok | Status::BufError) => {}
            }
            if self.produced > max_output {
                out.truncate(len + made.saturating_sub(self.produced - max_output));
                return Err(CodecError::TooLarge);
            }
            if let Some(ratio) = self.max_ratio {
                let allowed = self
                    .consumed
                    .saturating_mul(u64::from(ratio))
                    .saturating_add(RATIO_SLACK);
                if self.produced as u64 > allowed {
                    return Err(CodecError::RatioExceeded);
                }
            }
            let full = made == this_step;
            if !full && input.is_empty() {
                return Ok(());
            }
            if used == 0 && made == 0 && !matches!(status, Ok(Status::StreamEnd)) {
                // No progress with input left and room to write: cannot happen
                // with a sound inflater; fail rather than spin.
                self.ctx = None;
                return Err(CodecError::Corrupt);
            }
            if full {
                step = step.saturating_mul(2).min(MAX_STEP);
            }
        }
    }
}

/// Makes room for `need` more bytes in `out`, growing geometrically (so a
/// large message costs amortised linear copying) but never past `limit`
/// spare bytes, the most this message may still add.
fn reserve_bounded(out: &mut Vec<u8>, need: usize, limit: usize) {
    let spare = out.capacity() - out.len();
    if spare >= need {
        return;
    }
    let doubled = out.capacity().saturating_mul(2).saturating_sub(out.len());
    let extra = doubled.min(limit).max(need);
    out.reserve_exact(extra);
}

#[cfg(test)]
mod tests {
    use super::super::distances;
    use super::*;
    use alloc::vec;

    fn params(nct: bool, bits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: nct,
            client_no_context_takeover: nct,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        }
    }

    fn inflate_all(d: &mut Decompressor, msg: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::new();
        d.decompress(msg, &mut out, usize::MAX)?;
        d.finish_message(&mut out, usize::MAX)?;
        Ok(out)
    }

    #[test]
    fn rfc_hello() {
        // §7.2.3.1
        let mut c = Compressor::new(&DeflateParams::default(), Endpoint::Server, 6);
        let mut out = Vec::new();
        c.compress(b"Hello", &mut out).unwrap();
        assert_eq!(out, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        // §7.2.3.2: the same message again, with context takeover.
        out.clear();
        c.compress(b"Hello", &mut out).unwrap();
        assert_eq!(out, [0xf2, 0x00, 0x11, 0x00, 0x00]);
        // And without: the same bytes every time.
        let mut c = Compressor::new(&params(true, 15), Endpoint::Client, 6);
        for _ in 0..2 {
            out.clear();
            c.compress(b"Hello", &mut out).unwrap();
            assert_eq!(out, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
            assert!(!c.is_allocated());
        }
    }

    #[test]
    fn rfc_decompress() {
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Client, None);
        let cases: [&[u8]; 4] = [
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            &[0xf2, 0x00, 0x11, 0x00, 0x00],
            // §7.2.3.3: stored block.
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            // §7.2.3.4: BFINAL set; the stream restarts for the next message.
            &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        ];
        for case in cases {
            assert_eq!(inflate_all(&mut d, case).unwrap(), b"Hello");
        }
        // After BFINAL, a fresh stream.
        assert_eq!(
            inflate_all(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
            b"Hello"
        );
        // BFINAL without the padding byte also works.
        assert_eq!(
            inflate_all(&mut d, &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
            b"Hello"
        );
        assert_eq!(
            inflate_all(&mut d, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(),
            b"Hello"
        );
    }

    #[test]
    fn byte_by_byte_and_fragments() {
        let mut c = Compressor::new(&DeflateParams::default(), Endpoint::Client, 6);
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, None);
        let msg: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for _ in 0..3 {
            let mut z = Vec::new();
            c.compress(&msg, &mut z).unwrap();
            let mut out = Vec::new();
            for b in &z {
                d.decompress(core::slice::from_ref(b), &mut out, msg.len())
                    .unwrap();
            }
            d.finish_message(&mut out, msg.len()).unwrap();
            assert_eq!(out, msg);
        }
    }

    #[test]
    fn empty_message() {
        let mut c = Compressor::new(&DeflateParams::default(), Endpoint::Client, 6);
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, None);
        let mut z = Vec::new();
        c.compress(b"", &mut z).unwrap();
        assert_eq!(z, [0x00]);
        assert_eq!(inflate_all(&mut d, &z).unwrap(), b"");
        // An empty payload with RSV1 set: empty message, context intact.
        assert_eq!(inflate_all(&mut d, &[]).unwrap(), b"");
        z.clear();
        c.compress(b"Hello", &mut z).unwrap();
        assert_eq!(inflate_all(&mut d, &z).unwrap(), b"Hello");
    }

    #[test]
    fn round_trips_all_params() {
        let text: Vec<u8> = (0..1200u32)
            .flat_map(|i| {
                alloc::format!("{{\"id\":{i},\"name\":\"item-{}\"}},", i % 37).into_bytes()
            })
            .collect();
        let messages: [&[u8]; 4] = [b"", b"Hello", &text[..1000], &text];
        for bits in 8..=15u8 {
            for nct in [false, true] {
                for side in [Endpoint::Client, Endpoint::Server] {
                    for level in [0, 1, 6, 42] {
                        let p = params(nct, bits);
                        let mut c = Compressor::new(&p, side, level);
                        let mut d = Decompressor::new(&p, side.peer(), None);
                        for m in messages.iter().chain(messages.iter()) {
                            let mut z = Vec::new();
                            c.compress(m, &mut z).unwrap();
                            assert!(
                                inflate_all(&mut d, &z).unwrap() == *m,
                                "{bits} {nct} {level}"
                            );
                            if nct {
                                assert!(!c.is_allocated() && !d.is_allocated());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn window_is_honoured() {
        // With context takeover, a 15-bit compressor refers back to the previous
        // message (2000 bytes away); a 9-bit compressor never does that.
        // (zlib-rs always keeps a 32 KiB inflate window, so a 9-bit inflater
        // does not reject such references: lenient, never unsafe.)
        let mut x: u32 = 0x1234_5678;
        let block: Vec<u8> = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let mut c15 = Compressor::new(&params(false, 15), Endpoint::Server, 9);
        let mut d9 = Decompressor::new(&params(false, 9), Endpoint::Client, None);
        let mut z = Vec::new();
        c15.compress(&block, &mut z).unwrap();
        assert!(inflate_all(&mut d9, &z).unwrap() == block);
        z.clear();
        c15.compress(&block, &mut z).unwrap();
        assert!(z.len() < 100, "far match used");
        assert!(inflate_all(&mut d9, &z).unwrap() == block);

        let mut c9 = Compressor::new(&params(false, 9), Endpoint::Server, 9);
        let mut d9 = Decompressor::new(&params(false, 9), Endpoint::Client, None);
        for _ in 0..2 {
            z.clear();
            c9.compress(&block, &mut z).unwrap();
            assert!(z.len() > 1900, "no far match with a 9-bit window");
            assert!(inflate_all(&mut d9, &z).unwrap() == block);
        }
    }

    #[test]
    fn nine_bit_output_fits_an_eight_bit_window() {
        // zlib (and zlib-rs) never refer back further than the window minus
        // MIN_LOOKAHEAD (262 bytes): with 9 bits, 250 bytes. So what our 9-bit
        // compressor writes is valid for a peer that agreed to 8 bits (256 bytes).
        // Data with repeats from 1 to 600 bytes back, over messages with context
        // takeover, at every kind of zlib-rs level (stored, quick, fast, medium, slow).
        let mut x: u32 = 0x9e37_79b9;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let mut data = Vec::new();
        while data.len() < 200_000 {
            let r = rnd();
            let back = (r % 600) as usize + 1;
            if data.len() > back && r & 0x3000 != 0 {
                let n = (r >> 16) as usize % 40 + 3;
                for _ in 0..n {
                    data.push(data[data.len() - back]);
                }
            } else {
                data.push(b"abcdefgh\n {}\"0123456789"[(r >> 8) as usize % 23]);
            }
        }
        let stream = |bits: u8, level: u32| {
            let mut c = Compressor::new(&params(false, bits), Endpoint::Client, level);
            let mut all = Vec::new();
            for msg in data.chunks(7_000) {
                c.compress(msg, &mut all).unwrap();
                all.extend_from_slice(&TAIL);
            }
            distances::max_distance(&all).unwrap()
        };
        for level in [0, 1, 2, 4, 6, 9] {
            let far = stream(9, level);
            assert!(far <= 250, "level {level}: distance {far} at 9 bits");
            // The 8-bit answer uses the same compressor.
            assert_eq!(far, stream(8, level), "level {level}");
            if level > 0 {
                assert!(far > 200, "level {level}: the data has far matches ({far})");
                assert!(
                    stream(15, level) > 256,
                    "level {level}: 15 bits reach further"
                );
            }
        }
    }

    #[test]
    fn bomb_stops_at_limit() {
        let mut c = Compressor::new(&DeflateParams::default(), Endpoint::Client, 9);
        let mut z = Vec::new();
        c.compress(&vec![0u8; 1 << 20], &mut z).unwrap();
        assert!(z.len() < 2048);
        let limit = 64 * 1024;
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, None);
        let mut out = Vec::new();
        assert_eq!(d.decompress(&z, &mut out, limit), Err(CodecError::TooLarge));
        assert!(out.len() <= limit);
        assert!(out.capacity() <= limit + 1, "capacity {}", out.capacity());

        // Exactly at the limit is fine, one byte over is not.
        for (limit, ok) in [(1 << 20, true), ((1 << 20) - 1, false)] {
            let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, None);
            let mut out = Vec::new();
            let r = d
                .decompress(&z, &mut out, limit)
                .and_then(|()| d.finish_message(&mut out, limit));
            assert_eq!(r.is_ok(), ok);
            assert!(out.capacity() <= limit + 1);
        }
    }

    #[test]
    fn ratio_guard() {
        let mut c = Compressor::new(&DeflateParams::default(), Endpoint::Client, 9);
        let mut z = Vec::new();
        c.compress(&vec![0u8; 1 << 20], &mut z).unwrap();
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, Some(100));
        let mut out = Vec::new();
        assert_eq!(
            d.decompress(&z, &mut out, usize::MAX),
            Err(CodecError::RatioExceeded)
        );
        assert!(out.len() < 200 * 1024);
        // Short messages pass thanks to the slack.
        let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, Some(1));
        z.clear();
        c.compress(&[b'a'; 4000], &mut z).unwrap();
        assert_eq!(inflate_all(&mut d, &z).unwrap(), [b'a'; 4000]);
    }

    #[test]
    fn corrupt_input() {
        for bad in [
            &[0xff, 0xff, 0xff, 0xff][..],
            &[0x07][..],                         // BTYPE 11 is reserved
            &[0x00, 0x05, 0x00, 0x00, 0x00][..], // LEN/NLEN mismatch
            &[0xf2, 0x00, 0x11, 0x00, 0x00][..], // distance beyond an empty window
        ] {
            let mut d = Decompressor::new(&DeflateParams::default(), Endpoint::Server, None);
            assert_eq!(
                inflate_all(&mut d, bad),
                Err(CodecError::Corrupt),
                "{bad:x?}"
            );
            assert_eq!(CodecError::Corrupt.close_code(), 1007);
        }
        // Random garbage never panics.
        let mut x: u32 = 1;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..(x % 64))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let mut d = Decompressor::new(&params(false, 9), Endpoint::Server, Some(10));
            let _ = inflate_all(&mut d, &bytes);
            let mut out = Vec::new();
            let _ = d.decompress(&bytes, &mut out, 100);
        }
    }

    #[test]
    fn shared_vectors() {
        let json: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/vectors/codec/deflate_rfc7692.json"
        ))
        .unwrap();
        let hex = |v: &serde_json::Value| -> Vec<u8> {
            let s = v.as_str().unwrap().as_bytes();
            s.chunks(2)
                .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
                .collect()
        };
        let cases = json["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 6);
        for case in cases {
            let nct = case["no_context_takeover"].as_bool().unwrap();
            let p = params(nct, 15);
            let mut d = Decompressor::new(&p, Endpoint::Client, None);
            let mut c = Compressor::new(&p, Endpoint::Server, 6);
            let mut msgs: Vec<&serde_json::Value> =
                case["sequence"].as_array().unwrap().iter().collect();
            msgs.push(case);
            for m in msgs {
                let z = hex(&m["compressed_hex"]);
                let text = m["message_text"].as_str().unwrap().as_bytes();
                assert_eq!(inflate_all(&mut d, &z).unwrap(), text, "{}", case["name"]);
                let mut mine = Vec::new();
                c.compress(text, &mut mine).unwrap();
                if case["compress_exact"].as_bool().unwrap() {
                    assert_eq!(mine, z, "{}", case["name"]);
                }
            }
        }
    }

    #[test]
    fn incompressible_and_limit_across_pieces() {
        let mut x: u32 = 7;
        let msg: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let p = DeflateParams::default();
        let mut c = Compressor::new(&p, Endpoint::Client, 6);
        let mut z = Vec::new();
        c.compress(&msg, &mut z).unwrap();
        assert!(z.len() > msg.len());
        // Fed in 1000-byte pieces into separate buffers, the limit counts the
        // whole message.
        let mut d = Decompressor::new(&p, Endpoint::Server, None);
        let mut total = 0;
        let mut result = Ok(());
        for piece in z.chunks(1000) {
            let mut out = Vec::new();
            result = d.decompress(piece, &mut out, 150_000);
            total += out.len();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(CodecError::TooLarge));
        assert_eq!(total, 150_000);
    }

    #[test]
    fn role_and_bool_endpoints() {
        let p = DeflateParams {
            server_max_window_bits: 10,
            ..DeflateParams::default()
        };
        let a = Compressor::new(&p, crate::config::Role::Server, 6);
        let b = Compressor::new(&p, true, 6);
        assert_eq!(a.window_bits, 10);
        assert_eq!(b.window_bits, 10);
        let d = Decompressor::new(&p, false, None);
        assert_eq!(d.window_bits, 10);
        let d = Decompressor::new(&p, crate::config::Role::Server, None);
        assert_eq!(d.window_bits, 15);
    }

    #[test]
    fn close_codes() {
        assert_eq!(CodecError::TooLarge.close_code(), 1009);
        assert_eq!(CodecError::RatioExceeded.close_code(), 1009);
        assert_eq!(CodecError::Compress.close_code(), 1011);
    }
}
