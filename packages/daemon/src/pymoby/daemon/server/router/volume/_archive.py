"""``HEAD/GET/PUT /containers/{name}/archive`` (``docker cp``), over an :class:`ArchiveBackend`.

They belong to the container router; registering :class:`ArchiveRoutes`
beside it (or adding its routes to that table) is all the wiring needed.
The backend opens the container's file system (mounting a stopped
container's root, and its volumes, for the duration) and the work runs in
worker threads: the tar out is streamed in chunks of about a megabyte while
the container stays open, the tar in is pulled from the request body as it
arrives.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack

import anyio
import anyio.from_thread

from pymoby import errdefs

from ....archive import (
    ArchiveTarget,
    ContainerFileNotFound,
    ContainerFS,
    ExtractOptions,
    archive_path,
    container_owner,
    encode_stat_header,
    extract_archive,
    stat_path,
)
from ..._request import BodyReader, Request
from ..._response import Response, StreamingResponse, encode_headers
from ..._routing import Route, get, head, put
from ._backend import ArchiveBackend

__all__ = ["STAT_HEADER", "ArchiveRoutes", "negotiate_encoding"]

#: The header carrying the base64 JSON stat of the path.
STAT_HEADER = "X-Docker-Container-Path-Stat"
_BODY_BATCH = 1 << 20


def _archive_args(request: Request) -> tuple[str, str]:
    name = request.vars.get("name", "")
    if not name:
        raise errdefs.InvalidParameter("bad parameter: name cannot be empty")
    path = request.query.get("path", "")
    if not path:
        raise errdefs.InvalidParameter("bad parameter: path cannot be empty")
    return name, path


def _open(target: ArchiveTarget) -> ContainerFS:
    return ContainerFS(target.root, target.mounts, read_only_root=target.read_only_root)


def negotiate_encoding(accept: str) -> str:
    """``gzip``, ``deflate`` or ``""`` (identity) for an ``Accept-Encoding`` value, as Docker negotiates.

    The docker CLI sends none (so nothing is compressed: over a local socket
    it would only cost CPU); docker-py's ``encode_stream=True`` asks for
    ``gzip, deflate`` and gets gzip.
    """
    weights: dict[str, float] = {}
    for item in accept.split(","):
        token, *params = (part.strip() for part in item.split(";"))
        if not token:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[token.lower()] = q
    best, best_q = "", 0.0
    for offer in ("gzip", "deflate"):
        q = weights.get(offer, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = offer, q
    return best


def _compressed(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """``chunks`` compressed as gzip, or as Go's ``deflate`` (raw DEFLATE), at the default level."""
    engine = zlib.compressobj(6, zlib.DEFLATED, 31 if encoding == "gzip" else -15)
    try:
        for chunk in chunks:
            out = engine.compress(chunk)
            if out:
                yield out
        yield engine.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _body_reader(body: BodyReader) -> Callable[[], bytes]:
    """A blocking ``receive()`` for a worker thread, taking about a megabyte of the body per call."""

    async def batch() -> bytes:
        parts = []
        size = 0
        while size < _BODY_BATCH:
            chunk = await body.receive()
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    def receive() -> bytes:
        return anyio.from_thread.run(batch)

    return receive


class ArchiveRoutes:
    """The archive routes of the container router."""

    def __init__(self, backend: ArchiveBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            head("/containers/{name:.*}/archive", self.head_containers_archive),
            get("/containers/{name:.*}/archive", self.get_containers_archive),
            put("/containers/{name:.*}/archive", self.put_containers_archive),
        )

    async def head_containers_archive(self, request: Request) -> Response:
        """The stat of a path, in ``X-Docker-Container-Path-Stat``."""
        name, path = _archive_args(request)
        async with self.backend.container_filesystem(name) as target:

            def run() -> str:
                with _open(target) as fs:
                    return encode_stat_header(stat_path(fs, path, name))

            value = await anyio.to_thread.run_sync(run)
        return Response(200, headers=encode_headers({STAT_HEADER: value}))

    async def get_containers_archive(self, request: Request) -> StreamingResponse:
        """A tar of a path (``application/x-tar``), its stat in the header."""
        name, path = _archive_args(request)
        stack = AsyncExitStack()
        ready = False
        try:
            target = await stack.enter_async_context(self.backend.container_filesystem(name))
            fs = await anyio.to_thread.run_sync(_open, target)
            stack.callback(fs.close)
            found, chunks = await anyio.to_thread.run_sync(archive_path, fs, path, name)
            encoding = negotiate_encoding(request.headers.get("accept-encoding", ""))
            if encoding:
                chunks = _compressed(chunks, encoding)
            stack.callback(getattr(chunks, "close", lambda: None))
            ready = True
        finally:
            if not ready:
                with anyio.CancelScope(shield=True):
                    await stack.aclose()
        self.backend.log_container_event(target.container_id, "archive-path")

        async def stream() -> AsyncIterator[bytes]:
            try:
                while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
                    yield chunk
            finally:
                with anyio.CancelScope(shield=True):
                    await stack.aclose()

        headers = {STAT_HEADER: encode_stat_header(found)}
        if encoding:
            headers["Content-Encoding"] = encoding
        return StreamingResponse(stream(), content_type="application/x-tar", headers=encode_headers(headers))

    async def put_containers_archive(self, request: Request) -> Response:
        """Extract the tar in the body into a directory of the container."""
        name, path = _archive_args(request)
        query = request.query
        no_overwrite = "noOverwriteDirNonDir" in query and query.get_bool("noOverwriteDirNonDir")
        copy_uid_gid = query.get_bool("copyUIDGID")
        receive = _body_reader(request.body)
        async with self.backend.container_filesystem(name) as target:

            def run() -> None:
                with _open(target) as fs:
                    owner = container_owner(fs, target.user) if copy_uid_gid else None
                    try:
                        extract_archive(fs, path, receive, ExtractOptions(no_overwrite, owner))
                    except FileNotFoundError as exc:
                        raise ContainerFileNotFound(path, name) from exc

            await anyio.to_thread.run_sync(run)
            self.backend.log_container_event(target.container_id, "extract-to-dir")
        return Response(200)
