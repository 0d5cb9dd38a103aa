"""Turns websockets-style keyword arguments (seconds, ``max_size``, ``compression``...) into
the engine's Config (milliseconds, the core's names), so every knob of the core is reachable:
the websockets names, a whole ``config=wsengine.Config(...)``, or any Config field as a
keyword argument (those win)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import wsengine

__all__ = ["build_config", "DEFAULT"]


class _Default:
    """Marks an argument left at its default (websockets' defaults apply unless a Config was
    given, whose own values then stand)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else max(1, int(seconds * 1000))


def build_config(
    config: Optional[wsengine.Config],
    *,
    compression: Any,
    open_timeout: Any,
    ping_interval: Any,
    ping_timeout: Any,
    close_timeout: Any,
    max_size: Any,
    subprotocols: Optional[Sequence[str]] = None,
    options: Dict[str, Any],
) -> wsengine.Config:
    """The Config of a connection. websockets' defaults (1 MiB messages, 20 s keepalive,
    10 s handshake and close timeouts, permessage-deflate offered/accepted) apply to arguments
    left at DEFAULT when no ``config`` is given."""
    defaults = config is None
    changes: Dict[str, Any] = {}

    def pick(value: Any, default: Any) -> Any:
        if value is DEFAULT:
            return default if defaults else DEFAULT
        return value

    comp = pick(compression, "deflate")
    if comp is not DEFAULT:
        if comp not in (None, "deflate"):
            raise ValueError(f"unsupported compression: {comp!r} (None or 'deflate')")
        if comp == "deflate" and wsengine.DEFLATE_AVAILABLE:
            changes["deflate"] = wsengine.DeflateConfig()
        else:
            changes["deflate"] = None
    for name, value, default in (
        ("handshake_timeout", open_timeout, 10.0),
        ("ping_interval", ping_interval, 20.0),
        ("pong_timeout", ping_timeout, 20.0),
        ("close_timeout", close_timeout, 10.0),
    ):
        v = pick(value, default)
        if v is not DEFAULT:
            changes[name] = _ms(v)
    size = pick(max_size, 1 << 20)
    if size is not DEFAULT:
        limit = (1 << 62) if size is None else int(size)
        changes["max_message_size"] = limit
        changes["max_frame_size"] = limit
    if subprotocols is not None:
        changes["protocols"] = list(subprotocols)
    changes.update(options)
    # Pong events resolve the awaitables ping() returns.
    changes["surface_pongs"] = True
    base = config if config is not None else wsengine.Config()
    return base.replace(**changes)
