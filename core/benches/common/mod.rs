//! Workloads and the two implementations every benchmark compares: the engine and the
//! speed-of-light loop. Shared by `throughput` (criterion) and `ratios` (interleaved A/B).
#![allow(dead_code)]

use std::hint::black_box;
use wsengine::{Config, Connection, DataKind, Event, OpenOptions, Role};

pub const CHUNK: usize = 64 * 1024;
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

pub fn masked_frame(out: &mut Vec<u8>, first: u8, payload: &[u8]) {
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
pub fn mixed_text(len: usize) -> String {
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

pub struct Workload {
    pub name: &'static str,
    pub stream: Vec<u8>,
    /// Messages in the stream (text flag, payload) for the send benchmark.
    pub messages: Vec<(bool, Vec<u8>)>,
    /// The text messages as `String`s (converted once, outside the timed code).
    pub texts: Vec<String>,
    /// Fragments per message (1 = unfragmented).
    pub fragments: usize,
}

pub fn workloads() -> Vec<Workload> {
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

pub fn build(name: &'static str, messages: Vec<(bool, Vec<u8>)>, fragments: usize) -> Workload {
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
    let texts = messages
        .iter()
        .map(|(text, p)| {
            if *text {
                String::from_utf8(p.clone()).expect("UTF-8")
            } else {
                String::new()
            }
        })
        .collect();
    Workload {
        name,
        stream,
        messages,
        texts,
        fragments,
    }
}

/// The engine through `receive_with`: whole messages lent from its buffer (no allocation
/// per message), the rest handed over as owned events.
pub fn engine_receive_lent(stream: &[u8]) -> usize {
    let mut conn = Connection::open(
        Role::Server,
        Config::default(),
        OpenOptions::default(),
        None,
    )
    .unwrap();
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        conn.receive_with(chunk, |e| match e {
            wsengine::EventRef::Text(t) => n += black_box(t).len(),
            wsengine::EventRef::Binary(b) => n += black_box(b).len(),
            wsengine::EventRef::Owned(Event::Text(t)) => n += black_box(t).len(),
            wsengine::EventRef::Owned(Event::Binary(b)) => n += black_box(b).len(),
            _ => {}
        });
    }
    n
}

pub fn engine_receive(stream: &[u8]) -> usize {
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
/// Payload bytes go straight from the chunk into the message (no staging copy); only a
/// header split between chunks is staged.
pub fn baseline_receive(stream: &[u8]) -> usize {
    let mut n = 0;
    let mut message: Vec<u8> = Vec::new();
    let mut is_text = false;
    let mut head_buf: Vec<u8> = Vec::with_capacity(14);
    // Current frame: (remaining payload, key, payload offset, fin).
    let mut frame: Option<(usize, [u8; 4], usize, bool)> = None;
    for chunk in stream.chunks(CHUNK) {
        let mut data = chunk;
        while !data.is_empty() {
            if let Some((remaining, key, offset, fin)) = frame {
                let take = remaining.min(data.len());
                let start = message.len();
                message.extend_from_slice(&data[..take]);
                wsengine::mask::apply_mask(&mut message[start..], key, offset);
                data = &data[take..];
                if take < remaining {
                    frame = Some((remaining - take, key, offset + take, fin));
                    continue;
                }
                frame = None;
                if fin {
                    let done = std::mem::take(&mut message);
                    if is_text {
                        n += black_box(simdutf8::basic::from_utf8(&done).expect("valid")).len();
                    } else {
                        n += black_box(done).len();
                    }
                }
                continue;
            }
            // Header: from the chunk directly, or staged when split between chunks.
            let staged_before = head_buf.len();
            let (buf, taken): (&[u8], usize) = if staged_before == 0 {
                (data, 0)
            } else {
                let take = (14 - staged_before).min(data.len());
                head_buf.extend_from_slice(&data[..take]);
                (&head_buf[..], take)
            };
            let parsed = match buf.get(1).map(|b| b & 0x7f) {
                Some(126) if buf.len() >= 8 => {
                    Some((u16::from_be_bytes([buf[2], buf[3]]) as usize, 4))
                }
                Some(127) if buf.len() >= 14 => Some((
                    u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                    10,
                )),
                Some(l) if l < 126 && buf.len() >= 6 => Some((l as usize, 2)),
                _ => None,
            };
            let Some((len, head)) = parsed else {
                if staged_before == 0 {
                    head_buf.extend_from_slice(data);
                }
                let _ = taken;
                break;
            };
            let key = [buf[head], buf[head + 1], buf[head + 2], buf[head + 3]];
            let opcode = buf[0] & 0x0f;
            let fin = buf[0] & 0x80 != 0;
            if opcode != 0 {
                is_text = opcode == 1;
            }
            let used = head + 4 - staged_before;
            head_buf.clear();
            data = &data[used..];
            frame = Some((len, key, 0, fin));
            if len == 0 {
                frame = None;
                if fin {
                    let done = std::mem::take(&mut message);
                    n += black_box(done).len();
                }
            }
        }
    }
    n
}

pub fn engine_send(w: &Workload) -> usize {
    let mut conn = Connection::open(
        Role::Server,
        Config::default(),
        OpenOptions::default(),
        None,
    )
    .unwrap();
    let mut n = 0;
    for ((text, payload), string) in w.messages.iter().zip(&w.texts) {
        let kind = if *text {
            DataKind::Text
        } else {
            DataKind::Binary
        };
        if w.fragments == 1 {
            match kind {
                DataKind::Text => conn.send_text(string).unwrap(),
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
pub fn baseline_send(w: &Workload) -> usize {
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
