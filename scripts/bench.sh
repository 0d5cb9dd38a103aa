#!/usr/bin/env bash
# The benchmark report in one command (`make bench`): installs what is missing, runs every
# comparison on this machine in one go, and rewrites docs/benchmarks.md and its plots.
#
#   1. Rust: the engine next to a speed-of-light loop (ratios), compressed receive (deflate),
#      and the engine next to tungstenite and fastwebsockets (bench-peers)
#   2. Python: the binding next to websockets, wsproto and aiohttp's compiled reader; round
#      trips of wsengine.asyncio's client next to picows, aiohttp and websockets clients
#   3. Node: the binding next to ws (+ bufferutil)
#   4. WASM in Node: the wasm build next to ws and the native loop
#   5. End to end: each group of servers in bench-e2e/servers.py (drivers and their peers) under
#      one independent load generator (scripts/bench_e2e.py)
#
# Each step writes its results as JSON under target/bench/; scripts/bench_report.py turns them
# into the report. BENCH_QUICK=1 runs shorter versions of every step (for trying the pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
OUT=target/bench
mkdir -p "$OUT"
QUICK="${BENCH_QUICK:-0}"

bash scripts/setup.sh

echo "== Rust: engine / speed-of-light loop"
if [ "$QUICK" = 1 ]; then export RATIO_PAIRS=7 DEFLATE_PAIRS=7 BENCH_PEERS_ROUNDS=5; fi
cargo bench -q -p wsengine --bench ratios
echo "== Rust: permessage-deflate receive"
cargo bench -q -p wsengine --bench deflate -- --warm-up-time 1 --measurement-time 3
echo "== Rust: wsengine, tungstenite, fastwebsockets"
cargo bench -q -p wsengine-bench-peers --bench peers
cp target/bench-ratios.json target/bench-deflate.json target/bench-peers.json "$OUT/"

echo "== Python: wsengine, websockets, wsproto, aiohttp"
PY=target/python-venv/bin/python
[ -x "$PY" ] || python3 -m venv target/python-venv
"$PY" -m pip install -q -r scripts/requirements-test.txt
# With the `bench` feature: the Rust copy+unmask floor the Python rows are compared with.
MATURIN_PEP517_ARGS="--features bench" "$PY" -m pip install -q --force-reinstall --no-deps ./bindings-python
PY_ARGS=()
[ "$QUICK" = 1 ] && PY_ARGS=(--quick)
# Three processes: a CPython process sometimes runs the same code 1.5x slower for its whole
# life (seen on every parser); the report keeps each parser's best time across the three.
rm -f "$OUT"/python*.json
for i in 1 2 3; do
    "$PY" bindings-python/bench/bench.py "${PY_ARGS[@]}" --json "$OUT/python.$i.json"
done
echo "== Python: request-response round trips, wsengine.asyncio vs picows, aiohttp, websockets clients"
"$PY" -m pip install -q -r bench-e2e/peers/python/requirements.txt
"$PY" bindings-python/bench/roundtrip.py "${PY_ARGS[@]}" --json "$OUT/pyclient-roundtrip.json"

if [ "$QUICK" = 1 ]; then export BENCH_SECONDS=1 BENCH_ROUNDS=3; fi
echo "== Node: wsengine, ws"
(cd bindings-node && npm ci --no-audit --no-fund --silent && node scripts/build.js >/dev/null)
BENCH_JSON="$PWD/$OUT/node.json" node bindings-node/bench/bench.js

echo "== WASM in Node: wsengine-wasm, ws, native loop"
(cd bindings-wasm && npm ci --no-audit --no-fund --silent && CARGO_QUIET=1 bash scripts/build.sh >/dev/null)
BENCH_JSON="$PWD/$OUT/wasm.json" node bindings-wasm/bench/bench.js

echo "== End to end: every group of bench-e2e/servers.py under one load generator"
E2E_ARGS=()
[ "$QUICK" = 1 ] && E2E_ARGS=(--quick)
# A failed run (a server that does not start, an echo that does not match) is shown in the
# report; the other groups and sections still run.
python3 scripts/bench_e2e.py --group all "${E2E_ARGS[@]}" || echo "bench-e2e: some runs failed (see docs/benchmarks.md)"

python3 scripts/bench_report.py "$OUT"
