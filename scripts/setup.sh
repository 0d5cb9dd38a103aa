#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine. Idempotent: each step
# checks first, so a second run costs seconds. Called by `make test` (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[setup] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages: Chromium for browser tests, Debian's rustc-web + std source for WASM. ---
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium chromium-driver)
[ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src ] || need_apt+=(rustc-web cargo-web rust-web-src)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "apt-get install ${need_apt[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# wasm-ld from the LLVM that Debian's rustc was built with.
llvm_major=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if ! command -v "wasm-ld-$llvm_major" >/dev/null; then
    log "apt-get install lld-$llvm_major"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "lld-$llvm_major" >/dev/null
fi

# --- Python packages for the interop tests and the Python binding. ---
if ! python3 -c "import websockets, wsproto, aiohttp, pytest, mypy" 2>/dev/null; then
    log "pip install test dependencies"
    python3 -m pip install -q -r scripts/requirements-test.txt
fi

# --- npm packages for the interop tests (ws, playwright-core). ---
if [ ! -d tests/interop/node_modules/ws ] || [ ! -d tests/interop/node_modules/playwright-core ]; then
    log "npm install in tests/interop"
    (cd tests/interop && npm install --no-audit --no-fund --loglevel=error)
fi

# --- cargo-fuzz for the fuzz smoke run. ---
if ! cargo fuzz --version >/dev/null 2>&1; then
    log "cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi
# --- wasm-bindgen CLI for bindings-wasm: the version pinned in bindings-wasm/Cargo.toml. ---
WASM_BINDGEN_VERSION=0.2.130
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features --debug --quiet
fi
log "ready"
