//! One benchmark connection: opening (TCP, TLS, WebSocket handshake, Socket.IO connect), then a
//! writer task that keeps `depth` messages in flight and a reader task that checks every echo
//! and times it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::cli::Options;
use crate::codec::{encode_frame, op, Decoder, Frame};
use crate::payload;

/// Run phases, set by the main task.
pub const WARMUP: u8 = 0;
pub const MEASURE: u8 = 1;
pub const STOP: u8 = 2;

/// State shared by every connection of a run.
pub struct Run {
    pub opts: Options,
    pub phase: AtomicU8,
    /// Wakes the writers when `phase` changes.
    pub phase_tx: tokio::sync::watch::Sender<u8>,
    pub tls: Option<tokio_rustls::TlsConnector>,
    /// The messages sent and expected back.
    pub pattern: payload::Pattern,
}

/// Counters of one connection, read by the main task when the drain times out.
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub echoed: AtomicU64,
}

/// What the reader reports at the end: the latencies (ns) and the number of echoes received
/// while the phase was MEASURE.
pub struct Outcome {
    pub latencies: Histogram<u64>,
    pub measured: u64,
}

/// A byte stream: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An opened connection, ready for [`run`].
pub struct Opened {
    stream: Box<dyn Io>,
    decoder: Decoder,
}

/// Instructions from the reader (and the main task) to the writer.
enum Cmd {
    /// This many echoes came back: as many messages may be sent in their place.
    Echoed(usize),
    /// Answer a WebSocket ping.
    Pong(Vec<u8>),
    /// Answer an engine.io ping (`2`) with a pong (`3`).
    EngineIoPong,
    /// The phase may have changed: re-check it.
    Wake,
}

/// Opens one connection: TCP (no Nagle), TLS for `wss://`, the upgrade, and for Socket.IO the
/// engine.io open packet and the namespace connect.
pub async fn open(run: &Run) -> Result<Opened, String> {
    let url = &run.opts.url;
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("connecting to {}:{}: {e}", url.host, url.port))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut stream: Box<dyn Io> = match &run.tls {
        Some(c) => Box::new(
            c.connect(crate::tls::server_name(&url.host)?, tcp)
                .await
                .map_err(|e| format!("TLS handshake: {e}"))?,
        ),
        None => Box::new(tcp),
    };
    let host = if url.port == if url.tls { 443 } else { 80 } {
        url.host.clone()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let rest = crate::handshake::client_handshake(&mut stream, &host, &url.path).await?;
    let mut decoder = Decoder::default();
    decoder.buffer().extend_from_slice(&rest);
    if run.opts.socketio {
        socketio_connect(&mut stream, &mut decoder).await?;
    }
    Ok(Opened { stream, decoder })
}

/// Socket.IO v4 connect over an open WebSocket: engine.io `0{...}` (open) from the server,
/// `40` (connect to the main namespace) from us, `40{...}` back (engine.io protocol v4,
/// socket.io protocol v5).
async fn socketio_connect(stream: &mut Box<dyn Io>, decoder: &mut Decoder) -> Result<(), String> {
    let mut sent_connect = false;
    loop {
        while let Some(frame) = decoder.next_frame()? {
            let text = match frame {
                Frame::Message {
                    text: true,
                    payload,
                } => payload,
                Frame::Ping(p) => {
                    write_frame(stream, op::PONG, &p).await?;
                    continue;
                }
                Frame::Pong(_) => continue,
                other => return Err(format!("Socket.IO connect: unexpected {other:?}")),
            };
            match text.as_slice() {
                [b'0', ..] if !sent_connect => {
                    write_frame(stream, op::TEXT, b"40").await?;
                    sent_connect = true;
                }
                b"2" => write_frame(stream, op::TEXT, b"3").await?,
                [b'4', b'0', ..] if sent_connect => return Ok(()),
                other => {
                    return Err(format!(
                        "Socket.IO connect: unexpected packet {:?}",
                        String::from_utf8_lossy(other)
                    ))
                }
            }
        }
        read_more(stream, decoder).await?;
    }
}

async fn write_frame(stream: &mut Box<dyn Io>, opcode: u8, payload: &[u8]) -> Result<(), String> {
    let mut out = Vec::new();
    encode_frame(&mut out, opcode, payload);
    stream
        .write_all(&out)
        .await
        .map_err(|e| format!("write: {e}"))
}

async fn read_more<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
    decoder: &mut Decoder,
) -> Result<(), String> {
    let buf = decoder.buffer();
    buf.reserve(64 * 1024);
    match r.read_buf(buf).await {
        Ok(0) => Err("connection closed by the server (EOF) without a close frame".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}

/// Runs an opened connection until the STOP phase and the drain of its messages in flight,
/// then closes it (close 1000, awaiting the server's close frame).
pub async fn run(
    run: Arc<Run>,
    opened: Opened,
    counters: Arc<Counters>,
) -> Result<Outcome, String> {
    let (r, w) = tokio::io::split(opened.stream);
    let (tx, rx) = mpsc::unbounded_channel();
    let times = Arc::new(Mutex::new(VecDeque::with_capacity(run.opts.depth)));
    let closing = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_loop(
        run.clone(),
        w,
        rx,
        times.clone(),
        closing.clone(),
        counters.clone(),
    ));
    let result = read_loop(&run, r, opened.decoder, tx, times, closing, &counters).await;
    match result {
        Ok(outcome) => {
            writer.await.map_err(|e| format!("writer task: {e}"))??;
            Ok(outcome)
        }
        Err(e) => {
            writer.abort();
            Err(e)
        }
    }
}

async fn write_loop(
    run: Arc<Run>,
    mut w: WriteHalf<Box<dyn Io>>,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
    times: Arc<Mutex<VecDeque<Instant>>>,
    closing: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> Result<(), String> {
    let o = &run.opts;
    let mut phase = run.phase_tx.subscribe();
    let (mut out, mut message) = (Vec::new(), Vec::new());
    let (mut seq, mut in_flight, mut credits) = (0u64, 0usize, o.depth);
    loop {
        out.clear();
        while let Ok(cmd) = rx.try_recv() {
            match cmd {
                Cmd::Echoed(n) => {
                    in_flight -= n;
                    credits += n;
                }
                Cmd::Pong(p) => encode_frame(&mut out, op::PONG, &p),
                Cmd::EngineIoPong => encode_frame(&mut out, op::TEXT, b"3"),
                Cmd::Wake => {}
            }
        }
        if run.phase.load(Ordering::Acquire) == STOP {
            credits = 0;
            if in_flight == 0 {
                closing.store(true, Ordering::Release);
                encode_frame(&mut out, op::CLOSE, &1000u16.to_be_bytes());
                w.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
                w.flush().await.map_err(|e| format!("write: {e}"))?;
                return Ok(());
            }
        }
        if credits > 0 {
            let now = Instant::now();
            let mut t = times.lock().unwrap();
            for _ in 0..credits {
                message.clear();
                if o.socketio {
                    message.extend_from_slice(payload::SOCKETIO_PREFIX);
                    run.pattern.write(&mut message, seq);
                    message.extend_from_slice(payload::SOCKETIO_SUFFIX);
                } else {
                    run.pattern.write(&mut message, seq);
                }
                let opcode = if o.binary { op::BINARY } else { op::TEXT };
                encode_frame(&mut out, opcode, &message);
                t.push_back(now);
                seq += 1;
            }
            in_flight += credits;
            credits = 0;
            counters.sent.store(seq, Ordering::Relaxed);
        }
        if !out.is_empty() {
            w.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
        }
        // Wait for the next instruction (the loop above takes any others already queued).
        let cmd = tokio::select! {
            cmd = rx.recv() => cmd,
            _ = phase.changed() => Some(Cmd::Wake),
        };
        match cmd {
            Some(Cmd::Echoed(n)) => {
                in_flight -= n;
                credits += n;
            }
            Some(Cmd::Pong(p)) => {
                out.clear();
                encode_frame(&mut out, op::PONG, &p);
                w.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
            }
            Some(Cmd::EngineIoPong) => {
                out.clear();
                encode_frame(&mut out, op::TEXT, b"3");
                w.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
            }
            Some(Cmd::Wake) => {}
            None => return Ok(()),
        }
    }
}

async fn read_loop(
    run: &Run,
    mut r: ReadHalf<Box<dyn Io>>,
    mut decoder: Decoder,
    tx: mpsc::UnboundedSender<Cmd>,
    times: Arc<Mutex<VecDeque<Instant>>>,
    closing: Arc<AtomicBool>,
    counters: &Counters,
) -> Result<Outcome, String> {
    let o = &run.opts;
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 120_000_000_000, 3).unwrap();
    let (mut measured, mut seq) = (0u64, 0u64);
    // The echoes of one read are timed at the end of that read, and handed back to the writer
    // together (one wake-up, one write of their replacements).
    let mut received = Instant::now();
    loop {
        let echoed = {
            let mut echoed = 0;
            let mut t = times.lock().unwrap();
            while let Some(frame) = decoder.next_frame()? {
                match frame {
                    Frame::Message { text, payload } => {
                        if o.socketio && payload == b"2" {
                            let _ = tx.send(Cmd::EngineIoPong);
                            continue;
                        }
                        if text == o.binary {
                            return Err(format!(
                                "message {seq}: a {} echo of a {} message",
                                kind(text),
                                kind(!text)
                            ));
                        }
                        if !echo_matches(run, &payload, seq) {
                            let want = expected(run, seq);
                            return Err(format!(
                                "message {seq}: {}",
                                payload::mismatch(&want, &payload)
                            ));
                        }
                        let Some(sent) = t.pop_front() else {
                            return Err(format!(
                                "message {seq}: an echo of a message not sent yet"
                            ));
                        };
                        if run.phase.load(Ordering::Acquire) == MEASURE {
                            let ns = received.duration_since(sent).as_nanos() as u64;
                            latencies.saturating_record(ns.max(1));
                            measured += 1;
                        }
                        seq += 1;
                        echoed += 1;
                    }
                    Frame::Ping(p) => {
                        let _ = tx.send(Cmd::Pong(p));
                    }
                    Frame::Pong(_) => {}
                    Frame::Close(code, reason) => {
                        if closing.load(Ordering::Acquire) {
                            return Ok(Outcome {
                                latencies,
                                measured,
                            });
                        }
                        return Err(format!(
                        "unexpected close from the server (code {code:?}, reason {:?}) after {seq} echoes",
                        String::from_utf8_lossy(&reason)
                    ));
                    }
                }
            }
            echoed
        };
        if echoed > 0 {
            counters.echoed.store(seq, Ordering::Relaxed);
            let _ = tx.send(Cmd::Echoed(echoed));
        }
        if let Err(e) = read_more(&mut r, &mut decoder).await {
            // A server may drop the TCP connection right after our close frame.
            if closing.load(Ordering::Acquire) && counters.sent.load(Ordering::Relaxed) == seq {
                return Ok(Outcome {
                    latencies,
                    measured,
                });
            }
            return Err(format!("{e} after {seq} echoes"));
        }
        received = Instant::now();
    }
}

/// Whether `got` is the echo of message `seq` (for Socket.IO: the same event packet).
fn echo_matches(run: &Run, got: &[u8], seq: u64) -> bool {
    if !run.opts.socketio {
        return run.pattern.matches(got, seq);
    }
    let (pre, suf) = (payload::SOCKETIO_PREFIX, payload::SOCKETIO_SUFFIX);
    got.len() >= pre.len() + suf.len()
        && got.starts_with(pre)
        && got.ends_with(suf)
        && run
            .pattern
            .matches(&got[pre.len()..got.len() - suf.len()], seq)
}

/// Message `seq` as sent (to describe a mismatch).
fn expected(run: &Run, seq: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if run.opts.socketio {
        out.extend_from_slice(payload::SOCKETIO_PREFIX);
    }
    run.pattern.write(&mut out, seq);
    if run.opts.socketio {
        out.extend_from_slice(payload::SOCKETIO_SUFFIX);
    }
    out
}

fn kind(text: bool) -> &'static str {
    if text {
        "text"
    } else {
        "binary"
    }
}
