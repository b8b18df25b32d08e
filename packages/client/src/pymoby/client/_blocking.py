"""The blocking Engine API client: plain request/response calls without an event loop.

:class:`BlockingClient` builds requests as :class:`~pymoby.client.AsyncClient`
does (the same API version negotiation, query encoding and error kinds) and
sends them over :class:`~pymoby.client._http11.BlockingTransport`. It imports
neither asyncio, anyio, h11 nor msgspec until a typed answer is decoded, so a
one-shot command line starts fast.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from pymoby import errdefs

from ._errors import error_from_response
from ._hosts import RawResponse, TLSConfig, resolve_host_and_tls
from ._http11 import BlockingTransport

__all__ = ["API_VERSION", "MIN_API_VERSION", "BlockingClient", "Ping", "negotiate_version", "run_to_completion"]

T = TypeVar("T")
Query = Mapping[str, str | int | bool | Sequence[str] | None]

#: The newest API version the client speaks (``pymoby.api.API_VERSION``, kept here so that
#: a blocking call does not import the API types).
API_VERSION = "1.45"
#: The oldest API version a daemon may answer with (``pymoby.api.MIN_API_VERSION``).
MIN_API_VERSION = "1.24"


@dataclass(frozen=True, slots=True)
class Ping:
    """What ``/_ping`` says about the daemon."""

    api_version: str
    os_type: str
    experimental: bool
    builder_version: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Ping:
        """The ping answer's headers (lower-case names) read."""
        return cls(
            api_version=headers.get("api-version", ""),
            os_type=headers.get("ostype", ""),
            experimental=headers.get("docker-experimental", "false") == "true",
            builder_version=headers.get("builder-version", ""),
        )


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        parts = tuple(int(part) for part in version.split("."))
    except ValueError:
        raise errdefs.InvalidParameter(f"invalid API version: {version!r}") from None
    if any(part < 0 for part in parts):
        raise errdefs.InvalidParameter(f"invalid API version: {version!r}")
    return parts


def negotiate_version(theirs: str) -> str:
    """The version to use with a daemon whose ``/_ping`` said ``theirs``: its own, at most ours.

    Raises ``errdefs.InvalidParameter`` when ``theirs`` is not a version number.
    """
    theirs = theirs or MIN_API_VERSION
    a, b = _version_tuple(theirs), _version_tuple(API_VERSION)
    width = max(len(a), len(b))
    return theirs if a + (0,) * (width - len(a)) < b + (0,) * (width - len(b)) else API_VERSION


def query_string(query: Query | None) -> str:
    """``?a=1&b=x`` for ``query``: ``None`` values left out, booleans as ``1``/``0``, sequences repeated."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((name, "1" if value else "0"))
        elif isinstance(value, str | int):
            pairs.append((name, str(value)))
        else:
            pairs.extend((name, v) for v in value)
    return "?" + urlencode(pairs) if pairs else ""


def request_target(version: str | None, path: str, query: Query | None) -> str:
    """The request target: ``/v{version}{path}?{query}`` (no prefix when ``version`` is ``None``)."""
    prefix = f"/v{version}" if version is not None else ""
    return prefix + quote(path, safe="/:@") + query_string(query)


def encode_json(body: object) -> bytes:
    """``body`` as JSON: plain data with the standard library, API structs with pymoby.api."""
    if isinstance(body, dict | list | str | int | float | bool):
        try:
            return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError):
            pass  # structs inside, bytes, NaN: pymoby.api's encoding
    from pymoby import api

    return api.encode(body)


class BlockingClient:
    """An Engine API client for plain request/response calls, without an event loop.

    ``host`` defaults to ``DOCKER_HOST`` (then ``unix:///var/run/docker.sock``);
    ``tls`` to ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``. ``version`` pins the
    API version; by default it is negotiated with ``/_ping`` on first use.
    Errors are :mod:`pymoby.errdefs` kinds: ``Unavailable`` when the daemon
    cannot be reached, the kind of the HTTP status otherwise. Usable from
    several threads at once.
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        tls: TLSConfig | None = None,
        version: str | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        parsed, tls = resolve_host_and_tls(host, tls)
        self.transport = BlockingTransport(parsed, tls, timeout)
        self._version = version
        self._lock = threading.Lock()

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close idle connections."""
        self.transport.close()

    def api_version(self) -> str:
        """The API version used: the pinned one, else the daemon's (at most ours)."""
        if self._version is None:
            with self._lock:
                if self._version is None:
                    self._version = negotiate_version(self.ping().api_version)
        return self._version

    def ping(self) -> Ping:
        """``GET /_ping``: the daemon's API version, OS and features."""
        response, content = self.transport.request("GET", "/_ping")
        if response.status >= 400:
            raise error_from_response(response.status, content)
        return Ping.from_headers(response.headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[RawResponse, bytes]:
        """Send a request; raise the errdefs kind on >= 400.

        ``body`` is sent as it is when bytes, else encoded as JSON.
        """
        all_headers: list[tuple[str, str]] = []
        data: bytes | None
        if body is None or isinstance(body, bytes):
            data = body
        else:
            data = encode_json(body)
            all_headers.append(("Content-Type", "application/json"))
        all_headers.extend((headers or {}).items())
        target = request_target(self.api_version(), path, query)
        response, content = self.transport.request(method, target, all_headers, data)
        if response.status >= 400:
            raise error_from_response(response.status, content)
        return response, content

    def request_json(self, method: str, path: str, type: type[T], **kwargs: Any) -> T:  # noqa: A002 - msgspec's name
        """Send a request and decode its JSON answer as ``type`` (``pymoby.api.decode``)."""
        from pymoby import api

        _, content = self.request(method, path, **kwargs)
        return api.decode(content, type)


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (one whose awaits are all blocking calls) to its result.

    This is how the async call definitions (query and body building, typed
    decoding) are reused over the blocking transport. Raises
    ``errdefs.System`` if the coroutine does suspend: it needed an event loop.
    """
    try:
        coroutine.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    coroutine.close()
    raise errdefs.System("internal error: a blocking call waited for an event loop")
