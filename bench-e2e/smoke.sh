#!/usr/bin/env bash
# Smoke test of the end-to-end benchmark tools (a step of `make test`, about 40 s once built):
#   0. the load generator's unit tests;
#   1. wsengine-loadgen against the Rust demo server (core/examples/server.rs): round trips and
#      pipelines, text and binary, short runs that must end without any error;
#   2. against the Socket.IO reference peer (Socket.IO 4, default engine) with engine.io pings
#      every 200 ms (they must be answered), and wss:// against the websockets peer with a
#      self-signed certificate;
#   3. against a server that pings before each echo (the pongs must come), and one that
#      misbehaves once (tests/faulty_echo.py, on `websockets`): a changed byte, a missing echo
#      (round trip and pipeline), an unexpected close, a text echo of type binary — each run
#      must FAIL. This is what proves that every echo is checked.
#   4. the harness (scripts/bench_e2e.py) on the demo server with 0.5 s per scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
LG=target/release/wsengine-loadgen
mkdir -p target/smoke-e2e
cargo test -q -p wsengine-bench-e2e   # the client codec, handshake, payload and CLI units
cargo build -q --release -p wsengine-bench-e2e
cargo build -q --release -p wsengine --example server
[ -d bench-e2e/peers/node/node_modules/socket.io ] || (cd bench-e2e/peers/node && npm ci --no-audit --no-fund --silent)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1"; return 1
}
start() {  # start PORT CMD... : runs a server in the background until the end of this script
    local port=$1; shift
    "$@" >"target/smoke-e2e/server-$port.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
}
run() { "$LG" --duration 1 --warmup 0.2 "$@"; }
fails() {  # the run must exit with status 1 and say why
    local out
    if out=$("$LG" --duration 1 --warmup 0.2 --drain 1 "$@" 2>&1); then
        echo "$out"; echo "FAILED: the load generator did not catch the fault ($*)"; return 1
    fi
    echo "  caught as expected: $(echo "$out" | grep -m1 '^error:')"
}

echo "-- the demo server"
port=$(free_port)
start "$port" target/release/examples/server --port "$port"
url="ws://127.0.0.1:$port/echo"
run --url "$url" --connections 1 --size 32 --mode roundtrip
run --url "$url" --connections 1 --size 16384 --binary --mode roundtrip
run --url "$url" --connections 20 --size 32 --mode pipeline --depth 16
run --url "$url" --connections 20 --size 16384 --binary --mode pipeline --depth 16

echo "-- Socket.IO (pings every 200 ms) and wss://"
port=$(free_port)
PING_INTERVAL_MS=200 start "$port" node bench-e2e/peers/node/socketio_echo.js "$port"
"$LG" --url "ws://127.0.0.1:$port" --socketio --connections 10 --size 64 --mode pipeline --duration 1.5 --warmup 0.2
mkdir -p target/bench
cert=target/bench/e2e-cert.pem key=target/bench/e2e-key.pem
[ -f "$cert" ] && [ -f "$key" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 3650 -subj /CN=localhost -keyout "$key" -out "$cert" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
port=$(free_port)
start "$port" python3 bench-e2e/peers/python/websockets_echo.py --port "$port" --tls "$cert" "$key"
run --url "wss://127.0.0.1:$port/" --connections 4 --size 8192 --binary --mode pipeline --depth 4

echo "-- a server that pings before every echo (each ping must be answered)"
port=$(free_port)
start "$port" python3 bench-e2e/tests/faulty_echo.py "$port" late-ping 10
run --url "ws://127.0.0.1:$port/" --connections 2 --size 100 --mode roundtrip

echo "-- faults that must fail the run"
for fault in corrupt drop close type; do
    port=$(free_port)
    start "$port" python3 bench-e2e/tests/faulty_echo.py "$port" "$fault" 50
    fails --url "ws://127.0.0.1:$port/" --connections 1 --size 100 --mode roundtrip
    [ "$fault" = drop ] && fails --url "ws://127.0.0.1:$port/" --connections 2 --size 100 --mode pipeline --depth 8
done

echo "-- the harness (the demo server, 0.5 s per scenario)"
python3 scripts/bench_e2e.py --group rust --servers "wsengine demo" --duration 0.5 --no-build --no-setup --out target/smoke-e2e
echo "bench-e2e smoke: ok"
