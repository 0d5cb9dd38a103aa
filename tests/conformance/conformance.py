#!/usr/bin/env python3
"""wsengine's conformance runner, modelled on the Autobahn testsuite (sections 1-7, 9, 10,
12, 13). A fuzzing client tests our servers; a fuzzing server, speaking the Autobahn
fuzzingserver conventions (/getCaseCount, /runCase?case=N&agent=A, /updateReports?agent=A),
tests our clients. Everything on 127.0.0.1. See README.md.

    python3 tests/conformance/conformance.py [--servers a,b] [--clients a,b] [--cases 1,6.4,12.1.1] [--full]

Exits 1 if any case is not OK (INFORMATIONAL cases, and UNIMPLEMENTED ones a target declares,
excepted); writes target/conformance/report.json.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from cases import Case, Run, Scale, select  # noqa: E402
from fuzzer import (FAILED, INFORMATIONAL, OK, UNIMPLEMENTED, Peer, Violation,  # noqa: E402
                    accept_key, client_connect, encode_frame, has_token, read_head,
                    server_parse_offers)

PYTHON = os.environ.get("WSENGINE_PYTHON", os.path.join(ROOT, "target", "python-venv", "bin", "python"))
NODE = os.environ.get("NODE", "node")
RELEASE = os.path.join(ROOT, "target", "release", "examples")


@dataclass
class Allow:
    """Non-OK verdicts a target may get without failing the run, and why (README.md lists them)."""

    verdict: str  # UNIMPLEMENTED or NON-STRICT (the latter for binding targets only)
    cases: list[str]  # fnmatch patterns on case ids
    reason: str


@dataclass
class Target:
    name: str
    kind: str  # "server" (tested by our fuzzing client) or "client" (by our fuzzing server)
    argv: list[str]  # {port} is replaced
    path: str = "/"
    allow: list[Allow] = field(default_factory=list)
    note: str = ""


SERVERS = [
    Target("rust-demo", "server", [os.path.join(RELEASE, "server"), "--port", "{port}"], "/echo", [],
           "core/examples/server.rs, /echo"),
    Target("rust-autobahn", "server", [os.path.join(RELEASE, "autobahn_server"), "--port", "{port}"], "/", [],
           "core/examples/autobahn_server.rs"),
    Target("rust-tokio", "server", [os.path.join(RELEASE, "tokio_echo_server"), "--port", "{port}", "--autobahn", "--deflate"], "/", [],
           "integrations/tokio/examples/tokio_echo_server.rs (wsengine-tokio)"),
    Target("python-echo", "server", [PYTHON, os.path.join(ROOT, "bindings-python/examples/echo_server.py"), "--port", "{port}"],
           "/", [Allow(UNIMPLEMENTED, ["12.*", "13.*"], "the example has no permessage-deflate")],
           "bindings-python/examples/echo_server.py (no permessage-deflate: 12/13 UNIMPLEMENTED)"),
    Target("python-autobahn", "server", [PYTHON, os.path.join(ROOT, "bindings-python/examples/autobahn_server.py"), "--port", "{port}"],
           "/", [], "bindings-python/examples/autobahn_server.py"),
    Target("python-asyncio", "server", [PYTHON, os.path.join(ROOT, "bindings-python/examples/asyncio_echo.py"), "--port", "{port}"],
           "/", [], "bindings-python/examples/asyncio_echo.py (wsengine.asyncio serve())"),
    Target("node-echo", "server", [NODE, os.path.join(ROOT, "bindings-node/examples/net-server.js"), "{port}"], "/", [],
           "bindings-node/examples/net-server.js"),
    Target("node-autobahn", "server", [NODE, os.path.join(ROOT, "bindings-node/examples/autobahn-server.js"), "{port}"], "/",
           [], "bindings-node/examples/autobahn-server.js"),
    Target("node-ws", "server", [NODE, os.path.join(ROOT, "bindings-node/examples/ws-echo-server.js"), "{port}"], "/", [],
           "bindings-node/examples/ws-echo-server.js (the ws-compatible WebSocketServer)"),
    Target("wasm-echo", "server", [NODE, os.path.join(ROOT, "bindings-wasm/examples/echo-server.js"), "{port}"], "/", [],
           "bindings-wasm/examples/echo-server.js (the Node echo server's driver on the wasm engine)"),
]
CLIENTS = [
    Target("rust-tokio-client", "client", [os.path.join(RELEASE, "tokio_autobahn_client"), "--url", "ws://127.0.0.1:{port}", "--agent", "wsengine-tokio"],
           "/", [], "integrations/tokio/examples/tokio_autobahn_client.rs (wsengine-tokio)"),
    Target("rust-client", "client", [os.path.join(RELEASE, "autobahn_client"), "--url", "ws://127.0.0.1:{port}", "--agent", "wsengine-rust"],
           "/", [], "core/examples/autobahn_client.rs"),
    Target("python-client", "client", [PYTHON, os.path.join(HERE, "clients/autobahn_client.py"), "--url", "ws://127.0.0.1:{port}",
                                       "--agent", "wsengine-python"], "/", [], "tests/conformance/clients/autobahn_client.py"),
    Target("python-asyncio-client", "client", [PYTHON, os.path.join(HERE, "clients/asyncio_client.py"), "--url",
                                               "ws://127.0.0.1:{port}", "--agent", "wsengine-asyncio"], "/", [],
           "tests/conformance/clients/asyncio_client.py (wsengine.asyncio connect())"),
    Target("node-client", "client", [NODE, os.path.join(HERE, "clients/autobahn_client.js"), "--url", "ws://127.0.0.1:{port}",
                                     "--agent", "wsengine-node"], "/", [], "tests/conformance/clients/autobahn_client.js"),
    Target("w3c-client", "client", [NODE, os.path.join(HERE, "clients/autobahn_client_w3c.js"), "--url", "ws://127.0.0.1:{port}",
                                    "--agent", "wsengine-w3c"], "/", [], "tests/conformance/clients/autobahn_client_w3c.js"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def result_entry(case: Case, verdict: tuple[str, str, str, str], duration: float) -> dict:
    return {"result": verdict[0], "behavior": verdict[1], "behaviorClose": verdict[2], "reason": verdict[3],
            "description": case.description, "duration_ms": round(duration * 1000, 1)}


async def finish_run(case: Case, run: Run, reader: "asyncio.Task[None]", t0: float) -> dict:
    p = run.p
    try:
        await asyncio.wait_for(p.tcp_closed.wait(), case.timeout)
    except asyncio.TimeoutError:
        p.drop()
        run.behavior, run.result = FAILED, "case did not finish within %d s" % case.timeout
    try:
        await asyncio.wait_for(reader, 5)
    except asyncio.TimeoutError:
        pass
    return result_entry(case, run.judge(), time.monotonic() - t0)


async def drive(case: Case, run: Run) -> "asyncio.Task[None]":
    reader = asyncio.ensure_future(run.p.read_loop())
    try:
        await asyncio.wait_for(case.run(run), case.timeout)
    except asyncio.TimeoutError:
        run.p.drop()
    return reader


# ---------------------------------------------------------------- fuzzing client (tests servers)


async def run_case_against_server(case: Case, port: int, path: str, scale: Scale) -> dict:
    t0 = time.monotonic()
    try:
        peer, err = await client_connect("127.0.0.1", port, path, case.offers)
    except (OSError, asyncio.TimeoutError) as e:
        return result_entry(case, (FAILED, FAILED, FAILED, "cannot connect: %s" % e), time.monotonic() - t0)
    if err:
        return result_entry(case, (FAILED, FAILED, FAILED, "opening handshake: " + err), time.monotonic() - t0)
    run = Run(peer, scale)
    reader = await drive(case, run)
    return await finish_run(case, run, reader, t0)


async def test_server(t: Target, cases: list[Case], scale: Scale, log) -> dict:
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in t.argv]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    results: dict[str, dict] = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("%s did not start (exit %s): %s" % (t.name, proc.poll(), " ".join(argv)))
                await asyncio.sleep(0.1)
        for case in cases:
            results[case.id] = await run_case_against_server(case, port, t.path, scale)
            if proc.poll() is not None:
                results[case.id]["result"] = FAILED
                results[case.id]["reason"] += "; the server process exited (%s)" % proc.returncode
                break
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return results


# ---------------------------------------------------------------- fuzzing server (tests clients)


class FuzzingServer:
    """Speaks the Autobahn fuzzingserver conventions to one client under test."""

    def __init__(self, cases: list[Case], scale: Scale) -> None:
        self.cases = cases
        self.scale = scale
        self.results: dict[str, dict] = {}
        self.reports_updated = False
        self.errors: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.monotonic()
        try:
            status, headers = await asyncio.wait_for(read_head(reader), 10)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, Violation) as e:
            self.errors.append("bad request head: %s" % type(e).__name__)
            writer.close()
            return
        parts = status.split(" ")
        target = urllib.parse.urlsplit(parts[1] if len(parts) == 3 else "/")
        query = dict(urllib.parse.parse_qsl(target.query))
        key = headers.get("sec-websocket-key", [""])[0]
        problem = None
        if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
            problem = "request line %r" % status
        elif not has_token(headers, "upgrade", "websocket") or not has_token(headers, "connection", "upgrade"):
            problem = "no Upgrade: websocket / Connection: Upgrade"
        elif headers.get("sec-websocket-version", [""])[0] != "13":
            problem = "Sec-WebSocket-Version is not 13"
        elif len(key) != 24 or "host" not in headers:
            problem = "bad Sec-WebSocket-Key or no Host"
        case: Optional[Case] = None
        if target.path == "/runCase":
            try:
                case = self.cases[int(query.get("case", "0")) - 1]
            except (ValueError, IndexError):
                problem = problem or "no such case %r" % query.get("case")
        if problem:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            if case is not None:
                self.results[case.id] = result_entry(case, (FAILED, FAILED, FAILED, "opening handshake: " + problem), 0)
            else:
                self.errors.append(problem)
            return
        response = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: %s\r\n" % accept_key(key.encode()).decode())
        pmd = None
        if case is not None and case.accept is not None:
            offers, err = server_parse_offers(headers.get("sec-websocket-extensions", []))
            if err:
                self.results[case.id] = result_entry(case, (FAILED, FAILED, FAILED, "extension offer: " + err), 0)
                writer.close()
                return
            accepted = case.accept(offers)
            if accepted is not None:
                response += "Sec-WebSocket-Extensions: %s\r\n" % accepted[0]
                pmd = accepted[1]
        writer.write((response + "\r\n").encode())
        peer = Peer(reader, writer, is_client=False, pmd=pmd)
        if case is None:
            # /getCaseCount answers the number; /updateReports just closes.
            reader_task = asyncio.ensure_future(peer.read_loop())
            if target.path == "/getCaseCount":
                writer.write(encode_frame(1, str(len(self.cases)).encode()))
            elif target.path == "/updateReports":
                self.reports_updated = True
            await peer.send_close(1000)
            peer.kill_after(2)
            await reader_task
            return
        run = Run(peer, self.scale)
        reader_task = await drive(case, run)
        entry = await finish_run(case, run, reader_task, t0)
        self.results[case.id] = entry


async def test_client(t: Target, cases: list[Case], scale: Scale, log) -> dict:
    fs = FuzzingServer(cases, scale)
    server = await asyncio.start_server(fs.handle, "127.0.0.1", 0, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    argv = [a.replace("{port}", str(port)) for a in t.argv]
    proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=log)
    budget = 60 + sum(c.timeout for c in cases if c.id.startswith(("9.", "12.", "13."))) / 10
    try:
        rc = await asyncio.wait_for(proc.wait(), budget)
    except asyncio.TimeoutError:
        proc.kill()
        rc = await proc.wait()
        fs.errors.append("the client did not finish within %d s" % budget)
    server.close()
    await asyncio.sleep(0.1)
    results = fs.results
    for c in cases:
        if c.id not in results:
            results[c.id] = result_entry(c, (FAILED, FAILED, FAILED, "the client never ran this case"), 0)
    if rc != 0:
        fs.errors.append("the client exited with %s" % rc)
    if not fs.reports_updated:
        fs.errors.append("the client never requested /updateReports")
    return {"cases": results, "errors": fs.errors}


# ---------------------------------------------------------------- report


def allowed(t: Target, case_id: str, result: str) -> bool:
    if result in (OK, INFORMATIONAL):
        return True
    return any(a.verdict == result and any(fnmatch.fnmatch(case_id, pat) for pat in a.cases) for a in t.allow)


def summarize(t: Target, results: dict[str, dict], errors: list[str]) -> tuple[bool, list[str]]:
    lines = []
    sections: dict[str, dict[str, int]] = {}
    for cid, r in results.items():
        sec = cid.split(".")[0]
        sections.setdefault(sec, {})
        sections[sec][r["result"]] = sections[sec].get(r["result"], 0) + 1
    names = ["OK", "NON-STRICT", "FAILED", "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT", "INFORMATIONAL", "UNIMPLEMENTED"]
    lines.append("%-10s" % "section" + "".join("%15s" % n for n in names))
    for sec in sorted(sections, key=int):
        lines.append("%-10s" % sec + "".join("%15s" % (sections[sec].get(n, "") or ".") for n in names))
    total = {n: sum(s.get(n, 0) for s in sections.values()) for n in names}
    lines.append("%-10s" % "total" + "".join("%15s" % (total[n] or ".") for n in names))
    good = not errors
    for cid in sorted(results, key=lambda x: tuple(int(p) for p in x.split("."))):
        r = results[cid]
        if not allowed(t, cid, r["result"]):
            good = False
            lines.append("  %-9s %-16s %s" % (cid, r["result"], r["reason"]))
    for a in t.allow:
        hit = [cid for cid, r in results.items() if r["result"] == a.verdict and any(fnmatch.fnmatch(cid, p) for p in a.cases)]
        if hit:
            lines.append("  allowed: %d %s (%s): %s" % (len(hit), a.verdict, ", ".join(a.cases), a.reason))
    for e in errors:
        lines.append("  error: " + e)
    return good, lines


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1] if __doc__ else None)
    ap.add_argument("--servers", default=",".join(t.name for t in SERVERS), help="servers to test ('' for none)")
    ap.add_argument("--clients", default=",".join(t.name for t in CLIENTS), help="clients to test ('' for none)")
    ap.add_argument("--cases", default="", help="case filter, e.g. 1,2.5,6.4,12.1.1 (default: all)")
    ap.add_argument("--full", action="store_true", help="Autobahn's sizes and counts in sections 9, 12 and 13")
    ap.add_argument("--report", default=os.path.join(ROOT, "target", "conformance", "report.json"))
    ap.add_argument("-v", "--verbose", action="store_true", help="show the implementations' stderr")
    args = ap.parse_args()
    scale = Scale(full=args.full)
    cases = select(args.cases)
    if not cases:
        print("no case matches %r" % args.cases)
        return 2
    wanted = [t for t in SERVERS if t.name in args.servers.split(",")] + [t for t in CLIENTS if t.name in args.clients.split(",")]
    unknown = set(filter(None, args.servers.split(",") + args.clients.split(","))) - {t.name for t in SERVERS + CLIENTS}
    if unknown:
        print("unknown implementation(s): %s" % ", ".join(sorted(unknown)))
        return 2
    os.makedirs(os.path.dirname(args.report), exist_ok=True)
    log = None if args.verbose else subprocess.DEVNULL
    report = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S"), "full": args.full, "cases": len(cases), "implementations": {}}
    all_good = True
    not_ok: list[str] = []
    for t in wanted:
        t0 = time.monotonic()
        print("=== %s (%s: %s), %d cases" % (t.name, t.kind, t.note, len(cases)), flush=True)
        errors: list[str] = []
        try:
            if t.kind == "server":
                results = await test_server(t, cases, scale, log)
            else:
                out = await test_client(t, cases, scale, log)
                results, errors = out["cases"], out["errors"]
        except RuntimeError as e:
            results, errors = {}, [str(e)]
        good, lines = summarize(t, results, errors)
        all_good &= good
        not_ok += ["%s: %s" % (t.name, line.strip()) for line in lines if line.startswith("  ") and "allowed:" not in line]
        print("\n".join(lines))
        print("=== %s: %s in %.1f s" % (t.name, "all OK" if good else "NOT OK", time.monotonic() - t0), flush=True)
        report["implementations"][t.name] = {"role": t.kind, "what": t.note, "ok": good, "errors": errors,
                                             "allowed": [{"verdict": a.verdict, "cases": a.cases, "reason": a.reason} for a in t.allow], "cases": results}
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    print("report: %s" % os.path.relpath(args.report, ROOT))
    if not_ok:
        # Repeated last, so that a log's tail names every case and error that was not OK.
        print("not OK:\n  " + "\n  ".join(not_ok))
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
