//! The speed-of-light receive loop of `core/benches/common` (header, copy, unmask, UTF-8
//! check; no protocol checks, no events), native, timed on a stream file that
//! `bench/bench.js` writes. Usage: `wsengine-wasm-sol <stream> <reps>`; prints seconds per
//! stream (best of 5 runs of `reps`) and the byte count it produced.

use std::hint::black_box;
use std::time::Instant;

/// The core's benchmark workloads and loops, shared rather than copied.
#[path = "../../../../core/benches/common/mod.rs"]
mod common;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stream = std::fs::read(&args[1]).expect("stream file");
    let reps: usize = args[2].parse().expect("reps");
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..reps {
            bytes = common::baseline_receive(black_box(&stream));
        }
        best = best.min(start.elapsed().as_secs_f64() / reps as f64);
    }
    println!("{best} {bytes}");
}
