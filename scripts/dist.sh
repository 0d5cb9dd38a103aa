#!/usr/bin/env bash
# `make dist`: writes the release artifacts to dist/ (see CHANGELOG.md, issue 17):
#   wsengine-<v>-cp39-abi3-manylinux2014_x86_64...whl   maturin --zig, checked with auditwheel
#   wsengine-<v>-cp39-abi3-musllinux_1_2_x86_64.whl     only if the musl std can be built (below)
#   wsengine-<v>.tar.gz                                  Python sdist (core included by maturin)
#   wsengine-linux-x64-gnu-<v>.tgz                       npm platform package (glibc >= 2.17, zig)
#   wsengine-<v>.tgz                                     npm package: JS + Rust sources (core too),
#                                                        optionalDependencies on the platform package
#   wsengine-wasm-<v>.tgz                                npm package: browser/bundler + Node entries
#   wsengine-<v>.crate                                   `cargo package -p wsengine` (verified)
#   SHA256SUMS
# Release builds use the `dist` cargo profile (release without debug info, stripped), each in a
# target folder of its own (zig's linker settings differ between maturin and cargo-zigbuild, and
# would otherwise make each rebuild everything the other built).
# Tools come from PyPI into target/dist-venv (scripts/dist/requirements.txt, pinned).
# Environment: DIST_SKIP_SETUP=1 skips scripts/setup.sh (the WASM toolchain); DIST_MUSL=0 skips
# the musl wheel (its cold build compiles std: 5-14 min here); DIST_QUIET=1 quiets cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TERM_COLOR=never

log() { echo "[dist] (${SECONDS} s) $*"; }
t_start=$SECONDS

python3 scripts/version.py
version=$(python3 -c 'import tomllib;print(tomllib.load(open("Cargo.toml","rb"))["workspace"]["package"]["version"])')

# --- tools: maturin, zig (ziglang), cargo-zigbuild, auditwheel, all from PyPI ---
venv=target/dist-venv
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1 ||
    ! cmp -s scripts/dist/requirements.txt "$venv/requirements.txt"; then
    log "tools venv ($venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r scripts/dist/requirements.txt
    cp scripts/dist/requirements.txt "$venv/requirements.txt"
fi
export PATH="$root/$venv/bin:$PATH"
[ "${DIST_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh

rm -rf dist
mkdir -p dist
stage=target/dist-stage
rm -rf "$stage"
mkdir -p "$stage"

# --- Python: manylinux2014 abi3 wheel (zig links against glibc 2.17) and the sdist ---
log "wheel (manylinux2014, abi3)"
(cd bindings-python && CARGO_TARGET_DIR="$root/target/dist-wheel" maturin build --profile dist --zig --compatibility manylinux2014 -o "$root/dist" ${DIST_QUIET:+--quiet})
wheel=$(ls dist/wsengine-"$version"-cp39-abi3-manylinux2014_x86_64*.whl)
auditwheel show "$wheel" | tee "$stage/auditwheel.txt"
grep -q '"manylinux_2_17_x86_64"' "$stage/auditwheel.txt" || { echo "dist: $wheel is not manylinux_2_17" >&2; exit 1; }

log "sdist"
(cd bindings-python && maturin sdist -o "$root/dist")

# --- Python: musllinux_1_2 wheel, if a musl std can be had (DIST_MUSL=0 skips it) ---
if [ "${DIST_MUSL:-1}" = 0 ]; then
    log "musllinux wheel skipped (DIST_MUSL=0)"
elif bash scripts/dist/musl_wheel.sh "$root/dist" >"$stage/musl.log" 2>&1; then
    log "musllinux wheel: $(ls dist/*musllinux*.whl)"
else
    log "no musllinux wheel: $(tail -n 1 "$stage/musl.log")"
fi

# --- npm: the platform package with the prebuilt module (glibc >= 2.17 through zig) ---
log "npm platform package wsengine-linux-x64-gnu"
CARGO_TARGET_DIR="$root/target/dist-node" cargo-zigbuild zigbuild -p wsengine-node --profile dist --target x86_64-unknown-linux-gnu.2.17 ${DIST_QUIET:+--quiet}
plat="$stage/wsengine-linux-x64-gnu"
mkdir -p "$plat"
cp target/dist-node/x86_64-unknown-linux-gnu/dist/libwsengine_node.so "$plat/wsengine.linux-x64-gnu.node"
cp LICENSE "$plat/"
glibc_max=$(python scripts/dist/glibc_max.py "$plat/wsengine.linux-x64-gnu.node")
log "prebuilt module needs at most $glibc_max"
node scripts/dist/npm_manifests.js platform "$plat" "$version"
(cd "$plat" && npm pack --silent --pack-destination "$root/dist" >/dev/null)

# --- npm: the main package, with the Rust sources for the from-source build ---
log "npm package wsengine"
main="$stage/wsengine"
mkdir -p "$main"
(cd bindings-node && npm pack --silent --pack-destination "$root/$stage" >/dev/null)
tar -xzf "$stage/wsengine-$version.tgz" -C "$main" --strip-components=1
rm "$stage/wsengine-$version.tgz"
python3 scripts/dist/standalone_manifest.py Cargo.toml bindings-node/Cargo.toml "$main/Cargo.toml"
cp Cargo.lock "$main/Cargo.lock"
cargo package -p wsengine --no-verify --allow-dirty --quiet
mkdir -p "$main/core"
tar -xzf "target/package/wsengine-$version.crate" -C "$main/core" --strip-components=1
rm -f "$main/core/Cargo.toml.orig" "$main/core/.cargo_vcs_info.json"
cp LICENSE CHANGELOG.md "$main/"
node scripts/dist/npm_manifests.js main "$main" "$version"
(cd "$main" && npm pack --silent --pack-destination "$root/dist" >/dev/null)

# --- npm: wsengine-wasm ---
log "npm package wsengine-wasm"
[ -x bindings-wasm/node_modules/.bin/wasm-opt ] || (cd bindings-wasm && npm ci --no-audit --no-fund --loglevel=error)
CARGO_QUIET=${DIST_QUIET:-} bash bindings-wasm/scripts/build.sh
wasm="$stage/wsengine-wasm"
mkdir -p "$wasm"
(cd bindings-wasm && npm pack --silent --pack-destination "$root/$stage" >/dev/null)
tar -xzf "$stage/wsengine-wasm-$version.tgz" -C "$wasm" --strip-components=1
rm "$stage/wsengine-wasm-$version.tgz"
cp LICENSE CHANGELOG.md "$wasm/"
node scripts/dist/npm_manifests.js wasm "$wasm" "$version"
(cd "$wasm" && npm pack --silent --pack-destination "$root/dist" >/dev/null)

# --- the crate (verified: it builds from its own package) ---
log "cargo package -p wsengine"
cargo package -p wsengine --allow-dirty --quiet
cp "target/package/wsengine-$version.crate" dist/

(cd dist && sha256sum -- * > SHA256SUMS)
log "dist/ ($((SECONDS - t_start)) s):"
(cd dist && ls -l --block-size=K -- * | awk '{print "  " $5 "\t" $9}')
