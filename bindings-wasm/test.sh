#!/usr/bin/env bash
# Builds bindings-wasm on a fresh machine (after scripts/setup.sh: rustc-web, rust-web-src,
# lld, chromium) and runs every test: the shared vectors and the ws interop under Node, the
# vectors and a Chromium WebSocket in headless Chromium, and the inspector page. Installs the
# pinned wasm-bindgen CLI and the npm dev dependencies when missing. Exits non-zero on any
# failure. Called by `make test` (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")"

WASM_BINDGEN_VERSION=0.2.130   # = the wasm-bindgen crate pinned in Cargo.toml
log() { echo "[bindings-wasm] $*"; }

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features --debug --quiet
fi
export PATH="$HOME/.cargo/bin:$PATH"

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/ws ] || [ ! -d node_modules/playwright-core ]; then
    log "npm install"
    npm install --no-audit --no-fund --loglevel=error
fi

log "build"
CARGO_QUIET=1 bash scripts/build.sh

gz=$(gzip -9 -c pkg/web/wsengine_wasm_bg.wasm | wc -c)
if [ "$gz" -gt $((150 * 1024)) ]; then
    echo "wsengine_wasm_bg.wasm is $gz bytes gzipped: over the 150 KB budget" >&2
    exit 1
fi

log "node --test (vectors, ws interop, Chromium: vectors + WebSocket, inspector)"
node --test --test-concurrency=1 test/*.test.mjs
