"""Blob downloads: streamed, verified as they arrive, resumed with Range.

The content is hashed chunk by chunk; a connection dropped mid-blob is
resumed from the last byte received with ``Range: bytes=N-`` (a registry
that ignores the range and answers 200 has the bytes already seen skipped).
At the end the size and digest must match, else :class:`DigestMismatch`.
"""

from __future__ import annotations

import inspect
import os
import ssl
import tempfile
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import BinaryIO

import anyio
import httpx

from pymoby.reference import Digest

from ._endpoints import Endpoint
from ._errors import DigestMismatch, RegistryUnavailable, error_from_response
from ._manifest import Descriptor
from ._session import Session, iter_raw

__all__ = ["Progress", "fetch_to_file", "fetch_to_sink", "stream_blob"]

#: ``progress(digest, bytes_done, bytes_total)``; total is ``None`` when unknown.
Progress = Callable[[str, int, int | None], None]
#: Where verified bytes go: a callable (sync or async) taking each chunk.
Sink = Callable[[bytes], Awaitable[object] | object]

_FLUSH = 1024 * 1024


async def stream_blob(
    session: Session,
    endpoint: Endpoint,
    repository: str,
    descriptor: Descriptor,
    *,
    reference: str = "",
    progress: Progress | None = None,
) -> AsyncGenerator[bytes, None]:
    """Yield the content of a blob as it arrives; the last step checks size and digest.

    The chunks are only known good once the iterator finishes without
    raising :class:`DigestMismatch`; consume it with ``contextlib.aclosing``.
    Raises the registry's error (``BlobUnknown``...) or
    :class:`RegistryUnavailable` when resuming fails too often.
    """
    digest = Digest.parse(descriptor.digest)
    hasher = digest.hasher()
    size = descriptor.size
    done = 0
    failures = 0
    scopes = (f"repository:{repository}:pull",)
    path = f"/v2/{repository}/blobs/{digest}"
    while True:
        headers = {"Range": f"bytes={done}-"} if done else {}
        response = await session.request(endpoint, "GET", path, scopes=scopes, headers=headers)
        try:
            if response.status_code not in (200, 206):
                body = await response.aread()
                raise error_from_response(
                    response.status_code, body, reference=reference, context=f"blob {digest} of {reference}"
                )
            skip = done if response.status_code == 200 else 0
            if response.status_code == 206:
                start = response.headers.get("content-range", "").removeprefix("bytes ").split("-", 1)[0]
                if start.isdigit() and int(start) < done:
                    skip = done - int(start)
            try:
                async for chunk in iter_raw(response):
                    if skip:
                        if len(chunk) <= skip:
                            skip -= len(chunk)
                            continue
                        chunk = chunk[skip:]
                        skip = 0
                    done += len(chunk)
                    if size >= 0 and done > size:
                        raise DigestMismatch(
                            f"blob {digest} of {reference} is larger than its descriptor's size {size}",
                            reference=reference,
                        )
                    hasher.update(chunk)
                    yield chunk
                    if progress is not None:
                        progress(descriptor.digest, done, size)
            except (httpx.TransportError, httpx.StreamError, ssl.SSLError, OSError) as exc:
                failures += 1
                if failures > session.options.retries:
                    raise RegistryUnavailable(
                        f"downloading {digest} of {reference} failed after {done} bytes: {exc}", reference=reference
                    ) from exc
                continue  # resume from `done`
        finally:
            await response.aclose()
        break
    if size >= 0 and done != size:
        raise DigestMismatch(f"blob {digest} of {reference}: got {done} bytes, expected {size}", reference=reference)
    if not digest.matches(hasher):
        raise DigestMismatch(
            f"digest mismatch for {digest} of {reference}: got sha256:{hasher.hexdigest()}"
            if digest.algorithm == "sha256"
            else f"digest mismatch for {digest} of {reference}",
            reference=reference,
        )


async def fetch_to_sink(
    chunks: AsyncGenerator[bytes, None],
    sink: Sink | BinaryIO,
) -> None:
    """Feed the verified stream to ``sink`` (a file object or a callable), in worker threads.

    Writes are batched to 1 MiB so the event loop keeps reading while a
    thread writes.
    """
    write: Callable[[bytes], object] = sink if callable(sink) else sink.write
    is_async = inspect.iscoroutinefunction(write)
    pending: list[bytes] = []
    pending_size = 0

    async def flush() -> None:
        nonlocal pending, pending_size
        data = b"".join(pending)
        pending, pending_size = [], 0
        if is_async:
            await write(data)  # type: ignore[misc]
        else:
            await anyio.to_thread.run_sync(write, data)

    async with aclosing(chunks) as stream:
        async for chunk in stream:
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _FLUSH:
                await flush()
    if pending:
        await flush()


async def fetch_to_file(chunks: AsyncGenerator[bytes, None], path: Path) -> None:
    """Write the verified stream to ``path`` atomically: a temp file renamed only when it verifies.

    On any failure (digest mismatch, cancellation) the temp file is removed
    and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".partial", dir=path.parent)
    complete = False
    try:
        with os.fdopen(fd, "wb") as file:
            await fetch_to_sink(chunks, file)
        os.replace(tmp, path)
        complete = True
    finally:
        if not complete:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
