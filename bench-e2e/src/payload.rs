//! The messages the load generator sends, and the check of every echo.
//!
//! Message `seq` of a connection starts with `seq` as 16 hex digits (when the size allows),
//! followed by a filler that also depends on `seq`: an echo that is late, early, truncated or
//! altered does not match the message expected next. Text messages are ASCII (letters and
//! digits), so they need no escaping inside a Socket.IO JSON string either.

/// Writes the payload of message `seq` into `out` (cleared first).
pub fn fill(out: &mut Vec<u8>, seq: u64, size: usize, binary: bool) {
    out.clear();
    let head = format!("{seq:016x}");
    let n = head.len().min(size);
    // The low digits when the message is shorter than 16 bytes.
    out.extend_from_slice(&head.as_bytes()[head.len() - n..]);
    let start = (seq % 251) as usize;
    out.extend((n..size).map(|i| {
        let k = start + i;
        if binary {
            (k * 31 + (k >> 8)) as u8
        } else {
            b'a' + (k % 26) as u8
        }
    }));
}

/// Socket.IO v4 event packet carrying `payload` as the string argument of event "echo":
/// engine.io message (`4`) + socket.io EVENT (`2`) + JSON array (socket.io-protocol v5).
pub fn socketio_event(out: &mut Vec<u8>, payload: &[u8]) {
    out.clear();
    out.extend_from_slice(b"42[\"echo\",\"");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\"]");
}

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
    let show = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(24)]).into_owned();
    format!(
        "echo differs at byte {at}: got {:?}..., expected {:?}...",
        show(got),
        show(expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_differ_by_sequence_number_at_any_size() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for size in [1, 5, 16, 32, 16384] {
            fill(&mut a, 7, size, false);
            fill(&mut b, 8, size, false);
            assert_eq!(a.len(), size);
            assert_ne!(a, b);
            assert!(a.iter().all(|c| c.is_ascii_alphanumeric()));
            fill(&mut a, 7, size, true);
            fill(&mut b, 8, size, true);
            assert_ne!(a, b);
        }
    }

    #[test]
    fn socketio_packet() {
        let mut out = Vec::new();
        socketio_event(&mut out, b"abc");
        assert_eq!(out, b"42[\"echo\",\"abc\"]");
    }
}
