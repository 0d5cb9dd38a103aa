//! The messages the load generator sends, and the check of every echo.
//!
//! Message `seq` of a connection starts with `seq` as 16 hex digits (when the size allows),
//! followed by a filler that also depends on `seq`: an echo that is late, early, truncated or
//! altered does not match the message expected next. Text messages are ASCII (letters and
//! digits), so they need no escaping inside a Socket.IO JSON string either.

/// The fillers of the messages of one run, made once: building a message is a copy of the
/// sequence number and of a slice of the filler, and checking an echo is two comparisons
/// (the load generator must stay cheaper than the servers it measures).
pub struct Pattern {
    size: usize,
    filler: Vec<u8>,
}

impl Pattern {
    /// The messages of `size` bytes, text (ASCII letters) or binary.
    pub fn new(size: usize, binary: bool) -> Self {
        let filler = (0..size + 251)
            .map(|k| {
                if binary {
                    (k * 31 + (k >> 8)) as u8
                } else {
                    b'a' + (k % 26) as u8
                }
            })
            .collect();
        Pattern { size, filler }
    }

    /// The first bytes of message `seq` (its number in hex; its low digits when the message is
    /// shorter than 16 bytes) and the filler that follows them.
    fn parts(&self, seq: u64) -> ([u8; 16], usize, &[u8]) {
        let mut head = [0u8; 16];
        for (i, h) in head.iter_mut().enumerate() {
            *h = b"0123456789abcdef"[(seq >> (60 - 4 * i)) as usize & 0xF];
        }
        let n = self.size.min(16);
        let start = (seq % 251) as usize;
        (head, n, &self.filler[start + n..start + self.size])
    }

    /// Appends message `seq` to `out`.
    pub fn write(&self, out: &mut Vec<u8>, seq: u64) {
        let (head, n, filler) = self.parts(seq);
        out.extend_from_slice(&head[16 - n..]);
        out.extend_from_slice(filler);
    }

    /// Whether `got` is message `seq`, byte for byte.
    pub fn matches(&self, got: &[u8], seq: u64) -> bool {
        let (head, n, filler) = self.parts(seq);
        got.len() == self.size && got[..n] == head[16 - n..] && &got[n..] == filler
    }
}

/// The start and the end of a Socket.IO v4 event packet carrying a string as the argument of
/// event "echo": engine.io message (`4`) + socket.io EVENT (`2`) + JSON array (socket.io-protocol v5).
pub const SOCKETIO_PREFIX: &[u8] = b"42[\"echo\",\"";
pub const SOCKETIO_SUFFIX: &[u8] = b"\"]";

/// Why an echo does not match the message expected.
pub fn mismatch(expected: &[u8], got: &[u8]) -> String {
    if expected.len() != got.len() {
        return format!(
            "echo of {} bytes where {} were sent",
            got.len(),
            expected.len()
        );
    }
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let from = at.saturating_sub(8);
    let show = |b: &[u8]| String::from_utf8_lossy(&b[from..b.len().min(at + 8)]).into_owned();
    format!(
        "echo differs at byte {at}: got {:?}, expected {:?} (bytes {from}..)",
        show(got),
        show(expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(p: &Pattern, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        p.write(&mut out, seq);
        out
    }

    #[test]
    fn messages_differ_by_sequence_number_at_any_size() {
        for size in [0, 1, 5, 16, 32, 16384] {
            for binary in [false, true] {
                let p = Pattern::new(size, binary);
                let (a, b) = (message(&p, 7), message(&p, 8));
                assert_eq!(a.len(), size);
                assert!(p.matches(&a, 7));
                if size > 0 {
                    assert_ne!(a, b);
                    assert!(!p.matches(&b, 7));
                }
                if !binary {
                    assert!(a.iter().all(|c| c.is_ascii_alphanumeric()));
                }
            }
        }
    }

    #[test]
    fn starts_with_the_sequence_number_in_hex() {
        let p = Pattern::new(20, false);
        assert_eq!(&message(&p, 0x1234_abcd)[..16], b"000000001234abcd");
        assert_eq!(message(&Pattern::new(3, true), 0x1234_abcd), b"bcd");
    }

    #[test]
    fn a_changed_byte_or_length_is_caught() {
        let p = Pattern::new(300, true);
        let m = message(&p, 1234);
        for i in [0, 15, 16, 299] {
            let mut bad = m.clone();
            bad[i] ^= 1;
            assert!(!p.matches(&bad, 1234), "byte {i}");
        }
        assert!(!p.matches(&m[..299], 1234));
    }
}
