"""Lines into messages (Docker's 16 KiB partial rule) and the copier from streams to driver and tee."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymoby.daemon.logger import (
    MAX_LINE,
    BaseLogger,
    Copier,
    Entry,
    LineBlock,
    LineSplitter,
    LogInfo,
    LogMode,
    Message,
    ReadConfig,
    new_logger,
)

pytestmark = pytest.mark.anyio


def messages(entries: Sequence[Entry]) -> list[Message]:
    out: list[Message] = []
    for entry in entries:
        out.extend(entry.messages() if isinstance(entry, LineBlock) else [entry])
    return out


def split(chunks: list[bytes]) -> list[Message]:
    ids = (f"id{n}" for n in itertools.count())
    splitter = LineSplitter("stdout", new_id=lambda: next(ids))
    out: list[Entry] = []
    for i, chunk in enumerate(chunks):
        out.extend(splitter.feed(chunk, 1000 + i))
    out.extend(splitter.finish(9999))
    return messages(out)


def shape(result: list[Message]) -> list[tuple[int, int | None, bool | None]]:
    return [
        (len(m.line), m.partial.ordinal if m.partial else None, m.partial.last if m.partial else None) for m in result
    ]


def test_short_lines_are_one_message_each_stamped_at_their_read() -> None:
    result = split([b"a\nbb\n", b"ccc\n"])
    assert [(m.line, m.timestamp, m.partial) for m in result] == [
        (b"a", 1000, None),
        (b"bb", 1000, None),
        (b"ccc", 1001, None),
    ]


def test_a_line_read_in_pieces_is_stamped_when_it_completes() -> None:
    assert [(m.line, m.timestamp) for m in split([b"hel", b"lo\n"])] == [(b"hello", 1001)]


def test_long_lines_become_16k_partials_then_a_last_one() -> None:
    line = b"x" * (2 * MAX_LINE + 5)
    result = split([line[:100], line[100:] + b"\nnext\n"])
    assert shape(result) == [(MAX_LINE, 1, False), (MAX_LINE, 2, False), (5, 3, True), (4, None, None)]
    partials = result[:3]
    assert len({m.partial.id for m in partials if m.partial}) == 1
    assert {m.timestamp for m in partials} == {1001}  # the first partial's time for all
    assert b"".join(m.line for m in partials) == line


def test_a_line_of_exactly_16k_ends_with_an_empty_last_partial() -> None:
    result = split([b"y" * MAX_LINE + b"\n"])
    assert shape(result) == [(MAX_LINE, 1, False), (0, 2, True)]


def test_what_is_left_at_the_end_is_a_partial_that_is_not_last() -> None:
    result = split([b"done\nno newline"])
    assert shape(result) == [(4, None, None), (10, 1, False)]
    assert result[1].timestamp == 9999


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40000), min_size=1, max_size=5),
    st.lists(st.integers(1, 30000), min_size=1, max_size=20),
)
def test_messages_do_not_depend_on_how_the_bytes_were_read(line_lengths: list[int], cuts: list[int]) -> None:
    data = b"".join(bytes([97 + i % 26]) * n + b"\n" for i, n in enumerate(line_lengths))
    chunks, position = [], 0
    for cut in itertools.cycle(cuts):
        if position >= len(data):
            break
        chunks.append(data[position : position + cut])
        position += cut
    result = [(m.line, m.partial.ordinal if m.partial else None) for m in split(chunks)]
    expected = [(m.line, m.partial.ordinal if m.partial else None) for m in split([data])]
    assert result == expected
    assert len(expected) == sum(n // MAX_LINE + 1 for n in line_lengths)
    assert sum(len(m.line) for m in split([data])) == sum(line_lengths)


class Recorder(BaseLogger):
    driver_name = "recorder"

    def __init__(self, delay: float = 0, fail: bool = False) -> None:
        self.received: list[Message] = []
        self.delay = delay
        self.fail = fail

    async def log(self, message: Message) -> None:
        if self.delay:
            await anyio.sleep(self.delay)
        if self.fail:
            raise OSError("disk on fire")
        self.received.append(message)


async def test_copier_logs_both_streams_and_tees_the_raw_bytes(pipe: Callable[[], Any]) -> None:
    stdout, stderr, tee = pipe(), pipe(), pipe()
    recorder = Recorder()
    copier = Copier({"stdout": stdout, "stderr": stderr}, recorder, tees={"stdout": tee})
    async with anyio.create_task_group() as tg:
        tg.start_soon(copier.run)
        await stdout.send(b"out 1\nout")
        await stderr.send(b"err 1\n")
        await stdout.send(b" 2\n")
        await stdout.send_eof()
        await stderr.send_eof()
        with anyio.fail_after(5):
            await copier.wait()
    got = {(m.source, m.line) for m in recorder.received}
    assert got == {("stdout", b"out 1"), ("stdout", b"out 2"), ("stderr", b"err 1")}
    await tee.send_eof()
    assert await tee.receive() + await tee.receive() == b"out 1\nout 2\n"


async def test_copier_goes_on_when_the_driver_fails(pipe: Callable[[], Any]) -> None:
    source = pipe()
    copier = Copier({"stdout": source}, Recorder(fail=True))
    async with anyio.create_task_group() as tg:
        tg.start_soon(copier.run)
        for _ in range(3):
            await source.send(b"line\n")
        await source.send_eof()
    assert copier.dropped == 0


async def test_non_blocking_mode_drops_what_does_not_fit_and_never_waits(pipe: Callable[[], Any]) -> None:
    source = pipe()
    slow = Recorder(delay=0.05)
    copier = Copier({"stdout": source}, slow, mode=LogMode.NON_BLOCKING, max_buffer_size=100)
    async with anyio.create_task_group() as tg:
        tg.start_soon(copier.run)
        with anyio.fail_after(2):  # the writer is never held up by the slow driver
            for i in range(50):
                await source.send(b"%02d-%s\n" % (i, b"x" * 37))
        await source.send_eof()
    assert copier.dropped > 0
    assert len(slow.received) + copier.dropped == 50


async def test_copier_into_json_file_writes_dockers_lines(pipe: Callable[[], Any], tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    driver = new_logger("json-file", LogInfo(container_id="c" * 64, log_path=str(path)))
    source = pipe()
    copier = Copier({"stdout": source}, driver, clock=lambda: 1704067200 * 10**9 + 5)
    async with anyio.create_task_group() as tg:
        tg.start_soon(copier.run)
        await source.send(b"hello\nworld\n")
        await source.send_eof()
    await driver.close()
    assert path.read_bytes() == (
        b'{"log":"hello\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000005Z"}\n'
        b'{"log":"world\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000005Z"}\n'
    )
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    reader = new_logger("json-file", LogInfo(container_id="c" * 64, log_path=str(path)))
    async with reader.read_logs(ReadConfig()) as batches:  # type: ignore[attr-defined]
        lines = [m.line async for batch in batches for m in batch]
    await reader.close()
    assert lines == [b"hello\n", b"world\n"]
