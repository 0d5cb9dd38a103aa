//! Receive of compressed messages (permessage-deflate with context takeover) next to the
//! least any receiver must do with the same bytes, measured in the same run:
//!
//! - `wsengine`: a server `Connection` fed the stream in 64 KiB chunks, every message taken
//!   out as an owned `String` event.
//! - `baseline`: parse each frame header, unmask the payload into a reused buffer, inflate it
//!   with a flate2 `Decompress` (same window, context kept across messages) after appending the
//!   `00 00 ff ff` tail, into a fresh `Vec`, and validate UTF-8 with simdutf8.
//!
//! The stream: 4096 different ~1 KiB messages of mixed UTF-8 (1- to 4-byte characters, JSON-like
//! fields, numbers), compressed by a client `Connection` with the default `DeflateConfig`
//! (level 6, 12-bit windows, context takeover).
//!
//! `cargo bench -p wsengine --bench deflate` runs criterion, then an interleaved A/B loop
//! (A, B, A, B, ... `DEFLATE_PAIRS` pairs, default 31) whose median ratio is the figure to
//! quote on a noisy machine (docs/deflate.md). The pairs' result is also written to
//! `target/bench-deflate.json` for `scripts/bench_report.py`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use flate2::{Decompress, FlushDecompress, Status};
use wsengine::deflate::{DeflateConfig, DeflateParams};
use wsengine::{Config, Connection, Event, OpenOptions, Role};

const CHUNK: usize = 64 * 1024;
const MESSAGES: usize = 4096;
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The agreed parameters: what a default client and a default server negotiate.
fn params() -> DeflateParams {
    DeflateParams {
        server_max_window_bits: 12,
        client_max_window_bits: 12,
        ..DeflateParams::default()
    }
}

fn config() -> Config {
    let mut c = Config::default();
    c.deflate = Some(DeflateConfig::default());
    c
}

fn open(role: Role) -> Connection {
    let random: Option<Box<dyn wsengine::RandomSource>> = match role {
        Role::Client => {
            let mut x: u32 = 0x9e37_79b9;
            Some(Box::new(move |buf: &mut [u8]| {
                for b in buf {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    *b = x as u8;
                }
            }))
        }
        Role::Server => None,
    };
    let opts = OpenOptions {
        extensions: Some(params().to_header()),
        ..OpenOptions::default()
    };
    let mut c = Connection::open(role, config(), opts, random).unwrap();
    while c.poll_event().is_some() {}
    c
}

/// ~1 KiB messages of mixed UTF-8, each different (so context takeover helps, but does not
/// reduce a message to one back-reference).
fn messages() -> Vec<String> {
    let words = [
        "hello",
        "κόσμε",
        "€uro",
        "日本語",
        "🙂",
        "wörld",
        "данные",
        "\"id\":",
        "\"name\":",
        "{",
        "},",
        "true",
        "null",
        "façade",
        "naïve",
        "数据",
    ];
    let mut x: u32 = 12345;
    let mut next = move || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        x >> 8
    };
    (0..MESSAGES)
        .map(|_| {
            let mut s = String::new();
            while s.len() < 1024 {
                let r = next();
                if r % 5 == 0 {
                    s.push_str(&(r % 100_000).to_string());
                } else {
                    s.push_str(words[(r as usize / 7) % words.len()]);
                }
                s.push(' ');
            }
            while s.len() > 1024 {
                s.pop();
            }
            s
        })
        .collect()
}

/// The client's compressed frames for `msgs`, as one byte stream.
fn stream(msgs: &[String]) -> Vec<u8> {
    let mut client = open(Role::Client);
    let mut out = Vec::new();
    for m in msgs {
        client.send_text(m).unwrap();
        out.extend_from_slice(&client.take_output());
    }
    out
}

fn engine_receive(stream: &[u8]) -> usize {
    let mut conn = open(Role::Server);
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        conn.receive(chunk);
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Text(t) => n += black_box(t).len(),
                Event::Binary(b) => n += black_box(b).len(),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    n
}

/// Plain inflate + UTF-8 validation of the same frames: no protocol checks, no events.
fn baseline_receive(stream: &[u8]) -> usize {
    let mut inflater = Decompress::new_with_window_bits(false, params().client_max_window_bits);
    let mut payload: Vec<u8> = Vec::new();
    let mut data = stream;
    let mut n = 0;
    while !data.is_empty() {
        let (len, head) = match data[1] & 0x7f {
            126 => (u16::from_be_bytes([data[2], data[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(data[2..10].try_into().unwrap()) as usize,
                10,
            ),
            l => (l as usize, 2),
        };
        let key = [data[head], data[head + 1], data[head + 2], data[head + 3]];
        let body = &data[head + 4..head + 4 + len];
        payload.clear();
        payload.extend_from_slice(body);
        wsengine::mask::apply_mask(&mut payload, key, 0);
        payload.extend_from_slice(&TAIL);
        let mut out: Vec<u8> = Vec::with_capacity((len * 4).max(1024));
        let mut input = &payload[..];
        loop {
            let before = inflater.total_in();
            let status = inflater
                .decompress_vec(input, &mut out, FlushDecompress::Sync)
                .expect("valid deflate");
            input = &input[(inflater.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            assert!(status != Status::StreamEnd);
            out.reserve(out.capacity());
        }
        n += black_box(simdutf8::basic::from_utf8(&out).expect("UTF-8")).len();
        data = &data[head + 4 + len..];
    }
    n
}

fn bench(c: &mut Criterion, s: &[u8], raw: usize) {
    let mut group = c.benchmark_group("deflate receive");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(raw as u64));
    group.bench_function("wsengine/1 KiB mixed UTF-8", |b| {
        b.iter(|| engine_receive(s))
    });
    group.bench_function("baseline/1 KiB mixed UTF-8", |b| {
        b.iter(|| baseline_receive(s))
    });
    group.finish();
}

fn time<F: FnMut() -> usize>(mut f: F, reps: usize) -> f64 {
    let start = Instant::now();
    let mut sink = 0;
    for _ in 0..reps {
        sink ^= f();
    }
    black_box(sink);
    start.elapsed().as_secs_f64() / reps as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let msgs = messages();
    let raw: usize = msgs.iter().map(String::len).sum();
    let s = stream(&msgs);
    assert_eq!(engine_receive(&s), raw);
    assert_eq!(baseline_receive(&s), raw);
    let testing = std::env::args().any(|a| a == "--test");

    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &s, raw);
    c.final_summary();
    if testing {
        return;
    }

    let pairs: usize = std::env::var("DEFLATE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(31);
    let (mut ours, mut base, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        let a = time(|| engine_receive(&s), 3);
        let b = time(|| baseline_receive(&s), 3);
        ours.push(a);
        base.push(b);
        ratios.push(a / b);
    }
    let (o, b, r) = (median(ours), median(base), median(ratios));
    println!(
        "deflate receive, {MESSAGES} messages, {raw} bytes ({} compressed): wsengine {:.2} ms \
         ({:.0} MB/s), baseline {:.2} ms ({:.0} MB/s), median ratio of {pairs} interleaved pairs {r:.3}x",
        s.len(),
        o * 1e3,
        raw as f64 / o / 1e6,
        b * 1e3,
        raw as f64 / b / 1e6,
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join("bench-deflate.json"),
        format!(
            "{{\"messages\":{MESSAGES},\"bytes\":{raw},\"compressed_bytes\":{},\"wsengine_s\":{o},\"baseline_s\":{b},\"ratio\":{r},\"pairs\":{pairs}}}\n",
            s.len()
        ),
    )
    .expect("write results");
}
