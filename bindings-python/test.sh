#!/usr/bin/env bash
# Builds and tests the Python binding from scratch on a fresh Debian machine:
#   a virtualenv, the test dependencies from PyPI, `pip install ./bindings-python`
#   (maturin builds the Rust extension), pytest on tests/python (wsengine.asyncio and
#   wsengine.uvicorn included), mypy --strict on the examples and the pure-Python modules.
# Exits non-zero on any failure. Usage: bindings-python/test.sh [extra pytest args]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${WSENGINE_PY_VENV:-$ROOT/target/python-venv}"

command -v "$PYTHON" >/dev/null || { echo "test.sh: $PYTHON not found" >&2; exit 1; }
command -v cargo >/dev/null || { echo "test.sh: cargo (Rust) not found" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 ships venv separately.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV"
        else
            echo "test.sh: cannot create a virtualenv (install python3-venv)" >&2
            exit 1
        fi
    fi
fi
PY="$VENV/bin/python"

echo "== installing test dependencies"
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q -r "$ROOT/scripts/requirements-test.txt"

echo "== pip install ./bindings-python"
"$PY" -m pip install -q --force-reinstall --no-deps "$HERE"

echo "== pytest tests/python"
# Run from outside the source tree so the installed package is the one imported.
cd "$ROOT/tests/python"
"$PY" -m pytest -q -p no:cacheprovider "$@" .

echo "== mypy --strict on the examples, wsengine.asyncio / wsengine.uvicorn and the asyncio conformance client"
cd "$HERE"
"$PY" -m mypy --strict --no-incremental --cache-dir=/dev/null examples/
"$PY" -m mypy --strict --no-incremental --cache-dir=/dev/null python/wsengine/asyncio python/wsengine/uvicorn.py \
    "$ROOT/tests/conformance/clients/asyncio_client.py"

echo "== python binding: all checks passed"
