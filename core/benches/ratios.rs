//! Engine / speed-of-light ratios, robust to a noisy machine: the two implementations run
//! alternately on the same stream (A, B, A, B, ...), each pair gives a ratio, and the median
//! ratio is reported. Writes `target/bench-ratios.json` for `scripts/bench_report.py`.
//!
//! `cargo bench -p wsengine --bench ratios` (`RATIO_PAIRS=N` pairs per workload, default 41;
//! `RATIO_FILTER=small` runs the workloads whose name contains it).

mod common;

use std::time::Instant;

fn time<F: FnMut() -> usize>(mut f: F, reps: usize) -> f64 {
    let start = Instant::now();
    let mut sink = 0;
    for _ in 0..reps {
        sink ^= f();
    }
    std::hint::black_box(sink);
    start.elapsed().as_secs_f64() / reps as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let pairs: usize = std::env::var("RATIO_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(41);
    let mut results = Vec::new();
    println!(
        "{:<10} {:<28} {:>12} {:>12} {:>8}",
        "path", "workload", "wsengine", "baseline", "ratio"
    );
    let filter = std::env::var("RATIO_FILTER").unwrap_or_default();
    for w in common::workloads()
        .into_iter()
        .filter(|w| w.name.contains(filter.as_str()))
    {
        assert_eq!(
            common::engine_receive(&w.stream),
            common::baseline_receive(&w.stream)
        );
        assert_eq!(
            common::engine_receive_lent(&w.stream),
            common::baseline_receive(&w.stream)
        );
        let reps = (8 << 20) / w.stream.len().max(1) + 1;
        for path in ["receive", "receive_with", "send"] {
            let (mut ours, mut base, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..pairs {
                let (a, b) = match path {
                    "receive" => (
                        time(|| common::engine_receive(&w.stream), reps),
                        time(|| common::baseline_receive(&w.stream), reps),
                    ),
                    "receive_with" => (
                        time(|| common::engine_receive_lent(&w.stream), reps),
                        time(|| common::baseline_receive(&w.stream), reps),
                    ),
                    _ => (
                        time(|| common::engine_send(&w), reps),
                        time(|| common::baseline_send(&w), reps),
                    ),
                };
                ours.push(a);
                base.push(b);
                ratios.push(a / b);
            }
            let (o, b, r) = (median(ours), median(base), median(ratios));
            println!(
                "{:<10} {:<28} {:>9.0} µs {:>9.0} µs {:>7.2}×",
                path,
                w.name,
                o * 1e6,
                b * 1e6,
                r
            );
            results.push(format!(
                "{{\"path\":\"{path}\",\"workload\":\"{}\",\"wsengine_s\":{o},\"baseline_s\":{b},\"ratio\":{r},\"pairs\":{pairs}}}",
                w.name
            ));
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join("bench-ratios.json"),
        format!("[{}]\n", results.join(",\n")),
    )
    .expect("write results");
}
