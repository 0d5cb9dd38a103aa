#!/usr/bin/env bash
# Runs every test of the repository: Rust (unit, vectors, proptest, no_std), the demo against
# independent peers (Python websockets, Node ws, Chromium), the bindings' suites and a fuzz
# smoke run. Installs what a fresh machine lacks first. Exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0
failed=0
failures=()
logs=target/test-logs
rm -rf "$logs" && mkdir -p "$logs"
# Each step's output goes to the terminal and to a log; the tails of failed steps are repeated
# at the end, so that the last screen of a CI run says what failed and why.
step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local t0=$SECONDS
    local log="$logs/$((passed + failed + 1)).log"
    if "$@" 2>&1 | tee "$log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
        passed=$((passed + 1))
        echo "=== ok: $name ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name:$log")
        echo "=== FAILED: $name ($((SECONDS - t0)) s)"
    fi
}

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy -p wsengine -p wsengine-python -p wsengine-node -p wsengine-tokio --features wsengine-tokio/hyper,wsengine-tokio/rustls --all-targets -- -D warnings
step "core tests (default features)" cargo test -p wsengine
step "core tests (no deflate)" cargo test -p wsengine --no-default-features --features std,getrandom --lib --tests
step "no_std build (core + alloc only)" bash scripts/no_std_check.sh
step "build demo" cargo build --release -p wsengine -p wsengine-tokio --features wsengine-tokio/hyper,wsengine-tokio/rustls --examples
step "wsengine-tokio (tokio-tungstenite interop, flow control, 10,000 connections)" cargo test -p wsengine-tokio --release --features hyper,rustls
step "demo vs Python websockets" python3 -m pytest -q tests/interop
step "demo vs Node ws and Chromium" node --test tests/interop/
step "bindings-python" bash bindings-python/test.sh
step "load: 10,000 connections to the Python example server" target/python-venv/bin/python tests/load/load_test.py
step "bindings-node" bash bindings-node/test.sh
step "bindings-wasm" bash bindings-wasm/test.sh
step "one version for every package; cargo doc without warnings" bash -c 'python3 scripts/version.py && RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet'
step "release artifacts: make dist, each installed as users get it (no cargo on PATH) and echoed" bash scripts/dist/test.sh
step "conformance (Autobahn-style, every server and client)" bash tests/conformance/run.sh
step "bench-e2e smoke: the load generator checks every echo (demo, Socket.IO, wss, injected faults)" bash bench-e2e/smoke.sh
step "fuzz smoke" bash fuzz/test.sh

echo
for f in "${failures[@]}"; do
    echo "--- last lines of failed step: ${f%:*} (whole log: ${f##*:})"
    tail -n 25 "${f##*:}"
done
for f in "${failures[@]}"; do
    echo "failed step: ${f%:*}"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
