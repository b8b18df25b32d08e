"""HEAD/GET/PUT /containers/{name}/archive over HTTP, against a container backend of directories."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from pymoby import errdefs
from pymoby.client import AsyncClient
from pymoby.daemon.archive import ArchiveTarget
from pymoby.daemon.httpstatus import status_of
from pymoby.daemon.server.router.volume import STAT_HEADER, ArchiveRoutes, negotiate_encoding

from .conftest import Tree, make_tar

pytestmark = pytest.mark.anyio


class Containers:
    """The container service's part the archive routes use: one container, ``web``, on the test tree."""

    def __init__(self, tree: Tree, *, read_only_root: bool = False) -> None:
        self.tree = tree
        self.read_only_root = read_only_root
        self.events: list[tuple[str, str]] = []
        self.open = 0

    @asynccontextmanager
    async def container_filesystem(self, name: str) -> AsyncIterator[ArchiveTarget]:
        if name not in ("web", "c0ffee"):
            raise errdefs.NotFound(f"No such container: {name}")
        self.open += 1
        try:
            yield ArchiveTarget(
                "c0ffee", str(self.tree.root), self.tree.mounts(), read_only_root=self.read_only_root, user="app"
            )
        finally:
            self.open -= 1

    def log_container_event(self, container_id: str, action: str) -> None:
        self.events.append((container_id, action))


async def request(sock: Path, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    async with AsyncClient(f"unix://{sock}", version="1.45") as client:
        try:
            response, content = await client.request(method, path, **kwargs)
        except errdefs.PymobyError as exc:
            return status_of(exc), {}, str(exc).encode()
        return response.status, dict(response.headers), content


async def test_head_gives_the_stat_header(serve: Any, tree: Tree) -> None:
    async with serve([ArchiveRoutes(Containers(tree))]) as sock:
        status, headers, body = await request(sock, "HEAD", "/containers/web/archive", query={"path": "/docs"})
    assert status == 200
    assert body == b""
    found = json.loads(base64.b64decode(headers[STAT_HEADER.lower()]))
    assert found["name"] == "docs"
    assert found["linkTarget"] == "/usr/share/doc"
    assert found["mode"] & (1 << 27)


async def test_get_streams_a_tar_and_logs_the_event(serve: Any, tree: Tree) -> None:
    containers = Containers(tree)
    async with serve([ArchiveRoutes(containers)]) as sock:
        status, headers, body = await request(sock, "GET", "/containers/web/archive", query={"path": "/data"})
    assert status == 200
    assert headers["content-type"] == "application/x-tar"
    assert json.loads(base64.b64decode(headers[STAT_HEADER.lower()]))["name"] == "data"
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["data", "data/in-volume.txt", "data/sub", "data/sub/deep.txt"]
    assert containers.events == [("c0ffee", "archive-path")]
    assert containers.open == 0


async def test_put_extracts_and_logs_the_event(serve: Any, tree: Tree) -> None:
    containers = Containers(tree)
    data = make_tar(("up/loaded.txt", "uploaded"))
    async with serve([ArchiveRoutes(containers)]) as sock:
        status, _, _ = await request(
            sock, "PUT", "/containers/web/archive", query={"path": "/data", "noOverwriteDirNonDir": "true"}, body=data
        )
    assert status == 200
    assert (tree.volume / "up/loaded.txt").read_text() == "uploaded"
    assert containers.events == [("c0ffee", "extract-to-dir")]


async def test_put_a_large_archive_in_many_chunks(serve: Any, tree: Tree) -> None:
    blob = bytes(range(256)) * (12 * 4096)  # 12 MiB
    async with serve([ArchiveRoutes(Containers(tree))]) as sock:
        status, _, _ = await request(
            sock, "PUT", "/containers/web/archive", query={"path": "/tmp"}, body=make_tar(("blob", blob))
        )
    assert status == 200
    assert (tree.root / "tmp/blob").read_bytes() == blob


async def test_error_answers(serve: Any, tree: Tree) -> None:
    async with serve([ArchiveRoutes(Containers(tree, read_only_root=True))]) as sock:
        target = "/containers/web/archive"
        assert (await request(sock, "GET", target, query={"path": ""}))[::2] == (
            400,
            b"bad parameter: path cannot be empty",
        )
        assert (await request(sock, "GET", "/containers/nope/archive", query={"path": "/"}))[::2] == (
            404,
            b"No such container: nope",
        )
        assert (await request(sock, "GET", target, query={"path": "/missing"}))[::2] == (
            404,
            b"Could not find the file /missing in container web",
        )
        assert (await request(sock, "PUT", target, query={"path": "/etc/passwd"}, body=make_tar(("x", "y"))))[::2] == (
            400,
            b"extraction point is not a directory",
        )
        assert (await request(sock, "PUT", target, query={"path": "/tmp"}, body=make_tar(("x", "y"))))[::2] == (
            400,
            b"container rootfs is marked read-only",
        )
        status, _, message = await request(
            sock, "PUT", target, query={"path": "/data", "noOverwriteDirNonDir": "1"}, body=make_tar(("sub", "file"))
        )
        assert (status, message) == (500, b'cannot overwrite directory "/data/sub" with non-directory "/data"')


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", ""),
        ("identity", ""),
        ("gzip, deflate", "gzip"),
        ("deflate", "deflate"),
        ("gzip;q=0.5, deflate", "deflate"),
        ("gzip;q=0", ""),
        ("*", "gzip"),
        ("*;q=0.1, deflate;q=0.2", "deflate"),
    ],
)
def test_content_encoding_negotiation(accept: str, chosen: str) -> None:
    assert negotiate_encoding(accept) == chosen


async def test_get_compressed_when_asked(serve: Any, tree: Tree) -> None:
    async with serve([ArchiveRoutes(Containers(tree))]) as sock, await anyio.connect_unix(sock) as stream:
        await stream.send(
            b"GET /v1.45/containers/web/archive?path=/etc/passwd HTTP/1.1\r\nHost: d\r\n"
            b"Accept-Encoding: gzip, deflate\r\nConnection: close\r\n\r\n"
        )
        raw = b""
        while True:
            try:
                raw += await stream.receive()
            except anyio.EndOfStream:
                break
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(body))) as tar:
        assert tar.getnames() == ["passwd"]
