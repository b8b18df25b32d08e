"""Streamed request bodies (build contexts, archives, cp), volume inspect's Go shape, build contexts as Docker's."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path
from typing import IO, Any

import anyio
import pytest

from pymoby.cli._cmd_build import tar_context, write_context
from pymoby.cli._cmd_inspect import volume_as_docker
from pymoby.cli._uploads import CHUNK, copy_from, upload


def _collect(produce: Any) -> tuple[list[bytes], int]:
    async def main() -> tuple[list[bytes], int]:
        async with upload(produce) as body:
            chunks = [chunk async for chunk in body]
        return chunks, body.total

    return anyio.run(main, backend="asyncio")


def test_an_upload_hands_over_what_the_producer_writes_in_bounded_chunks() -> None:
    data = bytes(range(256)) * (3 * CHUNK // 256 + 7)
    chunks, total = _collect(copy_from(io.BytesIO(data)))
    assert b"".join(chunks) == data
    assert total == len(data)
    assert max(len(c) for c in chunks) <= 2 * CHUNK
    assert len(chunks) >= 3


def test_a_producer_error_is_raised_after_the_body_ends() -> None:
    def produce(out: IO[bytes]) -> None:
        out.write(b"partial")
        raise OSError("read error")

    with pytest.raises(OSError, match="read error"):
        _collect(produce)


def test_leaving_early_stops_the_producer() -> None:
    finished = threading.Event()

    def produce(out: IO[bytes]) -> None:
        try:
            for _ in range(10_000):
                out.write(b"x" * CHUNK)
        finally:
            finished.set()

    async def main() -> None:
        async with upload(produce) as body:
            async for _ in body:
                break

    anyio.run(main, backend="asyncio")
    assert finished.is_set()


def test_a_build_context_ends_as_gos_tar_writer_does(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "a.txt").write_text("a")
    data = tar_context(tmp_path, "Dockerfile")
    # two members of one header and one data block each, then two zero blocks: no 10 KiB record padding
    assert len(data) == 2 * 1024 + 1024
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert sorted(tar.getnames()) == ["Dockerfile", "a.txt"]
        assert all(isinstance(m.mtime, int) and not m.pax_headers for m in tar.getmembers())


def test_a_dockerfile_outside_the_context_is_sent_inside_it(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "f").write_text("f")
    outside = tmp_path / "Other.dockerfile"
    outside.write_text("FROM busybox\n")
    out = io.BytesIO()
    write_context(out, context, ".dockerfile.abc", outside)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert sorted(tar.getnames()) == [".dockerfile.abc", "f"]
        member = tar.extractfile(".dockerfile.abc")
        assert member is not None
        assert member.read() == b"FROM busybox\n"


def test_volume_inspect_is_the_go_struct_marshalled_again() -> None:
    raw = json.dumps({
        "Name": "v", "Driver": "local", "Mountpoint": "/m", "CreatedAt": "2024-01-01T00:00:00Z",
        "Labels": {"z": "1", "a": "<&>"}, "Scope": "local", "Options": None, "Status": {},
    }).encode()  # fmt: skip
    assert json.loads(volume_as_docker(raw)) == {
        "CreatedAt": "2024-01-01T00:00:00Z", "Driver": "local", "Labels": {"a": "<&>", "z": "1"}, "Mountpoint": "/m",
        "Name": "v", "Options": None, "Scope": "local"}  # fmt: skip
    text = volume_as_docker(raw).decode()
    assert list(json.loads(text)) == ["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"]
    assert '"a":"\\u003c\\u0026\\u003e"' in text


def test_streamed_uploads_reach_the_daemon(cli: Any, engine: Any, tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    archive.write_bytes(b"x" * (3 * CHUNK + 5))
    engine.uploads.pop("load", None)
    result = cli("load", "-i", str(archive))
    assert result.exit_code == 0, result.stderr
    loads = engine.seen("POST", "/images/load")
    assert loads[-1].headers.get("transfer-encoding") == "chunked"
    assert loads[-1].body == archive.read_bytes()
