//! wsengine's receive path against two other Rust WebSocket implementations, on identical
//! byte streams, for the benchmark report.
//!
//! The streams are the workloads of `core/benches/common` (masked client-to-server frames:
//! small texts, 1 KiB mixed UTF-8 texts, 1 MiB binaries, 1 MiB texts in 64 fragments). Every
//! implementation plays the server, starts a fresh connection per stream, is fed the stream in
//! pieces of at most `common::CHUNK` (64 KiB), consumes every message whole (fragments
//! reassembled, text validated as UTF-8) and returns the same checksum (the summed length of
//! the text and binary messages), which must agree across implementations before any timing:
//!
//! - **wsengine `receive_with`** (`common::engine_receive_lent`), the reference of the ratios;
//! - **wsengine `receive`** + `poll_event` (`common::engine_receive`);
//! - **tungstenite**, without its handshake feature: `WebSocket::from_raw_socket(_, Server, _)`
//!   over an in-memory `Read + Write` that hands out at most 64 KiB per `read`, answers
//!   `WouldBlock` once the stream is exhausted (as a non-blocking socket would) and discards
//!   writes; `read()` until that `WouldBlock`;
//! - **fastwebsockets**: `WebSocket::after_handshake(_, Server)` in a `FragmentCollector`
//!   (which reassembles fragments and validates their UTF-8), over an in-memory
//!   `AsyncRead + AsyncWrite` that yields at most 64 KiB per read, reports end-of-file once the
//!   stream is exhausted and discards writes; `read_frame()` until that end-of-file, each
//!   stream one `block_on` of a current-thread tokio runtime created once, outside the timing;
//! - **the baseline** (`common::baseline_receive`): copy, unmask and UTF-8 check only, the
//!   speed of light of any receiver.
//!
//! Message and frame limits are 16 MiB everywhere (wsengine's defaults). An implementation
//! that cannot process a workload is skipped for it, with the reason printed.
//!
//! Timing follows `core/benches/ratios.rs`, interleaved so that a noisy machine affects all
//! implementations alike: per workload, `BENCH_PEERS_ROUNDS` rounds (default 21); in each
//! round every implementation is timed in turn (the starting one rotates from round to round)
//! over the same number of repetitions of the stream, calibrated so that one timing of wsengine
//! `receive_with` lasts about 4 ms; each round gives each implementation's time divided by
//! wsengine `receive_with`'s. The medians over the rounds are reported (seconds per stream and
//! ratio), on stdout and in `target/bench-peers.json`.
//!
//! `cargo bench -p wsengine-bench-peers --bench peers` (`BENCH_PEERS_FILTER=frag` runs the
//! workloads whose name contains it).

#[path = "../../core/benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use common::CHUNK;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The peers' versions, as in Cargo.toml (checked against Cargo.lock at start).
const TUNGSTENITE: (&str, &str) = ("tungstenite", "0.30");
const FASTWEBSOCKETS: (&str, &str) = ("fastwebsockets", "0.10");

/// wsengine's default message and frame limits, given to the peers too.
const LIMIT: usize = 16 << 20;

/// How long one timing (one implementation, `reps` streams) should last.
const TARGET_SECONDS: f64 = 0.004;

/// The stream, handed out at most `CHUNK` bytes per read; writes are discarded.
struct MemStream<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> MemStream<'a> {
    fn new(data: &'a [u8]) -> Self {
        MemStream { data, pos: 0 }
    }

    /// Takes the next piece, at most `max` bytes; empty once the stream is exhausted.
    fn next_piece(&mut self, max: usize) -> &'a [u8] {
        let left = &self.data[self.pos..];
        let n = left.len().min(CHUNK).min(max);
        self.pos += n;
        &left[..n]
    }

    fn exhausted(&self) -> bool {
        self.pos == self.data.len()
    }
}

impl Read for MemStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.exhausted() && !buf.is_empty() {
            // A non-blocking socket with nothing more to read.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let piece = self.next_piece(buf.len());
        buf[..piece.len()].copy_from_slice(piece);
        Ok(piece.len())
    }
}

impl Write for MemStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for MemStream<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Copied straight into the (possibly uninitialised) buffer; nothing once exhausted,
        // which is end of file.
        let piece = self.next_piece(buf.remaining());
        buf.put_slice(piece);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MemStream<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn tungstenite_receive(stream: &[u8]) -> Result<usize, String> {
    use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
    use tungstenite::{Error, Message};
    let config = WebSocketConfig::default()
        .max_message_size(Some(LIMIT))
        .max_frame_size(Some(LIMIT));
    let mut ws = WebSocket::from_raw_socket(MemStream::new(stream), Role::Server, Some(config));
    let mut n = 0;
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => n += black_box(t.as_str()).len(),
            Ok(Message::Binary(b)) => n += black_box(&b[..]).len(),
            Ok(_) => {}
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                return if ws.get_ref().exhausted() {
                    Ok(n)
                } else {
                    Err(format!("WouldBlock before the end of the stream: {e}"))
                };
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn fastwebsockets_receive(rt: &tokio::runtime::Runtime, stream: &[u8]) -> Result<usize, String> {
    use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket, WebSocketError};
    rt.block_on(async {
        let mut ws = WebSocket::after_handshake(MemStream::new(stream), Role::Server);
        ws.set_max_message_size(LIMIT);
        let mut ws = FragmentCollector::new(ws);
        let mut n = 0;
        loop {
            match ws.read_frame().await {
                Ok(frame) => {
                    if matches!(frame.opcode, OpCode::Text | OpCode::Binary) {
                        n += black_box(&frame.payload[..]).len();
                    }
                }
                Err(WebSocketError::UnexpectedEOF) => break,
                Err(e) => return Err(e.to_string()),
            }
        }
        if ws.into_inner().exhausted() {
            Ok(n)
        } else {
            Err("end of file before the end of the stream".to_string())
        }
    })
}

/// One pass over a stream: the checksum, or why the implementation cannot process it.
type Receive<'a> = dyn Fn(&[u8]) -> Result<usize, String> + 'a;

struct Implementation<'a> {
    name: String,
    run: Box<Receive<'a>>,
}

fn time(run: &Receive, stream: &[u8], reps: usize) -> f64 {
    let start = Instant::now();
    let mut sink = 0;
    for _ in 0..reps {
        sink ^= run(stream).expect("the verification run succeeded");
    }
    black_box(sink);
    start.elapsed().as_secs_f64() / reps as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Fails if Cargo.lock resolved `name` to a version other than `version`.x.
fn check_locked_version((name, version): (&str, &str), lock: &str) {
    let entry = format!("name = \"{name}\"\nversion = \"{version}.");
    assert!(
        lock.contains(&entry),
        "Cargo.lock has no {name} {version}.x: update the constant in benches/peers.rs"
    );
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock")) {
        check_locked_version(TUNGSTENITE, &lock);
        check_locked_version(FASTWEBSOCKETS, &lock);
    }
    let rounds: usize = std::env::var("BENCH_PEERS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21)
        .max(1);
    let filter = std::env::var("BENCH_PEERS_FILTER").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let implementations = [
        Implementation {
            name: "wsengine receive_with".into(),
            run: Box::new(|s: &[u8]| Ok(common::engine_receive_lent(s))),
        },
        Implementation {
            name: "wsengine receive".into(),
            run: Box::new(|s: &[u8]| Ok(common::engine_receive(s))),
        },
        Implementation {
            name: format!("{} {}", TUNGSTENITE.0, TUNGSTENITE.1),
            run: Box::new(tungstenite_receive),
        },
        Implementation {
            name: format!("{} {}", FASTWEBSOCKETS.0, FASTWEBSOCKETS.1),
            run: Box::new(|s: &[u8]| fastwebsockets_receive(&rt, s)),
        },
        Implementation {
            name: "baseline (copy+unmask+simdutf8)".into(),
            run: Box::new(|s: &[u8]| Ok(common::baseline_receive(s))),
        },
    ];

    let mut results = Vec::new();
    println!(
        "{:<28} {:<32} {:>12} {:>10} {:>8}",
        "workload", "implementation", "per stream", "MiB/s", "ratio"
    );
    for w in common::workloads()
        .into_iter()
        .filter(|w| w.name.contains(filter.as_str()))
    {
        let stream = &w.stream[..];
        // The reference first: every other implementation must agree with its checksum.
        let expected = (implementations[0].run)(stream).expect("wsengine receive_with");
        let mut active = Vec::new();
        for imp in &implementations {
            match (imp.run)(stream) {
                Ok(n) => {
                    assert_eq!(n, expected, "{} on {}: checksum differs", imp.name, w.name);
                    active.push(imp);
                }
                Err(e) => println!("{:<28} {:<32} skipped: {e}", w.name, imp.name),
            }
        }
        // Repetitions: one timing of the reference lasts about TARGET_SECONDS.
        let once = (0..3)
            .map(|_| time(&*active[0].run, stream, 1))
            .fold(f64::INFINITY, f64::min);
        let reps = ((TARGET_SECONDS / once).ceil() as usize).max(1);
        let mut seconds = vec![Vec::with_capacity(rounds); active.len()];
        let mut ratios = vec![Vec::with_capacity(rounds); active.len()];
        for round in 0..rounds {
            let mut t = vec![0.0; active.len()];
            for k in 0..active.len() {
                let i = (round + k) % active.len();
                t[i] = time(&*active[i].run, stream, reps);
            }
            for i in 0..active.len() {
                seconds[i].push(t[i]);
                ratios[i].push(t[i] / t[0]);
            }
        }
        for ((imp, s), r) in active.iter().zip(seconds).zip(ratios) {
            let (s, r) = (median(s), median(r));
            println!(
                "{:<28} {:<32} {:>9.0} µs {:>10.0} {:>7.2}×",
                w.name,
                imp.name,
                s * 1e6,
                stream.len() as f64 / s / (1 << 20) as f64,
                r
            );
            results.push(serde_json::json!({
                "workload": w.name,
                "impl": imp.name,
                "seconds": s,
                "ratio": r,
                "messages": w.messages.len(),
                "bytes": stream.len(),
            }));
        }
        println!(
            "{:<28} ({rounds} rounds of {reps} streams per implementation)",
            ""
        );
    }
    let dir = root.join("target");
    let _ = std::fs::create_dir_all(&dir);
    let json = serde_json::to_string_pretty(&results).expect("JSON");
    std::fs::write(dir.join("bench-peers.json"), json + "\n").expect("write results");
}
