"""Config and DeflateConfig follow the core's configuration schema: the options, their kinds
and defaults come from the core (Config.OPTIONS), the type stub declares exactly those, and the
core checks every value."""

from __future__ import annotations

import ast
import pathlib
from typing import Dict

import pytest

import wsengine

STUB = pathlib.Path(wsengine.__file__).with_name("_wsengine.pyi")

# How the stub spells each kind of the core's schema.
STUB_TYPE = {
    "count": "int",
    "optional_count": "Optional[int]",
    "flag": "bool",
    "millis": "Optional[int]",
    "strings": "List[str]",
    "optional_strings": "Optional[List[str]]",
    "delivery": "_Delivery",
    "window_bits": "Optional[int]",
    "deflate": "Optional[DeflateConfig]",
}


def stub_attributes(cls: str) -> Dict[str, str]:
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    raise AssertionError(f"no class {cls} in {STUB}")


def test_the_stub_declares_every_option_of_the_schema_with_its_kind() -> None:
    declared = stub_attributes("Config")
    schema = dict(wsengine.Config.OPTIONS)
    assert list(declared) == list(schema)
    for name, kind in schema.items():
        assert declared[name] == STUB_TYPE[kind], name


def test_every_option_reads_back_what_was_set() -> None:
    c = wsengine.Config()
    values = {
        "count": 12345,
        "optional_count": None,
        "flag": True,
        "millis": 250,
        "strings": ["chat", "superchat"],
        "optional_strings": ["https://example.com"],
        "delivery": "frames",
    }
    for name, kind in wsengine.Config.OPTIONS:
        if kind in values:
            setattr(c, name, values[kind])
            assert getattr(c, name) == values[kind], name
    assert "max_frame_size=12345" in repr(c)


def test_defaults_are_the_cores() -> None:
    c = wsengine.Config()
    assert (c.max_frame_size, c.max_headers, c.pong_timeout, c.ping_interval) == (16 << 20, 64, 20000, None)
    assert c.delivery == "messages" and c.protocols == [] and c.allowed_origins is None


def test_the_core_checks_each_value() -> None:
    with pytest.raises(TypeError, match="unknown Config option"):
        wsengine.Config(max_frame=1)
    with pytest.raises(ValueError, match="handshake_timeout must be a non-negative number"):
        wsengine.Config(handshake_timeout=-5)
    with pytest.raises(ValueError, match="delivery must be"):
        wsengine.Config(delivery="lines")
    with pytest.raises(TypeError, match="protocols must be a list of strings"):
        wsengine.Config(protocols=7)
    assert wsengine.Config(delivery=512).delivery == 512
    with pytest.raises(AttributeError):
        wsengine.Config().no_such_option


def test_deflate_options_follow_the_schema() -> None:
    names = [name for name, _ in wsengine.DeflateConfig.OPTIONS]
    assert "client_max_window_bits" in names and "compression_level" in names
    d = wsengine.DeflateConfig(server_max_window_bits=10, compression_level=1)
    c = wsengine.Config(deflate=d)
    assert c.deflate is not None
    assert (c.deflate.server_max_window_bits, c.deflate.compression_level) == (10, 1)
    # A dict of the same names works too, and True means the defaults.
    assert wsengine.Config(deflate={"threshold": 0}).deflate.threshold == 0
    assert wsengine.Config(deflate=True).deflate.client_max_window_bits == 12
    with pytest.raises(ValueError, match="window_bits must be an integer from 8 to 15"):
        wsengine.DeflateConfig(client_max_window_bits=7)
    with pytest.raises(TypeError, match="unknown DeflateConfig option"):
        wsengine.DeflateConfig(window=9)
