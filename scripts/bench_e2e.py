#!/usr/bin/env python3
"""End-to-end benchmarks: runs a group of echo servers (bench-e2e/servers.py) through a matrix of
scenarios with one load generator that none of them contains (bench-e2e, `wsengine-loadgen`).

    python3 scripts/bench_e2e.py --group node|python|rust|all [--servers ws,wsengine] [--quick] [--no-build]

For each server: its setup command, then the server pinned to core 1 (taskset -c 1), a wait
until it accepts a WebSocket upgrade, the load generator pinned to core 0 for each scenario,
and SIGTERM (SIGKILL after 5 s). Results: target/bench/e2e-<group>.json (read by
scripts/bench_report.py); server logs: target/bench/e2e-logs/. Exit status 1 when a server
failed to start or a run reported an error (every echo is checked by the load generator).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from typing import Any, Optional

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench-e2e"))
import servers as registry  # noqa: E402

OUT = os.path.join(ROOT, "target", "bench")
LOADGEN = os.path.join(ROOT, "target", "release", "wsengine-loadgen")
PYTHON = os.path.join(ROOT, "target", "python-venv", "bin", "python")
SOCKETIO_PATH = "/socket.io/?EIO=4&transport=websocket"
START_TIMEOUT = 60.0


def log(msg: str) -> None:
    print(f"[bench-e2e] {msg}", flush=True)


def scenario_name(s: dict) -> str:
    """E.g. "1 conn × 32 B, round trips" or "100 conn × 16 KiB, 16 in flight, TLS"."""
    size = s["size"]
    size_text = f"{size // 1024} KiB" if size >= 1024 and size % 1024 == 0 else f"{size} B"
    kind = " binary" if s.get("binary") else ""
    flow = "round trips" if s["mode"] == "roundtrip" else f"{s['depth']} in flight"
    tls = ", TLS" if s.get("tls") else ""
    return f"{s['connections']} conn × {size_text}{kind}, {flow}{tls}"


def group_scenarios(group: str) -> list[dict]:
    return registry.DEFAULT_SCENARIOS + registry.GROUP_SCENARIOS.get(group, [])


def fits(server: dict, s: dict) -> bool:
    """A TLS server runs the TLS scenarios, a plain one the others; Socket.IO is text only."""
    if bool(server.get("tls")) != bool(s.get("tls")):
        return False
    if server.get("socketio") and s.get("binary"):
        return False
    names = server.get("scenarios")
    return names is None or scenario_name(s) in names


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert() -> tuple[str, str]:
    """A certificate for 127.0.0.1 and localhost (made once, kept under target/bench)."""
    cert, key = os.path.join(OUT, "e2e-cert.pem"), os.path.join(OUT, "e2e-key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "3650", "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
    return cert, key


def expand(value: str, port: int, cert: str, key: str) -> str:
    return value.format(port=port, root=ROOT, python=PYTHON, cert=cert, key=key,
                        socketio_node=registry.socketio_node(ROOT))


def accepts_upgrade(port: int, path: str, tls: bool) -> bool:
    """One WebSocket upgrade request: True when the answer is 101."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return False
    try:
        sock: socket.socket = raw
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                return False
            head += chunk
        return head.split(b" ")[1:2] == [b"101"]
    except OSError:
        return False
    finally:
        raw.close()


class Server:
    """A server under test, pinned to `core`, in its own process group."""

    def __init__(self, spec: dict, core: Optional[int], cert: str, key: str) -> None:
        self.spec = spec
        self.port = free_port()
        self.path = spec.get("path") or (SOCKETIO_PATH if spec.get("socketio") else "/")
        argv = [expand(a, self.port, cert, key) for a in spec["cmd"]]
        if core is not None:
            argv = ["taskset", "-c", str(core)] + argv
        env = dict(os.environ)
        env.update({k: expand(v, self.port, cert, key) for k, v in spec.get("env", {}).items()})
        os.makedirs(os.path.join(OUT, "e2e-logs"), exist_ok=True)
        safe = "".join(c if c.isalnum() else "-" for c in spec["name"]).strip("-")
        self.log_path = os.path.join(OUT, "e2e-logs", f"{spec['group']}-{safe}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, cwd=os.path.join(ROOT, spec.get("cwd", ".")), env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> Optional[str]:
        """None once the server answers an upgrade with 101, else why not."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with status {self.proc.returncode} before accepting (log: {self.log_path})"
            if accepts_upgrade(self.port, self.path, bool(self.spec.get("tls"))):
                return None
            time.sleep(0.1)
        return f"no WebSocket upgrade accepted within {START_TIMEOUT:.0f} s (log: {self.log_path})"

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


def run_loadgen(server: Server, s: dict, core: Optional[int], duration: float, warmup: float) -> dict[str, Any]:
    scheme = "wss" if server.spec.get("tls") else "ws"
    out = os.path.join(OUT, "e2e-last-run.json")
    if os.path.exists(out):
        os.remove(out)
    argv = [LOADGEN, "--url", f"{scheme}://127.0.0.1:{server.port}{server.path}",
            "--connections", str(s["connections"]), "--size", str(s["size"]), "--mode", s["mode"],
            "--depth", str(s["depth"]), "--duration", str(duration), "--warmup", str(warmup),
            "--json", out, "--label", server.spec["name"]]
    if s.get("binary"):
        argv.append("--binary")
    if server.spec.get("socketio"):
        argv.append("--socketio")
    if core is not None:
        argv = ["taskset", "-c", str(core)] + argv
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + warmup + 120)
    print("   " + proc.stdout.strip(), flush=True)
    if proc.stderr.strip():
        print("   " + proc.stderr.strip().replace("\n", "\n   "), flush=True)
    if os.path.exists(out):
        with open(out) as f:
            result = json.load(f)
    else:
        result = {"errors": 1, "error_messages": [proc.stderr.strip() or f"exit status {proc.returncode}"]}
    result["ok"] = proc.returncode == 0
    return result


def run_group(group: str, names: Optional[str], duration: float, warmup: float, quick: bool, setup: bool,
              rounds: int = 1) -> int:
    """Runs one group; writes target/bench/e2e-<group>.json; returns the number of failures.

    With rounds > 1 every server runs every scenario once per round (servers alternate, so a
    change of the machine's load hits all of them alike), and each keeps its best round; a
    failure in any round is kept instead."""
    specs = [s for s in registry.SERVERS if s["group"] == group]
    if names:
        chosen: list[dict] = []
        for w in (w.strip() for w in names.split(",") if w.strip()):
            # The exact name, else names whose first words are w ("ws" -> "ws (bufferutil)",
            # not "wsengine ..."), else names starting with w.
            hits = ([s for s in specs if s["name"] == w] or [s for s in specs if s["name"].startswith(w + " ")]
                    or [s for s in specs if s["name"].startswith(w)])
            if not hits:
                raise SystemExit(f"no server {w!r} in group {group}: {[s['name'] for s in specs]}")
            chosen += [h for h in hits if h not in chosen]
        specs = chosen
    pin = (os.cpu_count() or 1) >= 2
    loadgen_core, server_core = (0, 1) if pin else (None, None)
    if not pin:
        log("fewer than 2 cores: server and load generator are not pinned")
    cert, key = self_signed_cert()
    scenarios = group_scenarios(group)
    best: dict[tuple[str, str], dict] = {}
    failures: list[str] = []
    done_setup: set[str] = set()
    for spec, round_no in ((spec, n) for n in range(rounds) for spec in specs):
        mine = [s for s in scenarios if fits(spec, s)]
        if not mine:
            continue
        command = spec.get("setup")
        if command and setup and command not in done_setup:
            log(f"setup for {spec['name']}")
            if subprocess.run(["bash", "-c", command], cwd=ROOT).returncode != 0:
                failures.append(f"{spec['name']}: setup failed")
                continue
            done_setup.add(command)
        log(f"{spec['name']}: starting" + (f" (round {round_no + 1} of {rounds})" if rounds > 1 else ""))
        server = Server(spec, server_core, cert, key)
        try:
            why = server.wait_ready()
            if why:
                failures.append(f"{spec['name']}: {why}")
                log(f"{spec['name']}: {why}")
                continue
            for s in mine:
                r = run_loadgen(server, s, loadgen_core, duration, warmup)
                r.update(server=spec["name"], scenario=scenario_name(s), reference=bool(spec.get("reference")),
                         tls=bool(spec.get("tls")), socketio_server=bool(spec.get("socketio")))
                slot = (spec["name"], scenario_name(s))
                seen = best.get(slot)
                r["rounds_msgs_per_sec"] = (seen or {}).get("rounds_msgs_per_sec", []) + [r.get("msgs_per_sec", 0)]
                if seen is None or (seen["ok"] and (not r["ok"] or r["msgs_per_sec"] > seen["msgs_per_sec"])):
                    best[slot] = r
                else:
                    seen["rounds_msgs_per_sec"] = r["rounds_msgs_per_sec"]
                if not r["ok"]:
                    why = "; ".join(r.get("error_messages", []))[:300]
                    failures.append(f"{spec['name']} / {scenario_name(s)}: {why}")
                if server.proc.poll() is not None:
                    failures.append(f"{spec['name']}: exited during {scenario_name(s)} (log: {server.log_path})")
                    break
        finally:
            server.stop()

    results = list(best.values())
    path = os.path.join(OUT, f"e2e-{group}.json")
    with open(path, "w") as f:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        json.dump({"group": group, "quick": quick, "duration_s": duration, "warmup_s": warmup, "rounds": rounds,
                   "commit": commit, "measured": measured,
                   "pinned": pin, "scenarios": [scenario_name(s) for s in scenarios],
                   "results": results, "failures": failures}, f, indent=1)
    log(f"wrote {path} ({len(results)} runs, {len(failures)} failures)")
    for fail in failures:
        log(f"FAILED: {fail}")
    return len(failures)


def main() -> int:
    groups = sorted({s["group"] for s in registry.SERVERS})
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--group", required=True, choices=groups + ["all"], help="a group, or all of them in turn")
    ap.add_argument("--servers", help="comma-separated names of the group's servers to run (or their first words)")
    ap.add_argument("--quick", action="store_true", help="1 s per scenario after 0.3 s of warm-up (default 5 s + 1 s)")
    ap.add_argument("--duration", type=float, help="seconds measured per scenario")
    ap.add_argument("--no-build", action="store_true", help="do not build the load generator")
    ap.add_argument("--no-setup", action="store_true", help="skip the servers' setup commands")
    ap.add_argument("--out", help="directory of the results (default target/bench)")
    ap.add_argument("--rounds", type=int, default=1, help="run the group N times, servers alternating; keep each best")
    args = ap.parse_args()
    if args.out:
        global OUT
        OUT = os.path.abspath(args.out)
    if args.servers and args.group == "all":
        ap.error("--servers needs one --group")
    duration = args.duration or (1.0 if args.quick else 5.0)
    warmup = 0.3 if args.quick else 1.0
    os.makedirs(OUT, exist_ok=True)
    if not args.no_build:
        log("building the load generator")
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "wsengine-bench-e2e"], cwd=ROOT, check=True)
    failures = 0
    for group in groups if args.group == "all" else [args.group]:
        log(f"== group {group}")
        failures += run_group(group, args.servers, duration, warmup, args.quick, not args.no_setup, args.rounds)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
