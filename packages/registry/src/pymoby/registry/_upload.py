"""Blob uploads: skip what exists, mount across repositories, monolithic or chunked.

distribution spec, "Pushing blobs": ``HEAD`` tells whether the blob exists;
``POST .../blobs/uploads/?mount=D&from=R`` mounts it from another repository
of the same registry (201) or opens an upload (202); a blob of known size
and digest goes in one ``PUT ?digest=``; a stream of unknown size goes in
``PATCH`` chunks with ``Content-Range``, closed by ``PUT ?digest=``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import httpx

from pymoby.reference import Digest

from ._blobs import Progress
from ._endpoints import Endpoint
from ._errors import DigestMismatch, RegistryProtocolError, error_from_response
from ._manifest import Descriptor
from ._session import Session

__all__ = ["BlobSource", "PushedBlob", "push_blob"]

#: What a blob is pushed from: bytes, a file, or a stream of chunks (possibly of unknown size).
BlobSource = bytes | Path | AsyncIterable[bytes] | Callable[[], AsyncIterable[bytes]]

_READ = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PushedBlob:
    """The pushed blob and how it got there: ``exists``, ``mounted`` or ``uploaded``."""

    descriptor: Descriptor
    how: Literal["exists", "mounted", "uploaded"]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(_READ):
            yield chunk


def _replayable(source: BlobSource) -> Callable[[], AsyncIterable[bytes]] | None:
    if isinstance(source, bytes):
        data = source

        async def from_bytes() -> AsyncIterator[bytes]:
            for i in range(0, len(data), _READ):
                yield data[i : i + _READ]

        return from_bytes
    if isinstance(source, Path):
        path = source
        return lambda: _file_chunks(path)
    if callable(source):
        return source
    return None


async def blob_exists(session: Session, endpoint: Endpoint, repository: str, digest: str) -> int | None:
    """The size of the blob in ``repository``, or ``None`` when the registry lacks it."""
    response = await session.request(
        endpoint, "HEAD", f"/v2/{repository}/blobs/{digest}", scopes=(f"repository:{repository}:pull",)
    )
    await response.aclose()
    if response.status_code == 200:
        return int(response.headers.get("content-length") or -1)
    if response.status_code == 404:
        return None
    raise error_from_response(response.status_code, b"", reference=repository, context=f"HEAD blob {digest}")


def _with_digest(location: str, digest: str) -> str:
    return str(httpx.URL(location).copy_merge_params({"digest": digest}))


async def push_blob(
    session: Session,
    endpoint: Endpoint,
    repository: str,
    source: BlobSource,
    *,
    digest: str | None = None,
    size: int | None = None,
    media_type: str = "application/octet-stream",
    mount_from: str | None = None,
    progress: Progress | None = None,
) -> PushedBlob:
    """Push one blob to ``repository`` (a path on ``endpoint``'s registry).

    With ``digest`` known the registry is asked first (``HEAD``) and
    ``mount_from`` (another repository path of the same registry) is tried.
    A replayable source of known size and digest is uploaded in one
    request; anything else in chunks of ``options.chunk_size``, hashed on
    the way. Raises :class:`DigestMismatch` when the content does not match
    ``digest``, and the registry's errors.
    """
    if isinstance(source, bytes):
        size = len(source) if size is None else size
        digest = digest or str(Digest.from_bytes(source))
    elif isinstance(source, Path) and size is None:
        size = source.stat().st_size
    scopes = [f"repository:{repository}:pull,push"]
    if digest is not None:
        Digest.parse(digest)
        existing = await blob_exists(session, endpoint, repository, digest)
        if existing is not None:
            return PushedBlob(Descriptor(media_type, digest, size if size is not None else existing), "exists")
    params = ""
    if mount_from and digest is not None and mount_from != repository:
        scopes.append(f"repository:{mount_from}:pull")
        params = f"?mount={digest}&from={mount_from}"
    response = await session.request(
        endpoint, "POST", f"/v2/{repository}/blobs/uploads/{params}", scopes=tuple(scopes), body=b""
    )
    body = await response.aread()
    await response.aclose()
    if response.status_code == 201 and params:
        mounted_size = size if size is not None else -1
        assert digest is not None
        return PushedBlob(Descriptor(media_type, digest, mounted_size), "mounted")
    if response.status_code != 202:
        raise error_from_response(response.status_code, body, reference=repository, context="starting upload")
    location = response.headers.get("location")
    if not location:
        raise RegistryProtocolError("upload started without a Location", reference=repository)
    replay = _replayable(source)
    if replay is not None and size is not None and digest is not None:
        return await _monolithic(session, endpoint, repository, location, replay, digest, size, media_type, progress)
    stream: AsyncIterable[bytes] = replay() if replay is not None else source  # type: ignore[assignment]
    return await _chunked(session, endpoint, repository, location, stream, digest, media_type, progress)


async def _monolithic(
    session: Session,
    endpoint: Endpoint,
    repository: str,
    location: str,
    replay: Callable[[], AsyncIterable[bytes]],
    digest: str,
    size: int,
    media_type: str,
    progress: Progress | None,
) -> PushedBlob:
    def body() -> AsyncIterator[bytes]:
        async def counted() -> AsyncIterator[bytes]:
            done = 0
            async for chunk in replay():
                done += len(chunk)
                yield chunk
                if progress is not None:
                    progress(digest, done, size)

        return counted()

    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    response = await session.request(
        endpoint,
        "PUT",
        _with_digest(location, digest),
        scopes=(f"repository:{repository}:pull,push",),
        headers=headers,
        body=body,
        retry=False,
    )
    data = await response.aread()
    await response.aclose()
    if response.status_code != 201:
        raise error_from_response(response.status_code, data, reference=repository, context=f"uploading {digest}")
    return PushedBlob(Descriptor(media_type, digest, size), "uploaded")


async def _chunks_of(stream: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """Re-cut a stream into pieces of ``size`` bytes (the last may be shorter)."""
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in stream:
        pending.append(chunk)
        pending_size += len(chunk)
        while pending_size >= size:
            data = b"".join(pending)
            yield data[:size]
            pending, pending_size = [data[size:]], pending_size - size
    if pending_size:
        yield b"".join(pending)


async def _chunked(
    session: Session,
    endpoint: Endpoint,
    repository: str,
    location: str,
    stream: AsyncIterable[bytes],
    digest: str | None,
    media_type: str,
    progress: Progress | None,
) -> PushedBlob:
    hasher = hashlib.sha256()
    offset = 0
    scopes = (f"repository:{repository}:pull,push",)
    async for piece in _chunks_of(stream, session.options.chunk_size):
        hasher.update(piece)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(piece) - 1}",
            "Content-Length": str(len(piece)),
        }
        response = await session.request(
            endpoint, "PATCH", location, scopes=scopes, headers=headers, body=piece, retry=False
        )
        data = await response.aread()
        await response.aclose()
        if response.status_code != 202:
            raise error_from_response(response.status_code, data, reference=repository, context="uploading a chunk")
        location = response.headers.get("location") or location
        offset += len(piece)
        if progress is not None:
            progress(digest or "", offset, None)
    computed = f"sha256:{hasher.hexdigest()}"
    if digest is not None and Digest.parse(digest).algorithm == "sha256" and digest != computed:
        cancel = await session.request(endpoint, "DELETE", location, scopes=scopes, retry=False)
        await cancel.aclose()
        raise DigestMismatch(f"content of the blob is {computed}, not {digest}", reference=repository)
    final = digest or computed
    response = await session.request(
        endpoint,
        "PUT",
        _with_digest(location, final),
        scopes=scopes,
        headers={"Content-Length": "0", "Content-Type": "application/octet-stream"},
        body=b"",
        retry=False,
    )
    data = await response.aread()
    await response.aclose()
    if response.status_code != 201:
        raise error_from_response(response.status_code, data, reference=repository, context=f"committing {final}")
    return PushedBlob(Descriptor(media_type, final, offset), "uploaded")
