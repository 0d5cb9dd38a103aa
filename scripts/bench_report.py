#!/usr/bin/env python3
"""Turns criterion's results (target/criterion) into docs/benchmarks.md: for each workload the
engine's time, the speed-of-light loop's time measured in the same run, and their ratio."""
import json
import os
import platform
import subprocess
import sys
from datetime import date

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CRIT = os.path.join(ROOT, "target", "criterion")
TARGETS = {  # issue targets (engine time / baseline time), for both receive paths
    (path, workload): target
    for path in ("receive", "receive_with")
    for workload, target in [
        ("small text (16-64 B)", 1.3),
        ("1 KiB mixed UTF-8", 1.2),
        ("1 MiB binary", 1.1),
        ("1 MiB text in 64 fragments", 1.3),
    ]
}


def estimate(group: str, impl: str, workload: str) -> float | None:
    path = os.path.join(CRIT, group, impl, workload, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]  # nanoseconds per iteration


def fmt(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.0f} µs"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {rustc}"


def main() -> int:
    rows = []
    ratios_path = os.path.join(ROOT, "target", "bench-ratios.json")
    if not os.path.exists(ratios_path):
        print("no results: run `make bench` first", file=sys.stderr)
        return 1
    with open(ratios_path) as f:
        results = json.load(f)
    for r in results:
        group, workload, ratio = r["path"], r["workload"], r["ratio"]
        target = TARGETS.get((group, workload))
        verdict = "" if target is None else ("met" if ratio <= target else "**not met**")
        rows.append(f"| {group} | {workload} | {fmt(r['wsengine_s'] * 1e9)} | {fmt(r['baseline_s'] * 1e9)} | "
                    f"{ratio:.2f}× | {'' if target is None else f'≤ {target}×'} {verdict} |")
    pairs = results[0]["pairs"] if results else 0
    text = f"""# Benchmarks

Measured on {date.today().isoformat()}: {machine()}. These machines are shared and noisy; only the
ratios, measured in the same run, mean anything.

## Rust core: the engine next to a speed-of-light loop

`make bench` runs `cargo bench -p wsengine --bench ratios` (the table below), then
`python3 scripts/bench_report.py`, which rewrites this file; `cargo bench -p wsengine --bench
throughput` gives criterion's detailed statistics for the same workloads.

The two implementations run alternately on the same stream ({pairs} pairs per row); each pair
gives a ratio and the table shows the medians, so load on the machine that comes and goes hits
both sides alike.

Each workload is a byte stream of client frames (masked) fed in 64 KiB chunks to a server
`Connection`. The baseline is the least any receiver must do with the same stream: parse the
header, copy the payload into a fresh `Vec`, unmask it, validate UTF-8 with simdutf8, drop it —
no protocol checks, no events. Two receive paths of the engine are measured:

- `receive`: `Connection::receive` + `poll_event`, every message an owned `String`/`Vec<u8>`
  event. One 64 KiB read of small messages becomes ~1000 queued events, so ~1000 allocations
  are alive at once before the first is dropped, where the baseline drops each message at once
  and reuses one hot block: that allocator pattern is most of the gap on small messages.
- `receive_with`: `Connection::receive_with`, whole messages lent to a callback as `&str` /
  `&[u8]` from a reused buffer (what the bindings need, since they copy into their own string
  type anyway); fragmented messages still come as owned events.

Send workloads queue the same messages on a server `Connection` next to a loop that writes header
+ payload into a reused buffer. Fragmented text goes through `send_fragment(kind, &[u8], fin)`,
which validates outgoing text across fragments (a character may span two); the baseline does
not validate, which is the whole difference on that row.

| path | workload | wsengine (median) | baseline (median) | ratio (median of pairs) | target |
|---|---|---:|---:|---:|---|
""" + "\n".join(rows) + """

How much the ratios move: on 2026-11-21, on this shared machine, repeated runs gave `receive`
1.2–1.6× on small text and 1.2–1.4× on 1 KiB mixed UTF-8 (the allocator-bound path suffers most
when the host is fast and quiet), while `receive_with` stayed at 0.6–0.65× and 0.87–0.95×.

Workloads: small text is ~100 000 messages of 16–64 bytes (4 MiB); 1 KiB mixed UTF-8 is 4096
messages mixing 1- to 4-byte characters; 1 MiB binary is 4 messages; fragmented text is 4
messages of 1 MiB of mixed UTF-8, each in 64 fragments.

Where the time goes (perf, receive of 1 KiB mixed UTF-8): simdutf8 validation and the one copy
into the message's buffer dominate, as in the baseline; per message the engine adds the header
checks and one event in a queue (`Event` is 40 bytes; the rare, large variants are boxed).

The bindings' comparisons against other libraries are in `bindings-python/README.md`
(websockets, wsproto, aiohttp), `bindings-node/README.md` (ws) and `bindings-wasm/README.md`.
"""
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
        f.write(text)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
