//! Reading and writing a connected socket's file descriptor directly (Unix only), for
//! drivers that let the engine do its own I/O (`receive_from`, `send_to`): one call per read
//! or write instead of a transport's Python-level read, copy and write.
//!
//! The descriptor is borrowed for the call, never closed: the caller owns the socket.
//! `recv` and `sendmsg` (with `MSG_NOSIGNAL` on Linux) serve any stream socket, TCP or Unix.

use std::cell::RefCell;
use std::io;
use std::os::fd::RawFd;

/// The size of one read (asyncio's own maximum read size).
pub(crate) const READ_SIZE: usize = 256 * 1024;

thread_local! {
    /// The read buffer a thread's connections share: reads never overlap on one thread,
    /// except a read started while building the events of another (`take_read_buffer`).
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What one read gave.
pub(crate) enum ReadResult {
    /// Bytes, passed to the closure.
    Data,
    /// Nothing to read now (EAGAIN).
    WouldBlock,
    /// The peer closed its side.
    Eof,
}

/// Reads once from `fd` into the thread's read buffer and calls `f` with the bytes read.
/// Interrupted reads are retried; other errors are returned.
pub(crate) fn read_once<R>(
    fd: RawFd,
    f: impl FnOnce(&[u8]) -> R,
) -> io::Result<(ReadResult, Option<R>)> {
    READ_BUFFER.with(|cell| {
        // A read started while this thread's buffer is lent (from code run while building
        // the events of another read) gets a buffer of its own.
        let mut own;
        let mut shared = cell.try_borrow_mut();
        let buf: &mut Vec<u8> = match shared {
            Ok(ref mut b) => b,
            Err(_) => {
                own = Vec::new();
                &mut own
            }
        };
        if buf.len() < READ_SIZE {
            buf.resize(READ_SIZE, 0);
        }
        loop {
            // SAFETY: `buf` is valid for writes of its length; the descriptor is the caller's,
            // open for the call (a stale one gives EBADF, as os.read() would).
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
            if n > 0 {
                return Ok((ReadResult::Data, Some(f(&buf[..n as usize]))));
            }
            if n == 0 {
                return Ok((ReadResult::Eof, None));
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok((ReadResult::WouldBlock, None)),
                _ => return Err(e),
            }
        }
    })
}

/// How many runs of the output queue one `sendmsg` takes (a frame's header and payload are
/// two; more is rare).
const MAX_IOV: usize = 16;

#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: libc::c_int = 0; // CPython ignores SIGPIPE

/// Writes the first runs of `segments` to `fd` in one `sendmsg`; returns the number of bytes
/// written (0 when the socket takes nothing now) and whether every run given was written.
/// Interrupted writes are retried; other errors are returned.
pub(crate) fn write_segments<'a>(
    fd: RawFd,
    segments: impl Iterator<Item = &'a [u8]>,
) -> io::Result<(usize, bool)> {
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_IOV];
    let mut count = 0;
    let mut total = 0;
    for seg in segments.take(MAX_IOV) {
        iov[count] = libc::iovec {
            iov_base: seg.as_ptr() as *mut libc::c_void,
            iov_len: seg.len(),
        };
        count += 1;
        total += seg.len();
    }
    if total == 0 {
        return Ok((0, true));
    }
    // SAFETY: an all-zero msghdr is valid (no name, no control data); it points at `count`
    // iovecs, each over a slice that outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = count as _;
    loop {
        // SAFETY: `msg` is initialised above; the descriptor is the caller's.
        let n = unsafe { libc::sendmsg(fd, &msg, SEND_FLAGS) };
        if n >= 0 {
            return Ok((n as usize, n as usize == total));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok((0, false)),
            _ => return Err(e),
        }
    }
}
