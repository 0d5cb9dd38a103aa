//! The send path: messages, fragments and control frames become frames in the output
//! queue (compressed, split at `max_outgoing_frame_size`, masked by a client).

use alloc::vec::Vec;

use super::{Connection, Phase};
use crate::config::Role;
use crate::error::Error;
use crate::event::DataKind;
use crate::frame::{FrameHeader, OpCode, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
use crate::mask::apply_mask;
use crate::output::{OWN_SEGMENT_MIN, ZERO_COPY_THRESHOLD};

impl Connection {
    /// Sends a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send_message(DataKind::Text, text.as_bytes())
    }

    /// Sends a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_message(DataKind::Binary, data)
    }

    /// Sends a whole message of `kind` given as bytes, compressed as [`Connection::send_text`]
    /// and [`Connection::send_binary`] are. For [`DataKind::Text`] the bytes must be UTF-8
    /// ([`Error::InvalidInput`] otherwise, and nothing is sent): for callers whose text is
    /// already encoded (a `ws` user echoing the Buffer it received).
    pub fn send(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error> {
        if !self.can_send() {
            return Err(Error::InvalidState("the connection is not open"));
        }
        if kind == DataKind::Text && simdutf8::basic::from_utf8(payload).is_err() {
            return Err(Error::InvalidInput("text payload is not UTF-8".into()));
        }
        self.send_message(kind, payload)
    }

    /// Sends a message without compression even when permessage-deflate is negotiated and
    /// the payload is over the threshold (RSV1 clear; RFC 7692 §6 lets each message choose).
    /// For data that is already compressed or must not share a context with secrets.
    /// For [`DataKind::Text`] the bytes must be UTF-8 ([`Error::InvalidInput`] otherwise).
    pub fn send_uncompressed(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error> {
        self.check_data_send(payload.len())?;
        if kind == DataKind::Text && simdutf8::basic::from_utf8(payload).is_err() {
            return Err(Error::InvalidInput("text payload is not UTF-8".into()));
        }
        if self.sending_fragmented.is_some() {
            return Err(Error::InvalidState("a fragmented message is in progress"));
        }
        self.write_split(opcode_for(kind), true, payload);
        Ok(())
    }

    /// Sends a message whose payload the application hands over. Large payloads are queued
    /// as their own output segment without a copy (a client masks them in place).
    /// For [`DataKind::Text`] the bytes must be UTF-8 ([`Error::InvalidInput`] otherwise).
    pub fn send_owned(&mut self, kind: DataKind, payload: Vec<u8>) -> Result<(), Error> {
        self.check_data_send(payload.len())?;
        if kind == DataKind::Text && simdutf8::basic::from_utf8(&payload).is_err() {
            return Err(Error::InvalidInput("text payload is not UTF-8".into()));
        }
        if self.sending_fragmented.is_some() {
            return Err(Error::InvalidState("a fragmented message is in progress"));
        }
        if self.wants_compression(payload.len())
            || self
                .config
                .max_outgoing_frame_size
                .is_some_and(|m| payload.len() > m)
        {
            return self.send_message(kind, &payload);
        }
        self.write_frame_owned(opcode_for(kind), true, false, payload);
        Ok(())
    }

    /// Sends a whole message whose payload the caller writes to the transport itself, so a
    /// large payload is never copied into the output (as `ws` writes the caller's Buffer).
    ///
    /// Checks and refusals are those of [`Connection::send`]. `Ok(true)`: only the frame
    /// header was queued, as the last bytes of the output; the caller must take the output now
    /// ([`Connection::take_output`], or every segment then [`Connection::consume_output`]) and
    /// write `payload`, unchanged, right after it and before anything taken later.
    /// `Ok(false)`: the engine had to own the payload and queued the whole message itself,
    /// exactly as `send` does; the caller writes nothing more. That happens when the frame
    /// needs the payload transformed or split (a client masks it, RFC 6455 §5.3;
    /// permessage-deflate compresses it; `max_outgoing_frame_size` splits it) and while a close
    /// frame waits behind queued answers (it must follow the payload, which the engine would
    /// not hold).
    pub fn send_zero_copy(&mut self, kind: DataKind, payload: &[u8]) -> Result<bool, Error> {
        let direct = self.role == Role::Server
            && !self.out.has_fence()
            && !self.wants_compression(payload.len())
            && self
                .config
                .max_outgoing_frame_size
                .map_or(true, |m| payload.len() <= m);
        if !direct {
            self.send(kind, payload)?;
            return Ok(false);
        }
        self.check_data_send(payload.len())?;
        if kind == DataKind::Text && simdutf8::basic::from_utf8(payload).is_err() {
            return Err(Error::InvalidInput("text payload is not UTF-8".into()));
        }
        if self.sending_fragmented.is_some() {
            return Err(Error::InvalidState("a fragmented message is in progress"));
        }
        self.write_header(opcode_for(kind), true, false, payload.len());
        self.note_output_growth();
        Ok(true)
    }

    /// Sends one fragment of a message (Ioto's HTTP_MORE): the first call with `fin = false`
    /// starts a message of `kind`, later calls continue it, `fin = true` ends it.
    /// Fragmented messages are sent uncompressed (RFC 7692 lets each message choose).
    /// A text message's fragments may split a character; the whole message must be UTF-8
    /// ([`Error::InvalidInput`] otherwise, and that fragment is not sent).
    pub fn send_fragment(&mut self, kind: DataKind, data: &[u8], fin: bool) -> Result<(), Error> {
        self.check_data_send(data.len())?;
        let opcode = match self.sending_fragmented {
            None => opcode_for(kind),
            Some(k) if k == kind => OpCode::Continuation,
            Some(_) => {
                return Err(Error::InvalidState(
                    "fragment kind differs from the message in progress",
                ))
            }
        };
        if kind == DataKind::Text {
            // The message must be UTF-8 as a whole; a character may span fragments.
            let mut utf8 = if opcode == OpCode::Continuation {
                self.sending_utf8
            } else {
                Default::default()
            };
            if utf8.feed(data).is_err() || (fin && !utf8.is_complete()) {
                return Err(Error::InvalidInput("text fragment is not UTF-8".into()));
            }
            self.sending_utf8 = utf8;
        }
        self.sending_fragmented = if fin { None } else { Some(kind) };
        self.write_split(opcode, fin, data);
        Ok(())
    }

    /// Sends a ping with up to 125 bytes of payload.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_control_send(payload)?;
        self.write_control(OpCode::Ping, payload);
        Ok(())
    }

    /// Sends an unsolicited pong (a unidirectional heartbeat, RFC 6455 §5.5.3).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_control_send(payload)?;
        self.write_control(OpCode::Pong, payload);
        Ok(())
    }

    fn send_message(&mut self, kind: DataKind, payload: &[u8]) -> Result<(), Error> {
        let compress = self.wants_compression(payload.len());
        self.check_send(payload.len(), compress)?;
        if self.sending_fragmented.is_some() {
            return Err(Error::InvalidState("a fragmented message is in progress"));
        }
        #[cfg(feature = "deflate")]
        if compress {
            let mut compressed = Vec::new();
            if let Some(p) = self.pmd.as_mut() {
                p.deflate(payload, &mut compressed)?;
            }
            self.write_split_rsv1(opcode_for(kind), true, &compressed, true);
            self.note_output_growth();
            return Ok(());
        }
        self.write_split(opcode_for(kind), true, payload);
        Ok(())
    }

    fn wants_compression(&self, len: usize) -> bool {
        #[cfg(feature = "deflate")]
        {
            self.pmd.as_ref().is_some_and(|p| p.should_compress(len))
        }
        #[cfg(not(feature = "deflate"))]
        {
            let _ = len;
            false
        }
    }

    fn check_data_send(&self, len: usize) -> Result<(), Error> {
        self.check_send(len, false)
    }

    /// Checks the state, and that `len` payload bytes fit `max_output_buffer` once framed:
    /// one header per frame of `max_outgoing_frame_size`, and deflate's worst-case growth
    /// when `compressed` (checked before compressing: a compressed message cannot be
    /// refused afterwards without desynchronising the peer's context).
    fn check_send(&self, len: usize, compressed: bool) -> Result<(), Error> {
        if !self.can_send() {
            return Err(Error::InvalidState("the connection is not open"));
        }
        let len = if compressed {
            // zlib's deflateBound for a raw stream, plus the sync flush.
            len.saturating_add((len >> 12) + (len >> 14) + 16)
        } else {
            len
        };
        let frames = self
            .config
            .max_outgoing_frame_size
            .map_or(1, |max| len.div_ceil(max).max(1));
        let framed = len.saturating_add(frames.saturating_mul(MAX_HEADER_LEN));
        if self.out.len().saturating_add(framed) > self.config.max_output_buffer {
            return Err(Error::OutputBufferFull);
        }
        Ok(())
    }

    fn check_control_send(&self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(Error::ControlPayloadTooLong);
        }
        // Pings and pongs only while open: answers before a fenced close are messages.
        if self.phase != Phase::Open {
            return Err(Error::InvalidState("the connection is not open"));
        }
        self.check_data_send(payload.len())
    }

    /// Writes a data message or fragment, split at `max_outgoing_frame_size`.
    fn write_split(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        self.write_split_rsv1(opcode, fin, payload, false);
        self.note_output_growth();
    }

    fn write_split_rsv1(&mut self, opcode: OpCode, fin: bool, payload: &[u8], rsv1: bool) {
        let max = self.config.max_outgoing_frame_size.unwrap_or(usize::MAX);
        if payload.len() <= max {
            self.write_frame(opcode, fin, rsv1, payload);
            return;
        }
        let mut pieces = payload.chunks(max).peekable();
        let mut op = opcode;
        let mut first = true;
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            // RFC 7692 §6.1: RSV1 on the first frame of the message only.
            self.write_frame(op, fin && last, rsv1 && first, piece);
            op = OpCode::Continuation;
            first = false;
        }
    }

    /// Writes a control frame (the caller checked the payload length and the state).
    pub(super) fn write_control(&mut self, opcode: OpCode, payload: &[u8]) {
        self.write_frame(opcode, true, false, payload);
        self.note_output_growth();
    }

    /// Encodes a control frame into a buffer of its own (masked for a client).
    pub(super) fn encode_control(&mut self, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let mask = self.next_mask();
        let header = FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        let mut hb = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut hb);
        let mut frame = Vec::with_capacity(n + payload.len());
        frame.extend_from_slice(&hb[..n]);
        frame.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut frame[n..], key, 0);
        }
        frame
    }

    /// Writes one frame, copying (and for a client, masking) the payload into the output.
    /// A small frame is appended whole in one step (one capacity check per frame).
    fn write_frame(&mut self, opcode: OpCode, fin: bool, rsv1: bool, payload: &[u8]) {
        if payload.len() >= OWN_SEGMENT_MIN {
            let key = self.write_header(opcode, fin, rsv1, payload.len());
            let mut owned = payload.to_vec();
            if let Some(key) = key {
                apply_mask(&mut owned, key, 0);
            }
            self.out.push_owned(owned);
            return;
        }
        let (hb, n, key) = self.encode_header(opcode, fin, rsv1, payload.len());
        match key {
            Some(key) => self.out.push_frame_masked(&hb[..n], payload, key),
            None => self.out.push_frame(&hb[..n], payload),
        }
    }

    /// Writes one frame around a payload the caller gave away (no copy for large payloads).
    fn write_frame_owned(&mut self, opcode: OpCode, fin: bool, rsv1: bool, mut payload: Vec<u8>) {
        if let Some(key) = self.write_header(opcode, fin, rsv1, payload.len()) {
            apply_mask(&mut payload, key, 0);
        }
        self.push_payload(payload);
        self.note_output_growth();
    }

    /// Queues a frame header (with a fresh masking key for a client); returns the key.
    fn write_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv1: bool,
        len: usize,
    ) -> Option<[u8; 4]> {
        let (hb, n, mask) = self.encode_header(opcode, fin, rsv1, len);
        self.out.push(&hb[..n]);
        mask
    }

    /// Encodes a frame header (with a fresh masking key for a client): the bytes, how many
    /// of them are used, and the key.
    #[inline]
    fn encode_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv1: bool,
        len: usize,
    ) -> ([u8; MAX_HEADER_LEN], usize, Option<[u8; 4]>) {
        let mask = self.next_mask();
        let header = FrameHeader {
            fin,
            rsv1,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: len as u64,
        };
        let mut hb = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut hb);
        (hb, n, mask)
    }

    /// Queues a ready payload: large ones as their own segment (no copy), small ones appended.
    fn push_payload(&mut self, payload: Vec<u8>) {
        if payload.len() >= ZERO_COPY_THRESHOLD {
            self.out.push_owned(payload);
        } else {
            self.out.push(&payload);
        }
    }

    /// A fresh masking key for a client frame (RFC 6455 §5.3), none for a server.
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Server => None,
            // A client always has a key source (every constructor requires one); no constant
            // key exists anywhere to fall back on.
            Role::Client => self.keys.as_mut().map(|k| k.next_key()),
        }
    }
}

fn opcode_for(kind: DataKind) -> OpCode {
    match kind {
        DataKind::Text => OpCode::Text,
        DataKind::Binary => OpCode::Binary,
    }
}
