//! `wsengine-loadgen`: the end-to-end benchmarks' load generator, independent of every server
//! under test (see README.md). Opens N connections, keeps 1 (roundtrip) or D (pipeline)
//! messages in flight on each, checks every echo, and reports echoes per second and round-trip
//! latency percentiles measured after a warm-up.

mod cli;
mod codec;
mod conn;
mod handshake;
mod payload;
mod tls;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use conn::{Counters, Run, MEASURE, STOP, WARMUP};

/// Connections opened at once (a server's listen backlog may be small).
const CONNECT_CONCURRENCY: usize = 64;
/// Time allowed to open one connection (TCP, TLS, upgrade, Socket.IO connect).
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Error messages printed (the count covers them all).
const ERRORS_SHOWN: usize = 10;

/// The figures of one run.
struct Report {
    msgs_per_sec: f64,
    latencies: Histogram<u64>,
    measured: u64,
    seconds: f64,
    errors: Vec<String>,
}

fn main() {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = if opts.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.threads)
            .enable_all()
            .build()
    }
    .expect("tokio runtime");
    let report = runtime.block_on(bench(opts.clone()));
    let failed = print(&opts, &report);
    std::process::exit(if failed { 1 } else { 0 });
}

async fn bench(opts: cli::Options) -> Report {
    let run = Arc::new(Run {
        tls: opts.url.tls.then(tls::connector),
        phase: AtomicU8::new(WARMUP),
        phase_tx: tokio::sync::watch::channel(WARMUP).0,
        pattern: payload::Pattern::new(opts.size, opts.binary),
        opts,
    });
    let mut errors = Vec::new();

    // 1. Open every connection before any message is sent.
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut opening = JoinSet::new();
    for i in 0..run.opts.connections {
        let (run, gate) = (run.clone(), gate.clone());
        opening.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let opened = tokio::time::timeout(OPEN_TIMEOUT, conn::open(&run)).await;
            (
                i,
                opened.unwrap_or_else(|_| Err(format!("not open after {OPEN_TIMEOUT:?}"))),
            )
        });
    }
    let mut opened = Vec::new();
    while let Some(done) = opening.join_next().await {
        match done.expect("open task") {
            (_, Ok(o)) => opened.push(o),
            (i, Err(e)) => errors.push(format!("connection {i}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Report {
            msgs_per_sec: 0.0,
            latencies: empty(),
            measured: 0,
            seconds: 0.0,
            errors,
        };
    }

    // 2. Run them: warm-up, measurement, then STOP and the drain.
    let mut running = JoinSet::new();
    let mut counters = Vec::new();
    for (i, o) in opened.into_iter().enumerate() {
        let c = Arc::new(Counters::default());
        counters.push(c.clone());
        let run = run.clone();
        running.spawn(async move { (i, conn::run(run, o, c).await) });
    }
    let set_phase = |p: u8| {
        run.phase.store(p, Ordering::Release);
        run.phase_tx.send_replace(p);
    };
    tokio::time::sleep(Duration::from_secs_f64(run.opts.warmup)).await;
    set_phase(MEASURE);
    let t0 = Instant::now();
    // A connection that fails during the measurement ends the wait early.
    let deadline = tokio::time::sleep(Duration::from_secs_f64(run.opts.duration));
    tokio::pin!(deadline);
    let mut finished = Vec::new();
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            Some(done) = running.join_next() => {
                let (i, result) = done.expect("connection task");
                if let Err(e) = &result {
                    errors.push(format!("connection {i}: {e}"));
                }
                finished.push(result);
                if !errors.is_empty() { break; }
            }
        }
    }
    set_phase(STOP);
    let seconds = t0.elapsed().as_secs_f64();
    let drain = Duration::from_secs_f64(run.opts.drain);
    let drained = tokio::time::timeout(drain, async {
        while let Some(done) = running.join_next().await {
            let (i, result) = done.expect("connection task");
            if let Err(e) = &result {
                errors.push(format!("connection {i}: {e}"));
            }
            finished.push(result);
        }
    })
    .await;
    if drained.is_err() {
        let lost: u64 = counters
            .iter()
            .map(|c| c.sent.load(Ordering::Relaxed) - c.echoed.load(Ordering::Relaxed))
            .sum();
        errors.push(format!(
            "{} connection(s) still open {drain:?} after the end: {lost} message(s) without an echo",
            running.len()
        ));
        running.abort_all();
    }

    let mut latencies = empty();
    let mut measured = 0;
    for o in finished.into_iter().flatten() {
        latencies.add(&o.latencies).expect("same histogram bounds");
        measured += o.measured;
    }
    Report {
        msgs_per_sec: measured as f64 / seconds,
        latencies,
        measured,
        seconds,
        errors,
    }
}

fn empty() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000_000, 3).unwrap()
}

/// Prints the human line (and errors), writes the JSON file; returns whether the run failed.
fn print(o: &cli::Options, r: &Report) -> bool {
    let us = |ns: u64| ns as f64 / 1000.0;
    let (p50, p99, max) = if r.measured > 0 {
        (
            us(r.latencies.value_at_quantile(0.5)),
            us(r.latencies.value_at_quantile(0.99)),
            us(r.latencies.max()),
        )
    } else {
        (0.0, 0.0, 0.0)
    };
    let mut errors = r.errors.clone();
    if errors.is_empty() && r.measured == 0 {
        errors.push("no echo received during the measurement".into());
    }
    let kind = if o.socketio {
        "socket.io text"
    } else if o.binary {
        "binary"
    } else {
        "text"
    };
    println!(
        "{}: {} conn x {} B {kind}, {} depth {}: {:.0} msgs/s, p50 {p50:.1} µs, p99 {p99:.1} µs, max {max:.1} µs, \
         {} errors ({} echoes in {:.2} s)",
        o.label,
        o.connections,
        o.size,
        o.mode.name(),
        o.depth,
        r.msgs_per_sec,
        errors.len(),
        r.measured,
        r.seconds
    );
    for e in errors.iter().take(ERRORS_SHOWN) {
        eprintln!("error: {e}");
    }
    if errors.len() > ERRORS_SHOWN {
        eprintln!("... and {} more errors", errors.len() - ERRORS_SHOWN);
    }
    if let Some(path) = &o.json {
        let json = serde_json::json!({
            "label": o.label,
            "url": o.url_text,
            "connections": o.connections,
            "size": o.size,
            "binary": o.binary,
            "socketio": o.socketio,
            "mode": o.mode.name(),
            "depth": o.depth,
            "msgs_per_sec": r.msgs_per_sec,
            "p50_us": p50,
            "p99_us": p99,
            "max_us": max,
            "errors": errors.len(),
            "error_messages": errors.iter().take(ERRORS_SHOWN).collect::<Vec<_>>(),
            "messages": r.measured,
            "duration_s": r.seconds,
            "warmup_s": o.warmup,
            "threads": o.threads,
        });
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&json).unwrap() + "\n") {
            eprintln!("cannot write {path}: {e}");
            return true;
        }
    }
    !errors.is_empty()
}
