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
step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local t0=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== ok: $name ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== FAILED: $name ($((SECONDS - t0)) s)"
    fi
}

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy -p wsengine -p wsengine-python -p wsengine-node --all-targets -- -D warnings
step "core tests (default features)" cargo test -p wsengine
step "core tests (no deflate)" cargo test -p wsengine --no-default-features --features std,getrandom --lib --tests
step "no_std build (core + alloc only)" bash scripts/no_std_check.sh
step "build demo" cargo build --release -p wsengine --examples
step "demo vs Python websockets" python3 -m pytest -q tests/interop
step "demo vs Node ws and Chromium" node --test tests/interop/
step "bindings-python" bash bindings-python/test.sh
step "bindings-node" bash bindings-node/test.sh
step "bindings-wasm" bash bindings-wasm/test.sh
step "conformance (Autobahn-style, every server and client)" bash tests/conformance/run.sh
step "fuzz smoke" bash fuzz/test.sh

echo
if [ "$failed" -gt 0 ]; then
    printf 'failed step: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
