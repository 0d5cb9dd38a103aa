//! Adversarial inputs: every known denial-of-service class against a WebSocket endpoint, each
//! checked for the right close code or HTTP status and for bounded memory. A counting global
//! allocator measures the peak bytes allocated while the attack is processed (the attack's
//! own input is built before the measurement starts, or streamed in small pieces).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
#[cfg(feature = "deflate")]
use std::time::{Duration, Instant};

use wsengine::{Config, Connection, Error, Event, OpenOptions, Role, State};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Tests run one at a time (each holds this for its whole body), so that the peak of one is
/// not another's.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f`; returns its result and the peak number of bytes allocated above the start.
/// The caller holds [`serial`].
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (r, peak)
}

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const MIB: usize = 1 << 20;

/// A masked frame (client to server) with the given first byte.
fn masked_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    out
}

fn open_server(config: Config, extensions: Option<&str>) -> Connection {
    let options = OpenOptions {
        protocol: None,
        extensions: extensions.map(str::to_string),
    };
    let mut c = Connection::open(Role::Server, config, options, None).expect("open");
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

fn events(c: &mut Connection) -> Vec<Event> {
    c.drain_events().collect()
}

/// The connection failed with `kind`, sent close code `code`, and is closed.
fn assert_failed(evs: &[Event], c: &Connection, kind: &str, code: u16) {
    let failed: Vec<&Error> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Failed(err) => Some(err),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "exactly one failure expected: {evs:?}");
    assert_eq!(failed[0].kind(), kind, "{:?}", failed[0]);
    assert_eq!(failed[0].close_code(), code);
    assert!(matches!(evs.last(), Some(Event::Closed(_))), "{evs:?}");
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_info().and_then(|i| i.sent_code), Some(code));
}

/// The output is one close frame (server to client, unmasked) with `code`.
fn assert_close_frame(out: &[u8], code: u16) {
    assert_eq!(out[0], 0x88, "a close frame: {out:02x?}");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]), code);
    assert_eq!(out.len(), 2 + usize::from(out[1]));
}

/// ~1 MB of permessage-deflate data inflating to 1 GiB: 1024 copies of a ~1 KB block that
/// inflates to 1 MiB of zeros (each sync-flushed block stands alone), in one masked frame.
/// The message limit is applied while inflating: 1009 after at most max_message_size bytes.
#[cfg(feature = "deflate")]
#[test]
fn decompression_bomb_fails_1009_with_bounded_memory() {
    let _serial = serial();
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; MIB];
    let mut block = Vec::with_capacity(8 << 10);
    let mut z = Compress::new(Compression::best(), false);
    z.compress_vec(&zeros, &mut block, FlushCompress::Sync)
        .expect("compress");
    assert_eq!(z.total_in(), MIB as u64, "one call compresses it all");
    assert!(block.len() < 2048, "1 MiB of zeros compresses to ~1 KB");
    let payload_len = block.len() * 1024; // inflates to 1 GiB
    let mut header = vec![0xc2, 0x80 | 127];
    header.extend_from_slice(&(payload_len as u64).to_be_bytes());
    header.extend_from_slice(&KEY);
    // The payload, masked, streamed in 64 KiB pieces built on the fly.
    let mut piece = Vec::with_capacity(64 << 10);

    let mut config = Config::default();
    config.max_message_size = 4 * MIB;
    let mut server = open_server(config, Some("permessage-deflate"));
    let ((evs, fed), peak) = peak_during(|| {
        server.receive(&header);
        let mut fed = 0;
        let mut offset = 0;
        while offset < payload_len && server.state() != State::Closed {
            piece.clear();
            while piece.len() < (64 << 10) && offset < payload_len {
                piece.push(block[offset % block.len()] ^ KEY[offset % 4]);
                offset += 1;
            }
            server.receive(&piece);
            fed += piece.len();
        }
        (events(&mut server), fed)
    });
    assert_failed(&evs, &server, "message_too_large", 1009);
    assert_close_frame(&server.take_output(), 1009);
    // It stopped early: a 4 MiB limit is reached after ~4 KB of the ~1 MB payload.
    assert!(fed <= 128 << 10, "fed {fed} bytes before failing");
    assert!(peak < 12 * MIB, "peak {peak} bytes for a 4 MiB limit");
}

/// 10^6 one-byte fragments: max_fragments (131 072 by default) stops the message with 1009;
/// memory stays at the size of the bytes received, not the number of frames.
#[test]
fn million_one_byte_fragments_fail_1009() {
    let _serial = serial();
    let mut server = open_server(Config::default(), None);
    let first = masked_frame(0x02, b"x");
    let cont = masked_frame(0x00, b"x");
    let batch: Vec<u8> = cont.repeat(10_000);
    let ((evs, frames), peak) = peak_during(|| {
        server.receive(&first);
        let mut frames = 1;
        while frames < 1_000_000 && server.state() != State::Closed {
            server.receive(&batch);
            frames += 10_000;
        }
        (events(&mut server), frames)
    });
    assert_failed(&evs, &server, "too_many_fragments", 1009);
    assert_close_frame(&server.take_output(), 1009);
    assert!(frames <= 141_000, "still reading after {frames} frames");
    assert!(peak < 2 * MIB, "peak {peak} bytes");
}

/// A 64-bit length with the top bit set (2^63) is a protocol error (RFC 6455 §5.2), before
/// any payload; 2^63 − 1 is merely too large (1009).
#[test]
fn length_two_to_the_63_fails_1002() {
    let _serial = serial();
    for (len, kind, code) in [
        (1u64 << 63, "length_top_bit", 1002),
        (u64::MAX, "length_top_bit", 1002),
        ((1u64 << 63) - 1, "frame_too_large", 1009),
    ] {
        let mut server = open_server(Config::default(), None);
        let mut frame = vec![0x82, 0x80 | 127];
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&KEY);
        let (evs, peak) = peak_during(|| {
            server.receive(&frame);
            events(&mut server)
        });
        assert_failed(&evs, &server, kind, code);
        assert_close_frame(&server.take_output(), code);
        assert!(peak < 64 << 10, "peak {peak} bytes");
    }
}

/// 100 000 pings while the application never writes its output: automatic pongs are
/// coalesced above the high-water mark (only the latest ping is answered, RFC 6455 §5.5.3),
/// so the output stays bounded; draining it writes that one pong.
#[test]
fn ping_flood_without_draining_keeps_output_bounded() {
    let _serial = serial();
    let mut config = Config::default();
    config.high_water_mark = 64 << 10;
    config.low_water_mark = 16 << 10;
    let high = config.high_water_mark;
    let mut server = open_server(config, None);
    let payload = [0xabu8; 125];
    let ping = masked_frame(0x89, &payload);
    let batch = ping.repeat(1000);
    let mut last = payload;
    last[..4].copy_from_slice(b"last");
    let last_ping = masked_frame(0x89, &last);
    let (evs, peak) = peak_during(|| {
        for _ in 0..100 {
            server.receive(&batch);
        }
        server.receive(&last_ping);
        events(&mut server)
    });
    assert!(evs.is_empty(), "pings are not surfaced by default: {evs:?}");
    assert_eq!(server.state(), State::Open);
    let queued = server.buffered_amount();
    assert!(
        queued <= high + 2 * 127,
        "{queued} bytes queued for 100 001 pings"
    );
    assert!(!server.is_writable());
    assert!(peak < 2 * high + (64 << 10), "peak {peak} bytes");
    // Draining writes the deferred pong: the latest ping's payload.
    let out = server.take_output();
    assert_eq!(out.len(), queued);
    let deferred = server.take_output();
    assert_eq!(&deferred[..2], &[0x8a, 125]);
    assert_eq!(&deferred[2..], &last[..]);
    assert!(matches!(server.poll_event(), Some(Event::Writable)));
}

/// Found by fuzzing (client_conn): with a high-water mark above `max_output_buffer`, a ping
/// flood used to be answered until the high-water mark, past the output limit. Automatic
/// pongs stop at the output limit too; the latest ping is answered once there is room.
#[test]
fn ping_flood_stops_at_the_output_limit_when_the_high_water_mark_is_above_it() {
    // Serialised: the other tests here measure the process's peak allocation.
    let _serial = serial();
    let mut config = Config::default();
    config.max_output_buffer = 2048;
    config.high_water_mark = 8192;
    config.low_water_mark = 1024;
    let mut server = open_server(config, None);
    let payload = [0x5au8; 100];
    let mut last = payload;
    last[..4].copy_from_slice(b"last");
    let mut flood = masked_frame(0x89, &payload).repeat(500);
    flood.extend(masked_frame(0x89, &last));
    server.receive(&flood);
    assert_eq!(server.state(), State::Open);
    let queued = server.buffered_amount();
    assert!(queued < 2048 + 102, "{queued} bytes queued for 501 pings");
    // Taking the output makes room: the latest ping's pong follows, and only it.
    assert_eq!(server.take_output().len(), queued);
    let deferred = server.take_output();
    assert_eq!(&deferred[..2], &[0x8a, 100]);
    assert_eq!(&deferred[2..], &last[..]);
    assert!(server.take_output().is_empty());
}

fn handshake_server(config: Config) -> Connection {
    Connection::server(config).expect("server")
}

/// The response starts with this status line.
fn assert_status(out: &[u8], status: u16) {
    let line = format!("HTTP/1.1 {status} ");
    assert!(
        out.starts_with(line.as_bytes()),
        "expected {status}: {:?}",
        String::from_utf8_lossy(&out[..out.len().min(80)])
    );
}

fn assert_handshake_failed(c: &mut Connection, status: u16) {
    let evs = events(c);
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Failed(Error::Handshake(_)))),
        "{evs:?}"
    );
    assert!(matches!(evs.last(), Some(Event::Closed(_))));
    assert_eq!(c.state(), State::Closed);
    assert_status(&c.take_output(), status);
}

/// A 1 MB header line, streamed in 4 KiB reads: 431 once max_header_bytes (8 KiB) is
/// reached; the rest is ignored and never buffered.
#[test]
fn one_megabyte_header_gets_431() {
    let _serial = serial();
    let mut server = handshake_server(Config::default());
    let start = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Big: ";
    let filler = vec![b'a'; 4096];
    let (fed, peak) = peak_during(|| {
        server.receive(start);
        let mut fed = start.len();
        while fed < MIB {
            server.receive(&filler);
            fed += filler.len();
        }
        server.receive(b"\r\n\r\n");
        fed
    });
    assert!(fed >= MIB);
    assert!(peak < 128 << 10, "peak {peak} bytes");
    assert_handshake_failed(&mut server, 431);
}

fn many_headers(n: usize) -> Vec<u8> {
    let mut req = b"GET /chat HTTP/1.1\r\nHost: example.com\r\n".to_vec();
    for i in 0..n {
        req.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req
}

/// 10^4 header fields: 431, whether the size limit (default 8 KiB) or the count limit
/// (default 64, with a 1 MiB size limit) is hit first.
#[test]
fn ten_thousand_headers_get_431() {
    let _serial = serial();
    let req = many_headers(10_000);
    for max_header_bytes in [8 << 10, MIB] {
        let mut config = Config::default();
        config.max_header_bytes = max_header_bytes;
        let mut server = handshake_server(config);
        let ((), peak) = peak_during(|| {
            for piece in req.chunks(1500) {
                server.receive(piece);
            }
        });
        // At most the head bytes received so far, a couple of times over.
        assert!(peak < 3 * req.len() + (64 << 10), "peak {peak} bytes");
        assert_handshake_failed(&mut server, 431);
    }
}

/// A valid request sent one byte per second: the handshake timeout (10 s by default) answers
/// 408 long before the request is complete.
#[test]
fn slow_handshake_times_out_with_408() {
    let _serial = serial();
    let req = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    let mut server = handshake_server(Config::default());
    let mut now = 1_000_000u64;
    server.handle_timeout(now);
    let (sent, peak) = peak_during(|| {
        let mut sent = 0;
        for b in req.iter() {
            if server.state() == State::Closed {
                break;
            }
            server.receive(std::slice::from_ref(b));
            sent += 1;
            now += 1000;
            server.handle_timeout(now);
        }
        sent
    });
    assert!(sent <= 11, "{sent} bytes accepted before the timeout");
    assert!(peak < 16 << 10, "peak {peak} bytes");
    let evs = events(&mut server);
    assert!(
        evs.iter()
            .any(|e| matches!(e, Event::Failed(Error::HandshakeTimeout))),
        "{evs:?}"
    );
    assert_eq!(server.state(), State::Closed);
    assert_status(&server.take_output(), 408);
}

/// A `Sec-WebSocket-Extensions` header with thousands of parameters (or offers): the parser is
/// linear and stops at its limits; the server answers 400 (malformed) without the
/// extension, in time and memory proportional to the header.
#[cfg(feature = "deflate")]
#[test]
fn extension_header_with_thousands_of_parameters() {
    let _serial = serial();
    fn request(value: &str) -> Vec<u8> {
        format!(
            "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {value}\r\n\r\n"
        )
        .into_bytes()
    }
    let mut times = Vec::new();
    for (n, sep) in [
        (2_000, "; client_max_window_bits"),
        (20_000, "; client_max_window_bits"),
        (20_000, "; x=\"y\""),
        (20_000, ", permessage-deflate"),
    ] {
        let value = format!("permessage-deflate{}", sep.repeat(n));
        let req = request(&value);
        let mut config = Config::default();
        config.max_header_bytes = 2 * MIB;
        config.deflate = Some(Default::default());
        let mut server = handshake_server(config);
        let t = Instant::now();
        let ((), peak) = peak_during(|| server.receive(&req));
        times.push(t.elapsed());
        assert!(
            peak < 4 * req.len() + MIB,
            "peak {peak} for {} bytes",
            req.len()
        );
        let evs = events(&mut server);
        match &evs[..] {
            // Refused as malformed (over the parser's limits) ...
            [Event::Failed(Error::Handshake(_)), Event::Closed(_)] => {
                assert_status(&server.take_output(), 400)
            }
            // ... or accepted without the extension.
            [Event::Request(_)] => {
                server.accept(Default::default()).expect("accept");
                assert_eq!(server.extensions(), None);
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(
        times.iter().all(|t| *t < Duration::from_secs(1)),
        "{times:?}"
    );
}

/// Invalid UTF-8 at every position of a 4 KiB text message: 1007 each time, as soon as the bad
/// byte arrives (the rest of the frame never does).
#[test]
fn invalid_utf8_at_every_position_fails_fast_1007() {
    let _serial = serial();
    const LEN: usize = 4096;
    let mut text = vec![b'a'; LEN];
    // Multi-byte characters around, so the bad byte also lands after, between and inside them.
    for (i, ch) in "é€😀".bytes().enumerate() {
        text[LEN / 2 + i] = ch;
    }
    let mut header = vec![0x81, 0x80 | 126];
    header.extend_from_slice(&(LEN as u16).to_be_bytes());
    header.extend_from_slice(&KEY);
    let mut masked = Vec::with_capacity(LEN);
    let ((), peak) = peak_during(|| {
        for pos in 0..LEN {
            let bad = if pos % 2 == 0 { 0xff } else { 0xc0 };
            masked.clear();
            masked.extend(text.iter().enumerate().map(|(i, &b)| {
                let b = if i == pos { bad } else { b };
                b ^ KEY[i % 4]
            }));
            let mut server = open_server(Config::default(), None);
            server.receive(&header);
            server.receive(&masked[..pos]);
            // A prefix cut inside a character is not an error yet.
            let before = events(&mut server);
            assert!(before.is_empty(), "at {pos}: {before:?}");
            server.receive(&masked[pos..=pos]);
            let evs = events(&mut server);
            assert_failed(&evs, &server, "invalid_utf8", 1007);
            assert_close_frame(&server.take_output(), 1007);
        }
    });
    assert!(peak < 256 << 10, "peak {peak} bytes");
}

/// `max_output_buffer` bounds what is queued, framing included: with auto-fragmentation into
/// 1-byte frames a client writes 7 bytes per payload byte, and an incompressible message can
/// grow when deflated. (Fuzzing found sends accepted under the limit that queued 7× it.)
#[test]
fn output_limit_counts_frame_headers_and_deflate_growth() {
    let _serial = serial();
    let random = || -> Box<dyn wsengine::RandomSource> { Box::new(|d: &mut [u8]| d.fill(7)) };
    let mut extensions = vec![None];
    if cfg!(feature = "deflate") {
        extensions.push(Some("permessage-deflate".to_string()));
    }
    for frame in [Some(1), Some(100), None] {
        for ext in &extensions {
            let mut config = Config::default();
            config.max_output_buffer = 4096;
            config.max_outgoing_frame_size = frame;
            let options = OpenOptions {
                protocol: None,
                extensions: ext.clone(),
            };
            let mut c =
                Connection::open(Role::Client, config, options, Some(random())).expect("open");
            // Incompressible bytes (xorshift), in growing sizes until the buffer is full.
            let mut s = 0x9e37_79b9_7f4a_7c15u64;
            let mut noise = |n: usize| -> Vec<u8> {
                (0..n)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        s as u8
                    })
                    .collect()
            };
            // 4000 bytes fit in one frame, not once split (40 or 4000 headers).
            let expected = match frame {
                None => Ok(()),
                Some(_) => Err(Error::OutputBufferFull),
            };
            assert_eq!(c.send_binary(&noise(4000)), expected);
            let mut refused = 0;
            for n in (1..400).step_by(37).cycle().take(40) {
                if c.send_binary(&noise(n)) == Err(Error::OutputBufferFull) {
                    refused += 1;
                }
                assert!(
                    c.buffered_amount() <= 4096,
                    "{} bytes queued (frame {frame:?}, {ext:?})",
                    c.buffered_amount()
                );
            }
            assert!(refused > 0);
        }
    }
}

/// Frames pipelined behind a request beyond the input limit fail the connection before the
/// application answers; the stale request must not be accepted afterwards (fuzzing found
/// `accept` reopening the closed connection: `Open` after `Closed`). Same after end of input.
#[test]
fn request_cannot_be_accepted_after_the_connection_failed() {
    let _serial = serial();
    let req = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    for flood in [true, false] {
        let mut config = Config::default();
        config.max_message_size = 1000;
        let mut server = handshake_server(config);
        server.receive(req);
        assert!(matches!(server.poll_event(), Some(Event::Request(_))));
        let ((), peak) = peak_during(|| {
            if flood {
                let frame = masked_frame(0x82, &[0u8; 100]);
                for _ in 0..1000 {
                    server.receive(&frame);
                }
            } else {
                server.receive_eof();
            }
        });
        assert!(peak < 16 << 10, "peak {peak} bytes");
        let evs = events(&mut server);
        let kind = if flood {
            "input_buffer_full"
        } else {
            "unexpected_eof"
        };
        assert!(
            matches!(&evs[..], [Event::Failed(e), Event::Closed(_)] if e.kind() == kind),
            "{evs:?}"
        );
        assert!(matches!(
            server.accept(Default::default()),
            Err(Error::InvalidState(_))
        ));
        assert!(matches!(
            server.reject(403, &[], b""),
            Err(Error::InvalidState(_))
        ));
        assert_eq!(server.state(), State::Closed);
        assert_eq!(server.poll_event(), None);
        assert!(server.take_output().is_empty());
    }
}

/// What an idle connection costs: 1000 server connections, each through the HTTP handshake
/// and one echoed message, then idle with their output drained. The bytes they keep (the
/// `Connection` itself, boxed, plus its heap) are measured with the counting allocator; the
/// load test (tests/load) measures a whole server process holding 10,000 of them.
#[test]
fn idle_connection_memory_is_small() {
    let _g = serial();
    const N: usize = 1000;
    let request = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let message = masked_frame(0x81, b"hello, idle world");
    let base = CURRENT.load(Ordering::Relaxed);
    let mut conns: Vec<Box<Connection>> = Vec::with_capacity(N);
    let vec_bytes = N * std::mem::size_of::<Box<Connection>>();
    for _ in 0..N {
        let mut c = Box::new(handshake_server(Config::default()));
        c.receive(request);
        assert!(matches!(c.poll_event(), Some(Event::Request(_))));
        c.accept(Default::default()).expect("accept");
        assert!(matches!(c.poll_event(), Some(Event::Open(_))));
        c.receive(&message);
        match c.poll_event() {
            Some(Event::Text(t)) => c.send_text(&t).expect("echo"),
            other => panic!("expected the text message, got {other:?}"),
        }
        assert!(c.take_output().starts_with(b"HTTP/1.1 101 "));
        assert!(c.poll_event().is_none());
        conns.push(c);
    }
    let per_conn = (CURRENT.load(Ordering::Relaxed) - base - vec_bytes) / N;
    println!(
        "idle server connection: {per_conn} bytes (Connection is {} bytes inline)",
        std::mem::size_of::<Connection>()
    );
    // About 2.2 KiB on x86_64, most of it the struct itself (its configuration and state).
    assert!(
        per_conn <= 3 * 1024,
        "an idle connection keeps {per_conn} bytes"
    );
    assert!(conns.iter().all(|c| c.state() == State::Open));
}
