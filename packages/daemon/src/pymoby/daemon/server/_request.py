"""What a handler receives: the request, its query, its streamed body.

The body is never buffered whole by the server: :class:`BodyReader` hands
out chunks as they arrive and pauses the socket when a handler falls behind
(:data:`BODY_HIGH_WATER`), so a multi-gigabyte image upload streams through.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, unquote

from pymoby import api, errdefs

__all__ = ["BodyReader", "Handler", "QueryArgs", "Request", "bool_value"]

T = TypeVar("T")

#: Buffered body bytes above which the server stops reading the socket.
BODY_HIGH_WATER = 1 << 20
#: ... and below which it starts again.
BODY_LOW_WATER = 1 << 18

_FALSE = frozenset({"", "0", "no", "false", "none"})


def bool_value(value: str | None) -> bool:
    """Docker's reading of a boolean query value: absent, ``""``, 0, no, false, none are false."""
    return value is not None and value.strip().lower() not in _FALSE


class _FlowControl(Protocol):
    def pause_body(self) -> None: ...
    def resume_body(self) -> None: ...


class BodyReader:
    """The request body, streamed. ``receive()`` returns ``b""`` at its end.

    Raises :class:`errdefs.Cancelled` from ``receive`` when the client went
    away before sending the whole body.
    """

    __slots__ = ("_cached", "_chunks", "_ended", "_flow", "_lost", "_paused", "_size", "_waiter", "expected")

    def __init__(self, flow: _FlowControl | None, expected: int | None) -> None:
        self._flow = flow
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._ended = flow is None
        self._lost = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._cached: bytes | None = None
        #: The Content-Length the client announced, ``None`` for a chunked body.
        self.expected = expected

    @classmethod
    def of(cls, data: bytes) -> BodyReader:
        """A reader over bytes already in hand (tests, fakes)."""
        reader = cls(None, len(data))
        if data:
            reader._chunks.append(data)
            reader._size = len(data)
        return reader

    # -- fed by the connection -------------------------------------------------
    def _feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size > BODY_HIGH_WATER and not self._paused and self._flow is not None:
            self._paused = True
            self._flow.pause_body()
        self._wake()

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _connection_lost(self) -> None:
        if not self._ended:
            self._lost = True
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def complete(self) -> bool:
        """Whether the whole body has arrived (nothing more will be fed)."""
        return self._ended

    # -- read by the handler ---------------------------------------------------
    async def receive(self) -> bytes:
        """The next chunk of the body, ``b""`` once it has all been read."""
        while not self._chunks:
            if self._ended:
                if self._lost:
                    raise errdefs.Cancelled("the client closed the connection before sending the whole body")
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunk = self._chunks.popleft()
        self._size -= len(chunk)
        if self._paused and self._size < BODY_LOW_WATER and self._flow is not None:
            self._paused = False
            self._flow.resume_body()
        return chunk

    async def read_all(self, limit: int = 64 << 20) -> bytes:
        """The whole body (at most ``limit`` bytes, else ``InvalidParameter``); may be called again."""
        if self._cached is not None:
            return self._cached
        parts: list[bytes] = []
        total = 0
        while chunk := await self.receive():
            total += len(chunk)
            if total > limit:
                raise errdefs.InvalidParameter(f"request body larger than {limit} bytes")
            parts.append(chunk)
        self._cached = b"".join(parts)
        if self._cached:
            # Still readable by receive(): a middleware may read it before the handler.
            self._chunks.append(self._cached)
            self._size += len(self._cached)
        return self._cached

    async def discard(self) -> None:
        """Read and drop what is left (done by the server before the next request)."""
        while await self.receive():
            pass


#: Shared by every request without a body: reading it gives b"" and changes nothing.
_NO_BODY = BodyReader.of(b"")


class QueryArgs(Mapping[str, str]):
    """The query string: the first value of each name, plus typed getters."""

    __slots__ = ("_all",)

    def __init__(self, raw: str) -> None:
        self._all: dict[str, list[str]] = parse_qs(raw, keep_blank_values=True) if raw else {}

    def __getitem__(self, name: str) -> str:
        return self._all[name][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def get_all(self, name: str) -> list[str]:
        """Every value given for ``name`` (``?t=a&t=b``)."""
        return list(self._all.get(name, ()))

    def get_bool(self, name: str, default: bool = False) -> bool:
        """``name`` read as Docker reads booleans; ``default`` when absent."""
        if name not in self._all:
            return default
        return bool_value(self[name])

    def get_int(self, name: str, default: int = 0) -> int:
        """``name`` as an integer; ``InvalidParameter`` when it is not one."""
        value = self._all.get(name)
        if not value or value[0] == "":
            return default
        try:
            return int(value[0])
        except ValueError:
            raise errdefs.InvalidParameter(f"invalid value for {name}: {value[0]!r}") from None

    def get_filters(self, name: str = "filters") -> api.Filters:
        """The ``filters`` argument parsed; ``InvalidParameter`` when malformed."""
        return api.Filters.from_query(self.get(name))


class Request:
    """One HTTP request as a handler sees it.

    ``path`` is without the ``/vX.Y`` prefix; ``api_version`` is the version
    the client asked for (the server's own when it gave none) once the version
    middleware has run. ``vars`` holds the path parameters of the route.
    Middlewares add headers for the answer to ``response_headers`` (raw
    ``Name: value\\r\\n`` lines), as Go's ``w.Header().Set`` before the handler.
    """

    __slots__ = (
        "_query",
        "api_version",
        "body",
        "headers",
        "hijack",
        "keep_alive",
        "method",
        "path",
        "raw_query",
        "raw_version",
        "remote",
        "response_headers",
        "route",
        "upgrade",
        "vars",
    )

    def __init__(
        self,
        method: str,
        path: str,
        raw_query: str = "",
        headers: dict[str, str] | None = None,
        body: BodyReader | None = None,
        *,
        raw_version: str | None = None,
        upgrade: bool = False,
        remote: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.headers: dict[str, str] = headers if headers is not None else {}
        self.body = body if body is not None else _NO_BODY
        self.raw_version = raw_version
        self.api_version = raw_version or api.API_VERSION
        self.upgrade = upgrade
        self.remote = remote
        self.vars: dict[str, str] = {}
        self.response_headers = b""
        #: The matched route (set by the server before the handler runs).
        self.route: Any = None
        self.hijack = False
        self.keep_alive = True
        self._query: QueryArgs | None = None

    @classmethod
    def from_target(cls, method: str, target: str, **kwargs: Any) -> Request:
        """Build a request from a request target (``/v1.45/info?x=1``), splitting the version prefix."""
        path, _, query = target.partition("?")
        if "%" in path:
            path = unquote(path)
        version = None
        if path[1:2] == "v" and path[2:3].isdigit():
            slash = path.find("/", 2)
            version, path = (path[2:], "/") if slash < 0 else (path[2:slash], path[slash:])
        return cls(method, path, query, raw_version=version, **kwargs)

    @property
    def query(self) -> QueryArgs:
        """The parsed query string (parsed on first use)."""
        if self._query is None:
            self._query = QueryArgs(self.raw_query)
        return self._query

    def set_response_header(self, name: str, value: str) -> None:
        """Add a header to whatever answer this request gets (errors included)."""
        self.response_headers += f"{name}: {value}\r\n".encode("latin-1")

    async def json(self, type: type[T]) -> T:  # noqa: A002 - msgspec's name
        """Decode the JSON body as ``type``; ``InvalidParameter`` naming the field when it does not fit."""
        data = await self.body.read_all()
        if not data.strip():
            raise errdefs.InvalidParameter("invalid JSON: request body is empty")
        return api.decode(data, type)


Handler = Callable[[Request], Awaitable[Any]]
