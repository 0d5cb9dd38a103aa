//! The speed-of-light receive loop of `core/benches/common` (header, copy, unmask, UTF-8
//! check; no protocol checks, no events), native, timed on a stream file that
//! `bench/bench.js` writes. Usage: `wsengine-wasm-sol <stream> <reps>`; prints seconds per
//! stream (best of 5 runs of `reps`) and the byte count it produced.

use std::hint::black_box;
use std::time::Instant;

const CHUNK: usize = 64 * 1024;

fn baseline_receive(stream: &[u8]) -> usize {
    let mut n = 0;
    let mut message: Vec<u8> = Vec::new();
    let mut is_text = false;
    let mut head_buf: Vec<u8> = Vec::with_capacity(14);
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stream = std::fs::read(&args[1]).expect("stream file");
    let reps: usize = args[2].parse().expect("reps");
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..reps {
            bytes = baseline_receive(black_box(&stream));
        }
        best = best.min(start.elapsed().as_secs_f64() / reps as f64);
    }
    println!("{best} {bytes}");
}
