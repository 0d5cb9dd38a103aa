//! I/O glue shared by the examples: a blocking TCP stream driving a `Connection`.
//! (The engine does no I/O; this is the caller's side of the contract.)

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use wsengine::Connection;

/// Milliseconds since the program started: the clock the engine's timers run on.
pub fn now_ms(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// Writes every queued output byte to the stream (vectored, then consumed).
pub fn flush(conn: &mut Connection, stream: &mut TcpStream) -> std::io::Result<()> {
    while conn.buffered_amount() > 0 {
        let slices: Vec<std::io::IoSlice<'_>> =
            conn.output_segments().map(std::io::IoSlice::new).collect();
        let n = stream.write_vectored(&slices)?;
        if n == 0 {
            return Err(ErrorKind::WriteZero.into());
        }
        conn.consume_output(n);
    }
    Ok(())
}

/// What one read step found.
pub enum ReadOutcome {
    /// Bytes were fed to the connection.
    Data,
    /// The read timed out with nothing to do.
    Idle,
    /// The peer closed the transport (fed as EOF).
    Eof,
}

/// Reads once (with the stream's read timeout), feeds the connection and its clock.
pub fn read_once(
    conn: &mut Connection,
    stream: &mut TcpStream,
    buf: &mut [u8],
    start: Instant,
) -> ReadOutcome {
    let result = match stream.read(buf) {
        Ok(0) => {
            conn.receive_eof();
            ReadOutcome::Eof
        }
        Ok(n) => {
            conn.receive(&buf[..n]);
            ReadOutcome::Data
        }
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
            ) =>
        {
            ReadOutcome::Idle
        }
        Err(_) => {
            conn.receive_eof();
            ReadOutcome::Eof
        }
    };
    conn.handle_timeout(now_ms(start));
    result
}

/// A short read timeout so the loop can also serve timers and outgoing messages.
pub fn poll_interval() -> Duration {
    Duration::from_millis(25)
}

/// Ends the transport once the connection is over, without losing what was sent.
///
/// Flushes, half-closes (FIN: the peer sees the end of our data, so a server still closes
/// first, RFC 6455 §7.1.1), then reads and discards until the peer's EOF or `LINGER`. Closing a
/// socket whose input holds unread bytes makes the kernel send a reset instead of a FIN, and a
/// peer that gets a reset may discard what it had not read yet: after a protocol error the
/// peer is typically still sending (Autobahn 3.4 sends the bad frame octet by octet), and would
/// lose the echo and the close frame queued before the failure.
pub fn close_transport(conn: &mut Connection, stream: &mut TcpStream) {
    const LINGER: Duration = Duration::from_secs(2);
    let _ = flush(conn, stream);
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => break,
        }
    }
}
