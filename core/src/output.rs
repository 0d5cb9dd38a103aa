//! The output queue: bytes the caller must write to the transport, in order.
//!
//! Small frames are appended to a shared buffer; a large payload the application hands over
//! as a `Vec` becomes its own segment, so it is written without being copied
//! (header segment + payload segment, ready for vectored writes).
//!
//! A close frame the engine queues in reaction to input (the answer to the peer's close, or
//! the close frame of a failure) is *fenced*: it stays behind everything the application
//! sends until the transport takes its first byte, so answers to messages that arrived
//! before it still reach the wire first (see [`crate::connection`], "The delivery contract").

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::mask::extend_masked;

/// Payloads at least this large get their own segment instead of being copied.
pub(crate) const ZERO_COPY_THRESHOLD: usize = 16 * 1024;

/// A borrowed payload (which must be copied anyway) at least this large is copied into a
/// segment of its own; smaller ones are appended to the shared buffer, which is reused, so
/// steady traffic neither allocates nor splits one frame over two runs.
pub(crate) const OWN_SEGMENT_MIN: usize = 64 * 1024;

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
    /// The fenced close frame: always last, released into `segments` once taken.
    fence: Option<Vec<u8>>,
}

/// Largest drained buffer kept for reuse.
const SPARE_MAX: usize = 256 * 1024;

impl Output {
    /// Unwritten bytes (the fenced frame included).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len + self.fence.as_ref().map_or(0, Vec::len)
    }

    /// Queues `frame` behind everything queued now and everything pushed until the
    /// transport takes its first byte.
    pub(crate) fn push_fenced(&mut self, frame: Vec<u8>) {
        self.release_fence();
        self.fence = Some(frame);
    }

    /// Whether a fenced frame is queued and none of it was taken yet.
    #[inline]
    pub(crate) fn has_fence(&self) -> bool {
        self.fence.is_some()
    }

    /// Moves the fenced frame into the ordinary queue: from now on it is simply output.
    fn release_fence(&mut self) {
        if let Some(frame) = self.fence.take() {
            self.push_owned(frame);
            self.back_shared = false;
        }
    }

    /// Appends bytes (copied).
    #[inline]
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.push_with(bytes.len(), |seg| seg.extend_from_slice(bytes));
    }

    /// Appends a frame: its header, then its payload (copied).
    #[inline]
    pub(crate) fn push_frame(&mut self, header: &[u8], payload: &[u8]) {
        self.push_with(header.len() + payload.len(), |seg| {
            seg.extend_from_slice(header);
            seg.extend_from_slice(payload);
        });
    }

    /// Appends a client frame: its header, then its payload masked with `key` (one pass).
    pub(crate) fn push_frame_masked(&mut self, header: &[u8], payload: &[u8], key: [u8; 4]) {
        self.push_with(header.len() + payload.len(), |seg| {
            seg.extend_from_slice(header);
            extend_masked(seg, payload, key, 0);
        });
    }

    /// Appends `n` bytes that `write` adds to the shared buffer.
    #[inline]
    fn push_with(&mut self, n: usize, write: impl FnOnce(&mut Vec<u8>)) {
        if n == 0 {
            return;
        }
        match self.segments.back_mut() {
            Some(back) if self.back_shared => write(back),
            _ => {
                let mut seg = core::mem::take(&mut self.spare);
                seg.reserve(n.max(4096));
                write(&mut seg);
                self.segments.push_back(seg);
                self.back_shared = true;
            }
        }
        self.len += n;
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
        match (self.segments.front(), &self.fence) {
            (Some(seg), _) => seg.get(self.head..).unwrap_or(&[]),
            (None, Some(fence)) => fence,
            (None, None) => &[],
        }
    }

    /// Every unwritten run, in order (for vectored writes).
    pub(crate) fn segments(&self) -> impl Iterator<Item = &[u8]> {
        let head = self.head;
        self.segments
            .iter()
            .enumerate()
            .map(move |(i, s)| {
                if i == 0 {
                    s.get(head..).unwrap_or(&[])
                } else {
                    &s[..]
                }
            })
            .chain(self.fence.as_deref())
    }

    /// Marks `n` bytes as written (clamped to what is queued).
    pub(crate) fn consume(&mut self, mut n: usize) {
        if n > self.len {
            // The transport took bytes of the fenced frame: it is on its way now.
            self.release_fence();
        }
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
        self.release_fence();
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

    #[test]
    fn a_fenced_frame_stays_last_until_taken() {
        let mut o = Output::default();
        o.push(b"ab");
        o.push_fenced(b"CLOSE".to_vec());
        assert!(o.has_fence());
        o.push(b"cd");
        o.push_owned(vec![b'e'; 2]);
        assert_eq!(o.len(), 11);
        let all: Vec<u8> = o.segments().flatten().copied().collect();
        assert_eq!(all, b"abcdeeCLOSE");
        // Taking only what is before it keeps the fence.
        o.consume(6);
        assert!(o.has_fence());
        assert_eq!(o.front(), b"CLOSE");
        o.push(b"f");
        assert_eq!(o.front(), b"f");
        // Taking a byte of it releases it: later pushes go behind it.
        o.consume(2);
        assert!(!o.has_fence());
        o.push(b"g");
        let all: Vec<u8> = o.segments().flatten().copied().collect();
        assert_eq!(all, b"LOSEg");
        let mut o = Output::default();
        o.push_fenced(b"X".to_vec());
        assert_eq!(o.take_all(), b"X");
        assert!(!o.has_fence());
    }
}
