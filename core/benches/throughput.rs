//! Receive and send throughput of the engine next to a "speed-of-light" loop measured in the
//! same run: parse a header, copy the payload into a fresh Vec, unmask it, validate UTF-8 with
//! simdutf8. Both get the same byte stream in 64 KiB chunks. `make bench` then
//! `python3 scripts/bench_report.py` turns the results into ratios (docs/benchmarks.md).

mod common;

use common::{baseline_receive, baseline_send, engine_receive, engine_send, workloads};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

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
