"""FifoSet: the daemon's ends of a process's stdio FIFOs, read and written through anyio."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import anyio
import pytest

from pymoby.libcontainerd import FifoSet

pytestmark = pytest.mark.anyio


def exists(path: str) -> bool:
    return os.path.lexists(path)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_creates_the_fifos_and_removes_them(tmp_path: Path) -> None:
    async with FifoSet.create(tmp_path / "fifos", "web", stdin=True) as fifos:
        paths = [fifos.paths.stdin, fifos.paths.stdout, fifos.paths.stderr]
        assert [os.path.basename(p) for p in paths] == ["web-stdin", "web-stdout", "web-stderr"]
        assert all(stat.S_ISFIFO(os.stat(p).st_mode) for p in paths)
    assert not any(exists(p) for p in [*paths, str(tmp_path / "fifos")])


async def test_terminal_has_no_stderr(tmp_path: Path) -> None:
    async with FifoSet.create(tmp_path, "t", terminal=True) as fifos:
        assert fifos.paths.terminal
        assert fifos.paths.stderr == ""
        assert fifos.stderr is None


async def test_reader_waits_for_a_writer_then_reads_until_it_closes(tmp_path: Path) -> None:
    async with FifoSet.create(None, "p") as fifos:
        assert fifos.stdout is not None
        received: list[bytes] = []

        async def read() -> None:
            assert fifos.stdout is not None
            while True:
                try:
                    received.append(await fifos.stdout.receive())
                except anyio.EndOfStream:
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            # No writer yet: the reader must not take that for end of file.
            await anyio.sleep(0.1)
            assert received == []
            writer = os.open(fifos.paths.stdout, os.O_WRONLY)
            os.write(writer, b"hello ")
            os.write(writer, b"world")
            os.close(writer)
        assert b"".join(received) == b"hello world"


async def test_stdin_can_be_written_before_anyone_reads(tmp_path: Path) -> None:
    async with FifoSet.create(tmp_path, "p", stdin=True) as fifos:
        assert fifos.stdin is not None
        await fifos.stdin.send(b"input\n")
        reader = os.open(fifos.paths.stdin, os.O_RDONLY | os.O_NONBLOCK)
        try:
            assert os.read(reader, 100) == b"input\n"
        finally:
            os.close(reader)
        await fifos.close_stdin()
        with pytest.raises(anyio.ClosedResourceError):
            await fifos.stdin.send(b"more")


async def test_closing_wakes_a_blocked_reader(tmp_path: Path) -> None:
    async with FifoSet.create(tmp_path, "p") as fifos:
        assert fifos.stdout is not None
        outcome: list[type[BaseException]] = []

        async def read() -> None:
            assert fifos.stdout is not None
            try:
                await fifos.stdout.receive()
            except (anyio.ClosedResourceError, anyio.EndOfStream) as exc:
                outcome.append(type(exc))

        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            await fifos.stdout.aclose()
        assert outcome == [anyio.ClosedResourceError]
