#!/usr/bin/env bash
# Proves the core builds with no standard library at all: compiles it (without the `std`
# feature) for wasm32-unknown-unknown with only `core` and `alloc` built (-Zbuild-std=core,alloc:
# any dependency that needs `std` fails to build), using
# Debian's rustc-web and its std sources (see ../shared/TOOLCHAINS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/no_std \
    /usr/bin/cargo build -q -p wsengine --no-default-features \
    --target wasm32-unknown-unknown -Zbuild-std=core,alloc
echo "wsengine builds for wasm32-unknown-unknown (no std)"
