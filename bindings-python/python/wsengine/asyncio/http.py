"""The HTTP side of a WebSocket connection: the upgrade request and its response, with
case-insensitive multi-valued headers (RFC 9110 §5.3: a field may repeat)."""

from __future__ import annotations

from typing import Iterable, Iterator, List, Mapping, Optional, Set, Tuple, Union

__all__ = ["Headers", "Request", "Response"]

HeadersLike = Union["Headers", Mapping[str, str], Iterable[Tuple[str, str]]]


class Headers(Mapping[str, str]):
    """HTTP header fields in arrival order; lookup ignores case. ``headers[name]`` is the
    first value (KeyError if absent), ``get_all(name)`` every value."""

    __slots__ = ("_items",)

    def __init__(self, items: Optional[HeadersLike] = None) -> None:
        if items is None:
            self._items: List[Tuple[str, str]] = []
        elif isinstance(items, Headers):
            self._items = list(items._items)
        elif isinstance(items, Mapping):
            self._items = [(str(k), str(v)) for k, v in items.items()]
        else:
            self._items = [(str(k), str(v)) for k, v in items]

    def __getitem__(self, name: str) -> str:
        key = name.lower()
        for k, v in self._items:
            if k.lower() == key:
                return v
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: Set[str] = set()
        for k, _ in self._items:
            if k.lower() not in seen:
                seen.add(k.lower())
                yield k

    def __len__(self) -> int:
        return len({k.lower() for k, _ in self._items})

    def get_all(self, name: str) -> List[str]:
        """Every value of the field ``name``, in order."""
        key = name.lower()
        return [v for k, v in self._items if k.lower() == key]

    def raw_items(self) -> List[Tuple[str, str]]:
        """Every (name, value) pair as received, repeats included."""
        return list(self._items)

    def append(self, name: str, value: str) -> None:
        """Adds a field (keeps any existing one of that name)."""
        self._items.append((name, value))

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Request:
    """The client's upgrade (or plain HTTP) request: ``method``, ``path`` (the request
    target, query included) and ``headers``."""

    __slots__ = ("method", "path", "headers")

    def __init__(self, path: str, headers: Headers, method: str = "GET") -> None:
        self.method = method
        self.path = path
        self.headers = headers

    def __repr__(self) -> str:
        return f"Request({self.method} {self.path!r})"


class Response:
    """An HTTP response: the server's 101 answer, a refusal, or the answer of a
    process_request hook (``status_code``, ``reason_phrase``, ``headers``, ``body``)."""

    __slots__ = ("status_code", "reason_phrase", "headers", "body")

    def __init__(self, status_code: int, reason_phrase: str = "", headers: Optional[HeadersLike] = None,
                 body: bytes = b"") -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status_code} {self.reason_phrase!r})"
