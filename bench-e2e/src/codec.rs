//! A minimal client-side RFC 6455 frame codec: masked frames out, unmasked frames in.
//!
//! Written for the load generator only (it shares no code with any server under test). It
//! reassembles fragmented messages, surfaces control frames, and rejects what a server must
//! never send (masked frames, RSV bits without an extension, oversized control frames).

/// Frame opcodes (RFC 6455 §5.2).
pub mod op {
    pub const CONT: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// Appends one final, masked frame carrying `payload` to `out`, with a fresh random mask key
/// (RFC 6455 §5.3: every client frame is masked with an unpredictable key).
pub fn encode_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let key = fastrand::u32(..).to_ne_bytes();
    out.extend_from_slice(&key);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key);
}

/// XORs `data` with the 4-byte `key` repeated (RFC 6455 §5.3), eight bytes at a time.
fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes(c.try_into().unwrap()) ^ wide;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

/// What the decoder hands out: a whole data message or one control frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete text (`true`) or binary message, reassembled from its fragments.
    Message {
        text: bool,
        payload: Vec<u8>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// A close frame: its status code (if any) and reason bytes.
    Close(Option<u16>, Vec<u8>),
}

/// Incremental decoder of server frames: feed bytes with [`Decoder::buffer`], take frames with
/// [`Decoder::next_frame`].
#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    partial: Option<(bool, Vec<u8>)>,
}

impl Decoder {
    /// The buffer to append received bytes to.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        &mut self.buf
    }

    /// The next complete frame or message, `Ok(None)` when more bytes are needed, or a
    /// description of the protocol violation.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, String> {
        loop {
            let b = &self.buf[self.pos..];
            if b.len() < 2 {
                return Ok(None);
            }
            let fin = b[0] & 0x80 != 0;
            if b[0] & 0x70 != 0 {
                return Err("server frame with RSV bits set (no extension was negotiated)".into());
            }
            let opcode = b[0] & 0x0F;
            if b[1] & 0x80 != 0 {
                // RFC 6455 §5.1: a client closes on a masked frame from the server.
                return Err("masked frame from the server".into());
            }
            let (len, header) = match b[1] & 0x7F {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => (
                    u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => return Ok(None),
                n => (n as usize, 2),
            };
            if b.len() < header + len {
                return Ok(None);
            }
            let payload = &b[header..header + len];
            self.pos += header + len;
            if opcode >= 0x8 {
                if !fin || len > 125 {
                    return Err("fragmented or oversized control frame".into());
                }
                let payload = payload.to_vec();
                return Ok(Some(match opcode {
                    op::CLOSE if payload.len() >= 2 => Frame::Close(
                        Some(u16::from_be_bytes([payload[0], payload[1]])),
                        payload[2..].to_vec(),
                    ),
                    op::CLOSE => Frame::Close(None, payload),
                    op::PING => Frame::Ping(payload),
                    op::PONG => Frame::Pong(payload),
                    other => return Err(format!("reserved control opcode {other:#x}")),
                }));
            }
            match (opcode, self.partial.as_mut()) {
                (op::CONT, Some((_, acc))) => acc.extend_from_slice(payload),
                (op::CONT, None) => return Err("continuation frame without a message".into()),
                (op::TEXT | op::BINARY, None) => {
                    if fin {
                        return Ok(Some(Frame::Message {
                            text: opcode == op::TEXT,
                            payload: payload.to_vec(),
                        }));
                    }
                    self.partial = Some((opcode == op::TEXT, payload.to_vec()));
                    continue;
                }
                (op::TEXT | op::BINARY, Some(_)) => {
                    return Err("new message inside a fragmented one".into())
                }
                (other, _) => return Err(format!("reserved data opcode {other:#x}")),
            }
            if fin {
                let (text, payload) = self.partial.take().unwrap();
                return Ok(Some(Frame::Message { text, payload }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unmasks a frame this module encoded, as a server would.
    fn unmask(frame: &[u8]) -> (u8, Vec<u8>) {
        let (len, header) = match frame[1] & 0x7F {
            126 => (u16::from_be_bytes([frame[2], frame[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(frame[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let key: [u8; 4] = frame[header..header + 4].try_into().unwrap();
        let mut p = frame[header + 4..header + 4 + len].to_vec();
        apply_mask(&mut p, key);
        (frame[0], p)
    }

    #[test]
    fn masked_frames_round_trip_at_every_length_class() {
        for len in [0, 1, 7, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut out = Vec::new();
            encode_frame(&mut out, op::BINARY, &payload);
            assert_eq!(out[1] & 0x80, 0x80, "client frames are masked");
            assert_eq!(unmask(&out), (0x82, payload));
        }
    }

    #[test]
    fn decodes_fragments_and_control_frames_split_anywhere() {
        // "Hel" + ping + "lo" (RFC 6455 §5.7 examples), then a close 1000.
        let stream = [
            &[0x01, 0x03, b'H', b'e', b'l'][..],
            &[0x89, 0x02, b'h', b'i'],
            &[0x80, 0x02, b'l', b'o'],
            &[0x88, 0x02, 0x03, 0xE8],
        ]
        .concat();
        for cut in 0..stream.len() {
            let mut d = Decoder::default();
            let mut got = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                d.buffer().extend_from_slice(part);
                while let Some(f) = d.next_frame().unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(
                got,
                vec![
                    Frame::Ping(b"hi".to_vec()),
                    Frame::Message {
                        text: true,
                        payload: b"Hello".to_vec()
                    },
                    Frame::Close(Some(1000), vec![]),
                ]
            );
        }
    }

    #[test]
    fn rejects_masked_server_frames() {
        let mut d = Decoder::default();
        d.buffer()
            .extend_from_slice(&[0x81, 0x81, 1, 2, 3, 4, b'x']);
        assert!(d.next_frame().is_err());
    }
}
