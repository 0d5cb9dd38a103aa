#!/usr/bin/env python3
"""Writes seed inputs for every fuzz target from the shared vectors (tests/vectors/*.json).

    python3 fuzz/seed.py [OUT_DIR]     # default: fuzz/seeds

Each target's input starts with a few control bytes (see fuzz/harness/src); the seeds use
defaults for them and put the vector's bytes behind:

- frame_header: each `receive` step.
- http_request: requests (`receive_text`) of the handshake vectors.
- http_response: the expected server output of the handshake vectors (101s and refusals).
- extensions: `Sec-WebSocket-Extensions` values from the vectors and the RFC 7692 examples.
- inflate: the compressed payloads (unmasked) of the deflate vectors.
- server_conn / client_conn: `V1` + flags + the received bytes ("vector mode": fed whole and
  byte by byte, which must give the same events and output).
"""
import glob
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "tests", "vectors")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "seeds")


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames(data):
    """Yields (first byte, unmasked payload) of each complete frame."""
    i = 0
    while i + 2 <= len(data):
        b0, b1 = data[i], data[i + 1]
        n = b1 & 0x7F
        j = i + 2
        if n == 126:
            n = int.from_bytes(data[j:j + 2], "big")
            j += 2
        elif n == 127:
            n = int.from_bytes(data[j:j + 8], "big")
            j += 8
        key = None
        if b1 & 0x80:
            key = data[j:j + 4]
            j += 4
        payload = data[j:j + n]
        if len(payload) < n:
            return
        if key:
            payload = bytes(b ^ key[k % 4] for k, b in enumerate(payload))
        yield b0, payload
        i = j + n


def main():
    extensions = {
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=10, permessage-deflate",
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        'permessage-deflate; server_max_window_bits="10"; client_max_window_bits=12',
        "x-foo; a=1, permessage-deflate; client_max_window_bits=8",
    }
    delivery_flags = {"messages": 0, "frames": 8}
    for path in sorted(glob.glob(os.path.join(VECTORS, "*.json"))):
        for case in json.load(open(path))["cases"]:
            cfg = case.get("config", {})
            flags = 0
            if case.get("role") == "client":
                flags |= 1
            if case.get("extensions"):
                flags |= 2
                extensions.add(case["extensions"])
            d = cfg.get("delivery", "messages")
            flags |= delivery_flags.get(d, 4) if isinstance(d, str) else 4
            if case.get("start") == "handshake":
                flags |= 0x10
            if cfg.get("ignore_utf8_errors"):
                flags |= 0x20
            if cfg.get("surface_pings") or cfg.get("surface_pongs"):
                flags |= 0x40
            stream = b""
            for step in case["steps"]:
                if "receive" in step:
                    b = bytes.fromhex(step["receive"])
                    write("frame_header", b[:32])
                    stream += b
                    if case.get("extensions"):
                        msg = b""
                        for b0, payload in frames(b):
                            msg += payload
                            if b0 & 0x80:
                                write("inflate", bytes([0xFF, 0xFF, 0x00, 0xFF]) + msg)
                                msg = b""
                elif "receive_text" in step:
                    b = step["receive_text"].encode("latin-1")
                    stream += b
                    if b.startswith(b"GET") or b"HTTP/1" in b[:64]:
                        write("http_request", bytes([0xFF, 63, 0xFF]) + b)
                        for line in b.split(b"\r\n"):
                            if line.lower().startswith(b"sec-websocket-extensions:"):
                                extensions.add(line.split(b":", 1)[1].strip().decode("latin-1"))
            for key in ("output", "output_prefix"):
                if case.get(key) and bytes.fromhex(case[key]).startswith(b"HTTP/"):
                    write("http_response", bytes([0xFF, 63, 0xFF, 0x07]) + bytes.fromhex(case[key]))
            if stream:
                target = "client_conn" if flags & 1 else "server_conn"
                write(target, b"V1" + bytes([flags]) + stream)
    for e in sorted(extensions):
        write("extensions", bytes([0x77, 0x00, 0x00]) + e.encode("latin-1"))
    write("inflate", bytes([0xFF, 0xFF, 0x80, 0xFF]) + b"Hello\xffHello, Hello\xff" + bytes(range(256)))


if __name__ == "__main__":
    main()
