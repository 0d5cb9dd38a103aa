#!/usr/bin/env bash
# Builds what the conformance suite needs, then runs it against every server and client:
# the Rust demo and Autobahn examples, the Python and Node example servers, and the Rust,
# Python and Node Autobahn clients and the Node binding's W3C WebSocket (517 cases each).
# 127.0.0.1 only; stops by itself; exits non-zero on any
# case that is not OK. Extra arguments go to conformance.py (e.g. --cases 6.4 --full).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=never
cargo build --release -q -p wsengine -p wsengine-tokio --features wsengine-tokio/hyper,wsengine-tokio/rustls --examples
PY="${WSENGINE_PYTHON:-target/python-venv/bin/python}"
if ! "$PY" -c "import wsengine" 2>/dev/null || [ "${WSENGINE_REBUILD_PY:-0}" = 1 ]; then
    [ -x "$PY" ] || python3 -m venv target/python-venv
    "$PY" -m pip install -q --force-reinstall --no-deps ./bindings-python
fi
(cd bindings-node && node scripts/build.js >/dev/null)
# The wasm engine's echo server needs the wasm build (bindings-wasm/test.sh makes it; this is
# incremental and quick when that ran).
(cd bindings-wasm && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && CARGO_QUIET=1 bash scripts/build.sh >/dev/null)
# The fuzzing server first proves it judges as strictly as Autobahn 0.8.2 (about 2 s).
python3 tests/conformance/selftest.py
exec python3 tests/conformance/conformance.py "$@"
