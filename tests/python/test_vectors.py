"""Runs the shared JSON vectors of tests/vectors/ (the same files the Rust, Node and WASM
suites run) against the Python binding, whole and byte by byte, through every input path:
receive_data() + events(), receive(bytes) (the core's receive_with, messages lent) and
receive(bytearray) (read in place, events queued). They must all give the same events and
output. With `"echo": true` a case answers every text and binary message as it is taken
(answers.json: they must reach the wire before the engine's close frame)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import wsengine

VECTORS = pathlib.Path(__file__).resolve().parent.parent / "vectors"


def load_cases() -> list[Any]:
    params = []
    for path in sorted(VECTORS.glob("*.json")):
        doc = json.loads(path.read_text())
        for case in doc["cases"]:
            if "steps" not in case:
                continue  # codec-level vectors (deflate_rfc7692.json) run in the core's unit tests
            marks = []
            if case.get("requires") == "deflate" and not wsengine.DEFLATE_AVAILABLE:
                marks.append(pytest.mark.skip(reason="built without permessage-deflate"))
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}", marks=marks))
    return params


def make_config(spec: dict[str, Any] | None) -> wsengine.Config:
    config = wsengine.Config()
    for key, value in (spec or {}).items():
        if key == "delivery" and isinstance(value, dict):
            value = value["chunks"]
        if key == "deflate":
            value = wsengine.DeflateConfig(**value)  # type: ignore[attr-defined]
        setattr(config, key, value)
    return config


def event_json(ev: wsengine.Event) -> dict[str, Any]:
    match ev:
        case wsengine.Request():
            return {"type": "request", "path": ev.path, "query": ev.query, "protocols": ev.protocols, "origin": ev.origin}
        case wsengine.HttpRequest():
            return {"type": "http_request", "path": ev.path}
        case wsengine.Open(protocol=p, extensions=e):
            return {"type": "open", "protocol": p, "extensions": e}
        case wsengine.Rejected():
            return {"type": "rejected", "status": ev.status, "body_hex": ev.body.hex()}
        case wsengine.ProxyConnected():
            return {"type": "proxy_connected"}
        case wsengine.TextMessage(data):
            return {"type": "text", "data": data}
        case wsengine.BinaryMessage(data):
            return {"type": "binary", "hex": data.hex()}
        case wsengine.Chunk(kind, data, first, last):
            return {"type": "chunk", "kind": kind, "hex": data.hex(), "first": first, "last": last}
        case wsengine.Ping(data):
            return {"type": "ping", "hex": data.hex()}
        case wsengine.Pong(data):
            return {"type": "pong", "hex": data.hex()}
        case wsengine.CloseReceived(code, reason):
            return {"type": "close_received", "code": code, "reason": reason}
        case wsengine.Failed(kind, close_code):
            return {"type": "failed", "kind": kind, "close_code": close_code}
        case wsengine.Closed(code, reason, was_clean):
            return {"type": "closed", "code": code, "reason": reason, "was_clean": was_clean}
        case wsengine.Writable():
            return {"type": "writable"}
    raise AssertionError(f"unknown event {ev!r}")


INPUTS = ["receive_data", "receive_bytes", "receive_bytearray"]


def run(case: dict[str, Any], bytewise: bool, via: str = "receive_data") -> tuple[list[dict[str, Any]], bytes]:
    config = make_config(case.get("config"))
    conn: wsengine.Connection
    if case["start"] == "open":
        conn = wsengine.open_connection(case["role"], config, extensions=case.get("extensions"))
    else:
        conn = wsengine.ServerConnection(config)
    events: list[dict[str, Any]] = []
    output = bytearray()

    def record(evs: list[wsengine.Event]) -> None:
        for ev in evs:
            if isinstance(ev, wsengine.Open) and case["start"] == "open":
                continue
            events.append(event_json(ev))
            if case.get("echo"):
                if isinstance(ev, wsengine.TextMessage):
                    conn.send_text(ev.data)
                elif isinstance(ev, wsengine.BinaryMessage):
                    conn.send_binary(ev.data)

    def drain() -> None:
        while True:
            evs = conn.events()
            if not evs:
                break
            record(evs)
        output.extend(conn.data_to_send())

    def feed(data: bytes) -> None:
        pieces = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
        for piece in pieces:
            if via == "receive_data":
                conn.receive_data(piece)
            elif via == "receive_bytes":
                record(conn.receive(piece))
            else:
                record(conn.receive(bytearray(piece)))

    drain()
    for step in case["steps"]:
        error: str | None = None
        try:
            if "receive" in step:
                feed(bytes.fromhex(step["receive"]))
            elif "receive_text" in step:
                feed(step["receive_text"].encode())
            elif "receive_eof" in step:
                conn.receive_eof()
            elif "accept" in step:
                conn.accept(protocol=step["accept"].get("protocol"))
            elif "reject" in step:
                conn.reject(step["reject"]["status"])
            elif "send_text" in step:
                conn.send_text(step["send_text"])
            elif "send_binary" in step:
                conn.send_binary(bytes.fromhex(step["send_binary"]))
            elif "ping" in step:
                conn.ping(bytes.fromhex(step["ping"]))
            elif "pong" in step:
                conn.pong(bytes.fromhex(step["pong"]))
            elif "close" in step:
                conn.close(step["close"].get("code"), step["close"].get("reason", ""))
            elif "handle_timeout" in step:
                conn.handle_timeout(step["handle_timeout"])
            else:
                raise AssertionError(f"unknown step {step}")
        except wsengine.WebSocketError as e:
            error = e.kind  # type: ignore[attr-defined]
        assert error == step.get("error"), f"step {step}: expected error {step.get('error')}, got {error}"
        drain()
    return events, bytes(output)


def matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(k in actual and actual[k] == v for k, v in expected.items())


CASES = load_cases()


def test_vectors_are_present() -> None:
    assert len(CASES) > 100


@pytest.mark.parametrize("case", CASES)
def test_vector(case: dict[str, Any]) -> None:
    events, output = run(case, bytewise=False)
    expected = case["events"]
    assert len(events) == len(expected) and all(matches(e, a) for e, a in zip(expected, events)), (
        f"\nexpected {expected}\ngot      {events}"
    )
    if "output" in case:
        assert output.hex() == case["output"]
    if "output_prefix" in case:
        assert output.hex().startswith(case["output_prefix"])
    for via in INPUTS:
        for bytewise in (False, True):
            if via == "receive_data" and not bytewise:
                continue
            other_events, other_output = run(case, bytewise=bytewise, via=via)
            assert other_events == events, f"{via}, bytewise={bytewise}"
            if case["role"] == "server":  # a client's output is masked with fresh random keys
                assert other_output == output, f"{via}, bytewise={bytewise}"
