"""Rotation, compression, tail, since/until and follow, for json-file and local alike."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from pymoby.daemon.logger import (
    FileLogger,
    LineBlock,
    LogInfo,
    Message,
    ReadConfig,
    default_log_path,
    new_logger,
)

pytestmark = pytest.mark.anyio

T0 = 1704067200 * 10**9
DRIVERS = ["json-file", "local"]
Make = Callable[..., FileLogger]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """``make(driver, **opts)``: a driver on a fresh container directory; all closed after."""
    made: list[FileLogger] = []

    def create(driver: str, **opts: str) -> FileLogger:
        root = tmp_path / f"c{len(made)}"
        root.mkdir()
        info = LogInfo(
            config={k.replace("_", "-"): v for k, v in opts.items()},
            container_id="f" * 64,
            log_path=default_log_path(driver, root, "f" * 64),
        )
        made.append(new_logger(driver, info))  # type: ignore[arg-type]
        return made[-1]

    yield create
    for driver in made:
        await driver.close()


async def write_lines(driver: FileLogger, first: int, last: int, *, each_ns: int = 10**9) -> None:
    """Lines ``line-<n>`` for n in [first, last), one message per batch, stamped T0 + n seconds."""
    for n in range(first, last):
        await driver.log_batch([LineBlock(b"line-%04d\n" % n, "stdout", T0 + n * each_ns)])


async def read(driver: FileLogger, config: ReadConfig) -> list[bytes]:
    async with driver.read_logs(config) as batches:
        return [m.line async for batch in batches for m in batch]


def numbers(lines: list[bytes]) -> list[int]:
    return [int(line.strip().split(b"-")[1]) for line in lines]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_rotation_keeps_max_file_files_named_dot_1_dot_2(make: Make, driver: str) -> None:
    logger = make(driver, max_size="300", max_file="3", compress="false")
    await write_lines(logger, 0, 100)
    path = Path(logger.log_file.path)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == sorted([path.name, path.name + ".1", path.name + ".2"])
    assert path.with_name(path.name + ".1").stat().st_size >= 300
    everything = numbers(await read(logger, ReadConfig()))
    assert everything == list(range(everything[0], 100))  # the newest lines, in order, none twice
    assert everything[0] > 0


@pytest.mark.parametrize("driver", DRIVERS)
async def test_compressed_rotations_are_gzip_with_the_last_time_in_the_header(make: Make, driver: str) -> None:
    logger = make(driver, max_size="200", max_file="4", compress="true")
    await write_lines(logger, 0, 60)
    await logger.close()  # waits for the compression in progress
    path = Path(logger.log_file.path)
    gz = path.with_name(path.name + ".1.gz")
    assert gz.exists()
    assert not path.with_name(path.name + ".1").exists()
    raw = gz.read_bytes()
    assert raw[3] & 4  # FEXTRA
    extra_len = int.from_bytes(raw[10:12], "little")
    last_time = json.loads(raw[12 : 12 + extra_len])["lastTime"]
    assert last_time.startswith("2024-01-01T00:")
    assert gzip.decompress(raw)  # a plain gzip reader reads it
    lines = numbers(await read(logger, ReadConfig()))
    assert lines == list(range(lines[0], 60))


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("compress", ["true", "false"])
async def test_tail_reaches_back_over_rotated_and_compressed_files(make: Make, driver: str, compress: str) -> None:
    logger = make(driver, max_size="150", max_file="5", compress=compress)
    await write_lines(logger, 0, 40)
    await anyio.lowlevel.checkpoint()
    assert numbers(await read(logger, ReadConfig(tail=1))) == [39]
    assert numbers(await read(logger, ReadConfig(tail=12))) == list(range(28, 40))
    assert await read(logger, ReadConfig(tail=0)) == []
    kept = numbers(await read(logger, ReadConfig()))
    assert numbers(await read(logger, ReadConfig(tail=1000))) == kept


@pytest.mark.parametrize("driver", DRIVERS)
async def test_since_and_until_select_a_window(make: Make, driver: str) -> None:
    logger = make(driver, max_size="200", max_file="10", compress="true")
    await write_lines(logger, 0, 30)
    window = ReadConfig(since=T0 + 10 * 10**9, until=T0 + 19 * 10**9)
    assert numbers(await read(logger, window)) == list(range(10, 20))
    assert numbers(await read(logger, ReadConfig(since=T0 + 25 * 10**9, tail=2))) == [28, 29]
    assert numbers(await read(logger, ReadConfig(since=T0 + 29 * 10**9 + 1))) == []


@pytest.mark.parametrize("driver", DRIVERS)
async def test_local_and_json_file_read_back_partials_and_several_streams(make: Make, driver: str) -> None:
    logger = make(driver)
    from pymoby.daemon.logger import PartialMetadata

    await logger.log_batch(
        [
            LineBlock(b"a\nb\n", "stdout", T0),
            Message(b"part1", "stderr", T0 + 1, PartialMetadata("x", 1, False)),
            Message(b"part2", "stderr", T0 + 1, PartialMetadata("x", 2, True)),
            Message(b"plain", "stdout", T0 + 2),
        ]
    )
    async with logger.read_logs(ReadConfig()) as batches:
        got = [(m.source, m.line) async for batch in batches for m in batch]
    assert got == [
        ("stdout", b"a\n"),
        ("stdout", b"b\n"),
        ("stderr", b"part1"),
        ("stderr", b"part2\n"),
        ("stdout", b"plain\n"),
    ]
    async with logger.read_logs(ReadConfig(tail=3)) as batches:
        assert [m.line async for batch in batches for m in batch] == [b"part1", b"part2\n", b"plain\n"]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_follow_gets_new_lines_and_ends_after_the_driver_closes(make: Make, driver: str) -> None:
    logger = make(driver)
    await write_lines(logger, 0, 3)
    got: list[int] = []
    async with anyio.create_task_group() as tg:

        async def follow() -> None:
            async with logger.read_logs(ReadConfig(tail=1, follow=True)) as batches:
                async for batch in batches:
                    got.extend(numbers([m.line for m in batch]))

        tg.start_soon(follow)
        await anyio.sleep(0.01)
        await write_lines(logger, 3, 6)
        await anyio.sleep(0.01)
        await write_lines(logger, 6, 8)
        with anyio.fail_after(5):
            await logger.close()  # the follower drains what is on disk, then ends
    assert got == [2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("compress", ["true", "false"])
async def test_follow_across_rotations_loses_and_repeats_nothing(make: Make, driver: str, compress: str) -> None:
    logger = make(driver, max_size="120", max_file="250", compress=compress)
    got: list[int] = []
    async with anyio.create_task_group() as tg:

        async def follow(delay: float) -> None:
            async with logger.read_logs(ReadConfig(follow=True)) as batches:
                async for batch in batches:
                    got.extend(numbers([m.line for m in batch]))
                    await anyio.sleep(delay)  # a slow reader misses several rotations at a time

        tg.start_soon(follow, 0.002)
        await anyio.sleep(0.01)
        for n in range(0, 400, 7):
            await write_lines(logger, n, min(n + 7, 400))
            await anyio.lowlevel.checkpoint()
        with anyio.fail_after(10):
            await logger.close()
    assert got == list(range(400))


async def test_follow_ends_when_until_passes(make: Make) -> None:
    import time

    logger = make("json-file")
    await logger.log(Message(b"now", "stdout", time.time_ns()))
    with anyio.fail_after(5):
        lines = await read(logger, ReadConfig(follow=True, until=time.time_ns() + 200_000_000))
    assert lines == [b"now\n"]


async def test_a_corrupt_file_is_read_up_to_the_damage(tmp_path: Path, make: Make) -> None:
    logger = make("json-file")
    await write_lines(logger, 0, 2)
    path = anyio.Path(logger.log_file.path)
    await path.write_bytes(await path.read_bytes() + b"{not json}\n")
    await write_lines(logger, 2, 4)
    # Docker warns and stops reading that file at the bad entry.
    assert numbers(await read(logger, ReadConfig())) == [0, 1]
