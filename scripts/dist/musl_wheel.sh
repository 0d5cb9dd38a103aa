#!/usr/bin/env bash
# Tries to build the musllinux_1_2 abi3 wheel into $1. rustup's std for x86_64-unknown-linux-musl
# is out of reach here, so std is built from Debian's rustc-web sources with -Zbuild-std (as for
# WASM) and zig (maturin --zig) links against its own musl. Exits non-zero, with the reason on
# the last line of output, when that cannot be done.
set -euo pipefail
out=$1
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here/bindings-python"
[ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src ] || { echo "no Debian rustc-web with rust-web-src"; exit 1; }
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$here/target/musl"
# Debian's cargo with Debian's rustc (rustup's cargo stays first on PATH otherwise).
export CARGO=/usr/bin/cargo
if ! maturin build --profile dist --zig --target x86_64-unknown-linux-musl --compatibility musllinux_1_2 \
    -Zbuild-std=std,panic_unwind -o "$out"; then
    echo "the musl build failed (see target/dist-stage/musl.log)"
    exit 1
fi
