//! Reading and writing a connected socket's file descriptor directly (Unix only), for
//! drivers that let the engine do its own I/O (`receive_from`, `send_to`): one call per read
//! or write instead of a transport's Python-level read, copy and write.
//!
//! The descriptor is borrowed for the call, never closed: the caller owns the socket.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::net::TcpStream;
use std::os::fd::{FromRawFd, RawFd};

/// The size of one read (asyncio's own maximum read size).
pub(crate) const READ_SIZE: usize = 256 * 1024;

thread_local! {
    /// The read buffer a thread's connections share: reads never overlap on one thread,
    /// except a read started while building the events of another (`take_read_buffer`).
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A socket over a borrowed descriptor. `TcpStream` reads with `recv` and writes with `send`
/// (with `MSG_NOSIGNAL` on Linux), which serve any stream socket (TCP or Unix).
fn borrowed(fd: RawFd) -> ManuallyDrop<TcpStream> {
    // SAFETY: the caller passes the descriptor of a socket it keeps open for the call (a
    // stale number gives EBADF, or at worst reads another of the process's sockets, as
    // os.read() would); ManuallyDrop never closes it.
    ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) })
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
        let mut sock = borrowed(fd);
        loop {
            match sock.read(buf) {
                Ok(0) => return Ok((ReadResult::Eof, None)),
                Ok(n) => return Ok((ReadResult::Data, Some(f(&buf[..n])))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok((ReadResult::WouldBlock, None))
                }
                Err(e) => return Err(e),
            }
        }
    })
}

/// Writes `segments` to `fd` in order until the socket takes no more; returns the number of
/// bytes written. Interrupted writes are retried; EAGAIN ends the write; other errors are
/// returned (with the count written before them lost to the caller: the connection is over).
pub(crate) fn write_segments<'a>(
    fd: RawFd,
    segments: impl Iterator<Item = &'a [u8]>,
) -> io::Result<usize> {
    let mut sock = borrowed(fd);
    let mut written = 0;
    for seg in segments {
        let mut at = 0;
        while at < seg.len() {
            match sock.write(&seg[at..]) {
                Ok(0) => return Ok(written),
                Ok(n) => {
                    at += n;
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(written),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(written)
}
