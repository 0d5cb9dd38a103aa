#!/usr/bin/env bash
# Everything a fresh Debian machine needs to build and test the Node binding:
# Chromium (for the browser interop test), the npm dev dependencies, the native build,
# then `node --test`. Exits non-zero on any failure. Uses 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y chromium chromium-driver
fi

command -v node >/dev/null || { echo "node is required" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo is required" >&2; exit 1; }

# Dev dependencies (ws, bufferutil, playwright-core) from package-lock.json; this also runs
# our install script, which builds the native module with cargo.
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
# Make sure the native module matches the current sources (cargo is incremental).
node scripts/build.js

# The installed-package path: `npm install ./bindings-node` from a scratch project.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(
  cd "$scratch"
  npm init -y >/dev/null
  npm install --no-audit --no-fund "$OLDPWD" >/dev/null
  node -e "
    const { Connection, WebSocket } = require('wsengine');
    const c = Connection.server();
    if (typeof WebSocket !== 'function' || c.state !== 'connecting') process.exit(1);
    console.log('npm install ./bindings-node: ok');
  "
)

node --test test/
