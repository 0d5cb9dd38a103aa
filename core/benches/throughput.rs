//! Receive and send throughput of the engine next to a "speed-of-light" loop measured in the
//! same run: parse a header, copy the payload into a fresh Vec, unmask it, validate UTF-8 with
//! simdutf8. Both get the same byte stream in 64 KiB chunks. `make bench` then
//! `python3 scripts/bench_report.py` turns the results into ratios (docs/benchmarks.md).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wsengine::{Config, Connection, DataKind, Event, OpenOptions, Role};

const CHUNK: usize = 64 * 1024;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn masked_frame(out: &mut Vec<u8>, first: u8, payload: &[u8]) {
    out.push(first);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
}

/// 1 KiB of mixed text: ASCII with 2-, 3- and 4-byte characters.
fn mixed_text(len: usize) -> String {
    let alphabet = [
        "hello ",
        "κόσμε ",
        "€uro ",
        "日本語 ",
        "🙂 ",
        "json:{\"a\":1} ",
    ];
    let mut s = String::new();
    let mut i = 0;
    while s.len() < len {
        s.push_str(alphabet[i % alphabet.len()]);
        i += 1;
    }
    while s.len() > len {
        s.pop();
    }
    s
}

struct Workload {
    name: &'static str,
    stream: Vec<u8>,
    /// Messages in the stream (text flag, payload) for the send benchmark.
    messages: Vec<(bool, Vec<u8>)>,
    /// Fragments per message (1 = unfragmented).
    fragments: usize,
}

fn workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    // Small text: 16-64 bytes, about 4 MiB in all.
    let mut messages = Vec::new();
    let mut total = 0;
    let mut i = 0usize;
    while total < 4 << 20 {
        let len = 16 + (i * 7) % 49;
        let text: String = (0..len)
            .map(|j| (b'a' + ((i + j) % 26) as u8) as char)
            .collect();
        total += len;
        messages.push((true, text.into_bytes()));
        i += 1;
    }
    out.push(build("small text (16-64 B)", messages, 1));
    let text = mixed_text(1024).into_bytes();
    out.push(build("1 KiB mixed UTF-8", vec![(true, text); 4096], 1));
    let binary: Vec<u8> = (0..1 << 20).map(|i| (i * 31 % 251) as u8).collect();
    out.push(build("1 MiB binary", vec![(false, binary); 4], 1));
    let text = mixed_text(1 << 20).into_bytes();
    out.push(build(
        "1 MiB text in 64 fragments",
        vec![(true, text); 4],
        64,
    ));
    out
}

fn build(name: &'static str, messages: Vec<(bool, Vec<u8>)>, fragments: usize) -> Workload {
    let mut stream = Vec::new();
    for (text, payload) in &messages {
        let opcode = if *text { 0x1 } else { 0x2 };
        if fragments == 1 {
            masked_frame(&mut stream, 0x80 | opcode, payload);
        } else {
            let size = payload.len().div_ceil(fragments);
            let pieces: Vec<&[u8]> = payload.chunks(size).collect();
            for (k, piece) in pieces.iter().enumerate() {
                let op = if k == 0 { opcode } else { 0 };
                let fin = if k == pieces.len() - 1 { 0x80 } else { 0 };
                masked_frame(&mut stream, fin | op, piece);
            }
        }
    }
    Workload {
        name,
        stream,
        messages,
        fragments,
    }
}

fn engine_receive(stream: &[u8]) -> usize {
    let mut conn = Connection::open(
        Role::Server,
        Config::default(),
        OpenOptions::default(),
        None,
    )
    .unwrap();
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        conn.receive(chunk);
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Text(t) => n += black_box(t).len(),
                Event::Binary(b) => n += black_box(b).len(),
                _ => {}
            }
        }
    }
    n
}

/// The speed-of-light loop: what any receiver must do at least (header, copy, unmask,
/// UTF-8 check), with no protocol checks beyond that, messages assembled the same way.
fn baseline_receive(stream: &[u8]) -> usize {
    let mut n = 0;
    let mut pending: Vec<u8> = Vec::new();
    let mut message: Vec<u8> = Vec::new();
    let mut is_text = false;
    for chunk in stream.chunks(CHUNK) {
        pending.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            let buf = &pending[pos..];
            if buf.len() < 2 {
                break;
            }
            let (len, head) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                127 if buf.len() >= 10 => (
                    u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => break,
                l => (l as usize, 2),
            };
            if buf.len() < head + 4 + len {
                break;
            }
            let key = [buf[head], buf[head + 1], buf[head + 2], buf[head + 3]];
            let opcode = buf[0] & 0x0f;
            if opcode != 0 {
                is_text = opcode == 1;
            }
            let start = message.len();
            message.extend_from_slice(&buf[head + 4..head + 4 + len]);
            wsengine::mask::apply_mask(&mut message[start..], key, 0);
            pos += head + 4 + len;
            if buf[0] & 0x80 != 0 {
                let done = std::mem::take(&mut message);
                if is_text {
                    let s = simdutf8::basic::from_utf8(&done).expect("valid");
                    n += black_box(s).len();
                } else {
                    n += black_box(done).len();
                }
            }
        }
        pending.drain(..pos);
    }
    n
}

fn bench_receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("receive");
    group.sample_size(20);
    for w in workloads() {
        assert_eq!(engine_receive(&w.stream), baseline_receive(&w.stream));
        group.throughput(Throughput::Bytes(w.stream.len() as u64));
        group.bench_with_input(BenchmarkId::new("wsengine", w.name), &w.stream, |b, s| {
            b.iter(|| engine_receive(s))
        });
        group.bench_with_input(BenchmarkId::new("baseline", w.name), &w.stream, |b, s| {
            b.iter(|| baseline_receive(s))
        });
    }
    group.finish();
}

fn engine_send(w: &Workload) -> usize {
    let mut conn = Connection::open(
        Role::Server,
        Config::default(),
        OpenOptions::default(),
        None,
    )
    .unwrap();
    let mut n = 0;
    for (text, payload) in &w.messages {
        let kind = if *text {
            DataKind::Text
        } else {
            DataKind::Binary
        };
        if w.fragments == 1 {
            match kind {
                DataKind::Text => conn
                    .send_text(std::str::from_utf8(payload).unwrap())
                    .unwrap(),
                DataKind::Binary => conn.send_binary(payload).unwrap(),
            }
        } else {
            let size = payload.len().div_ceil(w.fragments);
            let pieces: Vec<&[u8]> = payload.chunks(size).collect();
            for (k, piece) in pieces.iter().enumerate() {
                conn.send_fragment(kind, piece, k == pieces.len() - 1)
                    .unwrap();
            }
        }
        if conn.buffered_amount() >= CHUNK {
            n += conn.buffered_amount();
            conn.consume_output(conn.buffered_amount());
        }
    }
    n + conn.take_output().len()
}

/// Baseline send: header + copy of the payload into the output buffer (a server: no mask).
fn baseline_send(w: &Workload) -> usize {
    let mut out: Vec<u8> = Vec::new();
    let mut n = 0;
    for (text, payload) in &w.messages {
        let size = payload.len().div_ceil(w.fragments).max(1);
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![&payload[..]]
        } else {
            payload.chunks(size).collect()
        };
        for (k, piece) in pieces.iter().enumerate() {
            let op = if k == 0 {
                if *text {
                    1
                } else {
                    2
                }
            } else {
                0
            };
            let fin = if k == pieces.len() - 1 { 0x80 } else { 0 };
            out.push(fin | op);
            match piece.len() {
                l if l < 126 => out.push(l as u8),
                l if l <= 0xffff => {
                    out.push(126);
                    out.extend_from_slice(&(l as u16).to_be_bytes());
                }
                l => {
                    out.push(127);
                    out.extend_from_slice(&(l as u64).to_be_bytes());
                }
            }
            out.extend_from_slice(piece);
        }
        if out.len() >= CHUNK {
            n += black_box(&out).len();
            out.clear();
        }
    }
    n + out.len()
}

fn bench_send(c: &mut Criterion) {
    let mut group = c.benchmark_group("send");
    group.sample_size(20);
    for w in workloads() {
        group.throughput(Throughput::Bytes(w.stream.len() as u64));
        group.bench_with_input(BenchmarkId::new("wsengine", w.name), &w, |b, w| {
            b.iter(|| engine_send(w))
        });
        group.bench_with_input(BenchmarkId::new("baseline", w.name), &w, |b, w| {
            b.iter(|| baseline_send(w))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_receive, bench_send);
criterion_main!(benches);
