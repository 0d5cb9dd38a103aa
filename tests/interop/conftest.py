"""Starts the demo server (wsengine-tokio's `demo` example, built by the test command) on a free
loopback port."""
import os
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "target", "release", "examples")
DEMO = os.path.join(EXAMPLES, "demo")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra: str):
    port = free_port()
    proc = subprocess.Popen([DEMO, "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("demo server did not start")


@pytest.fixture
def demo():
    proc, port = start_server()
    yield port
    proc.kill()
    proc.wait()


@pytest.fixture
def demo_two_sessions():
    proc, port = start_server("--max-sessions", "2")
    yield port
    proc.kill()
    proc.wait()
