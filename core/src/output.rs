//! The output queue: bytes the caller must write to the transport, in order.
//!
//! Small frames are appended to a shared buffer; a large payload the application hands over
//! as a `Vec` becomes its own segment, so it is written without being copied
//! (header segment + payload segment, ready for vectored writes).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Payloads at least this large get their own segment instead of being copied.
pub(crate) const ZERO_COPY_THRESHOLD: usize = 16 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Output {
    segments: VecDeque<Vec<u8>>,
    /// Bytes of the front segment already written.
    head: usize,
    /// Total unwritten bytes.
    len: usize,
    /// Whether the back segment may be appended to (false for a moved-in payload).
    back_shared: bool,
    /// A drained shared segment kept for reuse, so steady traffic does not allocate.
    spare: Vec<u8>,
}

/// Largest drained buffer kept for reuse.
const SPARE_MAX: usize = 256 * 1024;

impl Output {
    /// Unwritten bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends bytes (copied).
    #[inline]
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.segments.back_mut() {
            Some(back) if self.back_shared => back.extend_from_slice(bytes),
            _ => {
                let mut seg = core::mem::take(&mut self.spare);
                seg.reserve(bytes.len().max(4096));
                seg.extend_from_slice(bytes);
                self.segments.push_back(seg);
                self.back_shared = true;
            }
        }
        self.len += bytes.len();
    }

    /// Appends an owned buffer as its own segment (no copy).
    #[inline]
    pub(crate) fn push_owned(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len();
        self.segments.push_back(bytes);
        self.back_shared = false;
    }

    /// The first contiguous run of unwritten bytes.
    #[inline]
    pub(crate) fn front(&self) -> &[u8] {
        match self.segments.front() {
            Some(seg) => seg.get(self.head..).unwrap_or(&[]),
            None => &[],
        }
    }

    /// Every unwritten run, in order (for vectored writes).
    pub(crate) fn segments(&self) -> impl Iterator<Item = &[u8]> {
        let head = self.head;
        self.segments.iter().enumerate().map(move |(i, s)| {
            if i == 0 {
                s.get(head..).unwrap_or(&[])
            } else {
                &s[..]
            }
        })
    }

    /// Marks `n` bytes as written (clamped to what is queued).
    pub(crate) fn consume(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.segments.front() else {
                break;
            };
            let avail = front.len() - self.head;
            if n < avail {
                self.head += n;
                return;
            }
            n -= avail;
            self.head = 0;
            let shared = self.segments.len() == 1 && self.back_shared;
            if let Some(mut seg) = self.segments.pop_front() {
                if shared && seg.capacity() <= SPARE_MAX && seg.capacity() > self.spare.capacity() {
                    seg.clear();
                    self.spare = seg;
                }
            }
        }
        if self.segments.is_empty() {
            self.back_shared = false;
            self.head = 0;
        }
    }

    /// Takes every unwritten byte as one buffer (no copy when there is a single segment).
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        let out = if self.segments.len() == 1 && self.head == 0 {
            self.segments.pop_front().unwrap_or_default()
        } else {
            let mut out = Vec::with_capacity(self.len);
            for seg in self.segments() {
                out.extend_from_slice(seg);
            }
            self.segments.clear();
            out
        };
        self.head = 0;
        self.len = 0;
        self.back_shared = false;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn order_and_consume() {
        let mut o = Output::default();
        o.push(b"ab");
        o.push_owned(vec![b'c'; 3]);
        o.push(b"de");
        assert_eq!(o.len(), 7);
        assert_eq!(o.front(), b"ab");
        o.consume(1);
        assert_eq!(o.front(), b"b");
        o.consume(2);
        assert_eq!(o.front(), b"cc");
        let all: Vec<u8> = o.segments().flatten().copied().collect();
        assert_eq!(all, b"ccde");
        assert_eq!(o.take_all(), b"ccde");
        assert_eq!(o.len(), 0);
        o.consume(10);
        assert_eq!(o.front(), b"");
    }
}
