#!/usr/bin/env bash
# Builds the wasm module with Debian's rustc-web (-Zbuild-std, see shared TOOLCHAINS.md),
# generates the Node and web glue with wasm-bindgen, shrinks the module with wasm-opt from
# npm's binaryen, and writes pkg/node/, pkg/web/ and lib/api.{cjs,mjs}.
# Needs: /usr/bin/rustc + rust-web-src + wasm-ld-<LLVM major> (scripts/setup.sh),
# the wasm-bindgen CLI of the pinned version (test.sh installs it), npm install done.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

llvm_major=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="wasm-ld-$llvm_major"
export CARGO_TARGET_DIR="$root/target/wasm"
# SIMD128 (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+): word-wise masking and
# simdutf8's wasm32 path.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
/usr/bin/cargo build --manifest-path "$here/Cargo.toml" --target wasm32-unknown-unknown \
    --release -Zbuild-std=std,panic_abort ${CARGO_QUIET:+--quiet}

wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wsengine_wasm.wasm"
rm -rf pkg/node pkg/web
wasm-bindgen --target nodejs --out-dir pkg/node "$wasm"
wasm-bindgen --target web --out-dir pkg/web "$wasm"

# wasm-opt from npm's binaryen (Debian's binaryen 108 produces broken modules).
opt="$here/node_modules/.bin/wasm-opt"
if [ -x "$opt" ]; then
    for d in pkg/node pkg/web; do
        "$opt" -O3 --strip-debug --strip-producers --enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
            --enable-mutable-globals --enable-reference-types --enable-multivalue \
            "$d/wsengine_wasm_bg.wasm" -o "$d/wsengine_wasm_bg.wasm.opt"
        mv "$d/wsengine_wasm_bg.wasm.opt" "$d/wsengine_wasm_bg.wasm"
    done
else
    echo "build.sh: $opt missing (run npm install): module not optimised" >&2
fi

# One source for the JS API, as CommonJS (Node) and as an ES module (web, Deno, Workers).
node scripts/gen-api.js
size=$(wc -c < pkg/web/wsengine_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/web/wsengine_wasm_bg.wasm | wc -c)
echo "wsengine_wasm_bg.wasm: $size bytes, $gz gzipped"
