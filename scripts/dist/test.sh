#!/usr/bin/env bash
# The release artifacts, tested as users get them (a step of `make test`): runs `make dist`
# (incremental), then, in fresh virtualenvs and fresh npm projects in a temporary folder outside
# the repository, installs each artifact from dist/ and runs a short echo against a peer we did
# not write (Python websockets, Node ws):
#   - the wheel, the npm package with its prebuilt platform package, and wsengine-wasm, with no
#     cargo/rustc on PATH; npm's registry is pointed at a closed port while our tarballs install,
#     so npm can never fetch a package of ours by name (none of the names is on the registry);
#   - the sdist and the npm from-source fallback (--omit=optional), built once with cargo;
#   - without cargo and without a prebuilt binary, both fail with one clear sentence.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
log() { echo "[dist-test] $*"; }
t0=$SECONDS

# The musl wheel is left out here: its cold build compiles std (5-14 min on 2 shared cores)
# and no musl Python is at hand to run it; `make dist` builds it.
DIST_SKIP_SETUP=${DIST_SKIP_SETUP:-1} DIST_QUIET=1 DIST_MUSL=0 bash scripts/dist.sh
version=$(python3 -c 'import tomllib;print(tomllib.load(open("Cargo.toml","rb"))["workspace"]["package"]["version"])')
dist=$root/dist
wheel=$(ls "$dist"/wsengine-"$version"-cp39-abi3-manylinux2014_x86_64*.whl)
sdist=$dist/wsengine-$version.tar.gz
npm_main=$dist/wsengine-$version.tgz
npm_plat=$dist/wsengine-linux-x64-gnu-$version.tgz
npm_wasm=$dist/wsengine-wasm-$version.tgz
websockets_pin=$(grep -E '^websockets==' scripts/requirements-test.txt)
ws_pin=ws@$(node -p 'require("./tests/interop/package.json").devDependencies.ws')

work=$(mktemp -d /tmp/wsengine-dist-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp scripts/dist/check_python.py scripts/dist/check_node.js "$work/"
# One fresh target folder for both from-source builds (the sdist's and npm's), deleted at the
# end: each run really compiles the sources the artifacts carry; the second build reuses the
# dependencies the first compiled (zlib-rs, sha1, ...). Downloaded crates come from cargo's cache.
export CARGO_TARGET_DIR=$work/cargo-target

# PATH without cargo, rustc or rustup: every folder of PATH that holds one of them is replaced
# by a folder of links to everything else in it (/usr/bin has Debian's cargo and rustc).
nocargo_path() {
    local out="" i=0 d f m
    local IFS=:
    for d in $PATH; do
        [ -d "$d" ] || continue
        if [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; then
            i=$((i + 1))
            m=$work/path$i
            mkdir -p "$m"
            for f in "$d"/*; do
                case ${f##*/} in
                cargo* | rustc* | rustdoc* | rustup | rust-* | rustfmt | clippy-driver) ;;
                *) ln -s "$f" "$m/" ;;
                esac
            done
            d=$m
        fi
        out=${out:+$out:}$d
    done
    echo "$out"
}
NOCARGO=$(nocargo_path)
if PATH=$NOCARGO command -v cargo >/dev/null || PATH=$NOCARGO command -v rustc >/dev/null; then
    echo "dist-test: cargo or rustc is still on the reduced PATH" >&2
    exit 1
fi
timed() { # timed <label> <command...>: runs it, prints its wall time
    local s=$SECONDS
    "$@"
    log "$1: $((SECONDS - s)) s"
}

# --- Python: the wheel, no toolchain ---
log "wheel, no cargo on PATH: $(basename "$wheel")"
python3 -m venv "$work/venv-wheel"
"$work/venv-wheel/bin/pip" install -q "$websockets_pin"
s=$SECONDS
PATH=$NOCARGO "$work/venv-wheel/bin/pip" install -q --no-index --only-binary :all: "$wheel"
log "wheel install: $((SECONDS - s)) s"
(cd "$work" && PATH=$NOCARGO "$work/venv-wheel/bin/python" check_python.py "$version")

# --- Python: the sdist, built with cargo, outside the repository ---
log "sdist, built with cargo: $(basename "$sdist")"
python3 -m venv "$work/venv-sdist"
"$work/venv-sdist/bin/pip" install -q "$websockets_pin"
s=$SECONDS
(cd "$work" && "$work/venv-sdist/bin/pip" install -q --no-cache-dir "$sdist")
log "sdist build and install: $((SECONDS - s)) s"
(cd "$work" && PATH=$NOCARGO "$work/venv-sdist/bin/python" check_python.py "$version")

# --- Python: the sdist without cargo (maturin told not to fetch a toolchain) fails clearly ---
python3 -m venv "$work/venv-nocargo"
if (cd "$work" && PATH=$NOCARGO MATURIN_NO_INSTALL_RUST=1 "$work/venv-nocargo/bin/pip" install -q --no-cache-dir "$sdist") >"$work/sdist-nocargo.log" 2>&1; then
    echo "dist-test: the sdist installed without cargo" >&2
    exit 1
fi
grep -q "Cargo, the Rust package manager, is not installed or is not on PATH" "$work/sdist-nocargo.log" || {
    cat "$work/sdist-nocargo.log"
    echo "dist-test: no clear message from the sdist without cargo" >&2
    exit 1
}
log "sdist without cargo: fails with maturin's sentence"

# npm project: ws from the registry first; the platform package's name is mapped to its tarball
# (package.json `overrides`), so npm resolves wsengine's optionalDependencies without asking the
# registry; then our tarballs install with the registry pointed at a closed port, and the http
# log must show no request to it.
new_npm_project() {
    mkdir -p "$1"
    (cd "$1" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$ws_pin" &&
        npm pkg set "overrides.wsengine-linux-x64-gnu=file:$npm_plat")
    cp "$work/check_node.js" "$1/"
}
NO_REGISTRY=(--registry=http://127.0.0.1:9/ --fetch-retries=0 --no-audit --no-fund --foreground-scripts --loglevel=http)
no_registry_request() {
    if grep -q '127\.0\.0\.1:9' "$1"; then
        grep '127\.0\.0\.1:9' "$1" >&2
        echo "dist-test: npm asked the registry for a package of ours" >&2
        exit 1
    fi
}

# --- npm: wsengine with its prebuilt platform package, and wsengine-wasm, no toolchain ---
log "npm: wsengine + wsengine-linux-x64-gnu + wsengine-wasm, no cargo on PATH"
p=$work/npm-prebuilt
new_npm_project "$p"
s=$SECONDS
(cd "$p" && PATH=$NOCARGO npm install "${NO_REGISTRY[@]}" "$npm_main" "$npm_wasm") 2>&1 | grep -v 'GET 200' | tee "$work/npm-prebuilt.log"
log "npm install (prebuilt + wasm): $((SECONDS - s)) s"
no_registry_request "$work/npm-prebuilt.log"
grep -q "using the prebuilt native module from wsengine-linux-x64-gnu" "$work/npm-prebuilt.log"
[ -f "$p/node_modules/wsengine-linux-x64-gnu/wsengine.linux-x64-gnu.node" ]
(cd "$p" && PATH=$NOCARGO node check_node.js wsengine "$version")
(cd "$p" && PATH=$NOCARGO node check_node.js wsengine-wasm "$version")
cat >"$p/web-entry.mjs" <<'EOF'
// The browser/bundler entry of wsengine-wasm (ES module, `await init()` first), loaded here
// with the module's bytes as a browser would fetch them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import init, { Connection, version } from 'wsengine-wasm/web';
const require = createRequire(import.meta.url);
const web = require.resolve('wsengine-wasm/web'); // the module sits next to the glue, as served
const bytes = readFileSync(new URL('./pkg/web/wsengine_wasm_bg.wasm', `file://${web}`));
await init({ module_or_path: bytes });
const conn = Connection.client('ws://127.0.0.1:1/');
const out = conn.takeOutput();
if (!(out instanceof Uint8Array) || !new TextDecoder().decode(out).startsWith('GET / HTTP/1.1')) throw new Error('no upgrade request');
if (version !== process.argv[2]) throw new Error(`version ${version}`);
console.log(`wsengine-wasm/web ${version}: the client's upgrade request is queued`);
EOF
(cd "$p" && PATH=$NOCARGO node web-entry.mjs "$version")

# --- npm: no prebuilt binary and no cargo: one clear sentence ---
p=$work/npm-nocargo
new_npm_project "$p"
if (cd "$p" && PATH=$NOCARGO npm install "${NO_REGISTRY[@]}" --omit=optional "$npm_main") >"$work/npm-nocargo.log" 2>&1; then
    echo "dist-test: wsengine installed without a prebuilt binary and without cargo" >&2
    exit 1
fi
no_registry_request "$work/npm-nocargo.log"
grep -q "wsengine: no prebuilt native module fits this platform .* and cargo is not on PATH" "$work/npm-nocargo.log" || {
    cat "$work/npm-nocargo.log"
    echo "dist-test: no clear message without cargo" >&2
    exit 1
}
log "npm without a prebuilt binary and without cargo: fails with one sentence"

# --- npm: the from-source fallback from the tarball alone, with cargo ---
log "npm: wsengine from source (--omit=optional), with cargo"
p=$work/npm-source
new_npm_project "$p"
s=$SECONDS
(cd "$p" && npm install "${NO_REGISTRY[@]}" --omit=optional "$npm_main") 2>&1 | grep -v 'GET 200' | tee "$work/npm-source.log"
log "npm install from source: $((SECONDS - s)) s"
no_registry_request "$work/npm-source.log"
grep -q "Compiling wsengine-node" "$work/npm-source.log" # cargo's progress came through
[ ! -e "$p/node_modules/wsengine-linux-x64-gnu" ]
(cd "$p" && PATH=$NOCARGO node check_node.js wsengine "$version")

log "every artifact installs and echoes ($((SECONDS - t0)) s)"
