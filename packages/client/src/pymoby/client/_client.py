"""The asynchronous Engine API client."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, TypeVar

import anyio
import msgspec

from pymoby import api, errdefs

from ._blocking import Ping, negotiate_version, request_target
from ._containers import ContainerMethods
from ._errors import error_from_response
from ._hosts import resolve_host_and_tls
from ._transport import (
    Body,
    HijackedConnection,
    RawResponse,
    StreamedResponse,
    TLSConfig,
    Transport,
)

__all__ = ["AsyncClient", "Ping"]

T = TypeVar("T")
Query = Mapping[str, str | int | bool | Sequence[str] | None]
FiltersArg = api.Filters | Mapping[str, Sequence[str]] | None


def _encode_body(body: object) -> tuple[Body, bool]:
    """The body to send and whether it is JSON: bytes and async iterables of bytes go as they are."""
    if body is None or isinstance(body, bytes):
        return body, False
    if isinstance(body, AsyncIterable):
        return body, False
    return api.encode(body), True


def _filters_query(filters: FiltersArg) -> str | None:
    if not filters:
        return None
    if not isinstance(filters, api.Filters):
        filters = api.Filters(filters)
    return filters.to_query()


def _time_arg(value: str | int | float | None) -> str | None:
    return None if value is None else str(value)


class AsyncClient(ContainerMethods):
    """An Engine API client (``async with AsyncClient(host) as docker: await docker.info()``).

    ``host`` defaults to ``DOCKER_HOST`` (then ``unix:///var/run/docker.sock``);
    ``tls`` to ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``. ``version`` pins the
    API version; by default it is negotiated with ``/_ping`` on first use.
    Errors are :mod:`pymoby.errdefs` kinds: ``Unavailable`` when the daemon
    cannot be reached, the kind of the HTTP status otherwise.
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
        self._transport = Transport(parsed, tls, timeout)
        self._version = version
        self._lock = anyio.Lock()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close idle connections."""
        await self._transport.aclose()

    # -- plumbing ----------------------------------------------------------------
    async def api_version(self) -> str:
        """The API version used: the pinned one, else the daemon's (at most ours)."""
        if self._version is None:
            async with self._lock:
                if self._version is None:
                    self._version = negotiate_version((await self.ping()).api_version)
        return self._version

    async def _target(self, path: str, query: Query | None, versioned: bool = True) -> str:
        return request_target(await self.api_version() if versioned else None, path, query)

    @staticmethod
    def _headers(json_body: bool, extra: Mapping[str, str] | None) -> list[tuple[str, str]]:
        headers = [("Content-Type", "application/json")] if json_body else []
        headers.extend((extra or {}).items())
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[RawResponse, bytes]:
        """Send a request; raise the errdefs kind on >= 400.

        ``body`` is sent as it is when bytes, streamed chunk by chunk (chunked
        encoding) when an async iterable of bytes, else encoded as JSON.
        """
        data, is_json = _encode_body(body)
        target = await self._target(path, query)
        response, content = await self._transport.request(method, target, self._headers(is_json, headers), data)
        if response.status >= 400:
            raise error_from_response(response.status, content)
        return response, content

    async def request_json(self, method: str, path: str, type: type[T], **kwargs: Any) -> T:  # noqa: A002
        """Send a request and decode its JSON answer as ``type``."""
        _, content = await self.request(method, path, **kwargs)
        return api.decode(content, type)

    async def stream(
        self, method: str, path: str, *, query: Query | None = None, body: object = None
    ) -> AsyncGenerator[bytes, None]:
        """Send a request (``body`` as for :meth:`request`) and yield the answer's body as it arrives."""
        answer = await self.open(method, path, query=query, body=body)
        try:
            async for chunk in answer:
                yield chunk
        finally:
            await answer.aclose()  # nothing to do when read to the end; else the connection is dropped

    async def stream_json(
        self,
        method: str,
        path: str,
        type: type[T],  # noqa: A002 - msgspec's name
        *,
        query: Query | None = None,
        body: object = None,
    ) -> AsyncIterator[T]:
        """Yield each JSON document of a streamed answer (events, progress) as ``type``."""
        decoder = msgspec.json.Decoder(type)
        buffer = b""
        async with aclosing(self.stream(method, path, query=query, body=body)) as chunks:
            async for chunk in chunks:
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        try:
                            yield decoder.decode(line)
                        except msgspec.DecodeError as exc:
                            raise errdefs.DataLoss(f"malformed JSON in stream: {exc}") from exc
        if buffer.strip():
            yield decoder.decode(buffer)

    async def open(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> StreamedResponse:
        """Send a request and return once the answer's head is in; iterate the result for its body.

        ``body`` is as for :meth:`request` (an async iterable of bytes is an
        upload streamed as it is produced). Raises the errdefs kind of the
        status, with the daemon's message, on >= 400.
        """
        data, is_json = _encode_body(body)
        target = await self._target(path, query)
        answer = await self._transport.open(method, target, self._headers(is_json, headers), data)
        if answer.status >= 400:
            raise error_from_response(answer.status, await answer.read())
        return answer

    async def hijack(
        self, method: str, path: str, *, query: Query | None = None, body: object = None
    ) -> HijackedConnection:
        """Send an upgrade request (attach, exec start) and return the raw bidirectional stream."""
        data = body if isinstance(body, bytes) or body is None else api.encode(body)
        target = await self._target(path, query)
        response, result = await self._transport.hijack(
            method, target, self._headers(body is not None and not isinstance(body, bytes), None), data
        )
        if isinstance(result, bytes):
            raise error_from_response(response.status if response.status >= 400 else 500, result)
        return result

    # -- system --------------------------------------------------------------------
    async def ping(self) -> Ping:
        """``GET /_ping``: the daemon's API version, OS and features."""
        response, content = await self._transport.request("GET", "/_ping")
        if response.status >= 400:
            raise error_from_response(response.status, content)
        return Ping.from_headers(response.headers)

    async def version(self) -> api.SystemVersion:
        """``GET /version``."""
        return await self.request_json("GET", "/version", api.SystemVersion)

    async def info(self) -> api.SystemInfo:
        """``GET /info``."""
        return await self.request_json("GET", "/info", api.SystemInfo)

    async def disk_usage(self, types: Sequence[str] = ()) -> api.DiskUsage:
        """``GET /system/df`` (``types``: container, image, volume, build-cache)."""
        return await self.request_json("GET", "/system/df", api.DiskUsage, query={"type": list(types)})

    async def auth(
        self, username: str, password: str, server_address: str = "", identity_token: str = ""
    ) -> api.AuthResponse:
        """``POST /auth``: check credentials against a registry; ``Unauthorized`` when refused."""
        config = api.AuthConfig(
            username=username, password=password, serveraddress=server_address, identitytoken=identity_token
        )
        return await self.request_json("POST", "/auth", api.AuthResponse, body=config)

    def events(
        self,
        *,
        since: str | int | float | None = None,
        until: str | int | float | None = None,
        filters: FiltersArg = None,
    ) -> AsyncIterator[api.EventMessage]:
        """``GET /events``: recorded events of the window, then live ones (forever unless ``until``)."""
        query = {"since": _time_arg(since), "until": _time_arg(until), "filters": _filters_query(filters)}
        return self.stream_json("GET", "/events", api.EventMessage, query=query)


def registry_auth_header(config: api.AuthConfig) -> str:
    """The ``X-Registry-Auth`` value for ``config`` (URL-safe base64 of its JSON)."""
    return base64.urlsafe_b64encode(api.encode(config)).decode()
