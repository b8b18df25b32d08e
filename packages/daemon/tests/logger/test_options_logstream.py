"""--log-driver/--log-opt checks in Docker's words, and the bytes of the logs endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pymoby import api, errdefs
from pymoby.daemon.logger import (
    LineBlock,
    LogConfig,
    LogInfo,
    LogMode,
    LogsOptions,
    Message,
    NoneLogger,
    ReadConfig,
    ReadLogsNotSupported,
    copier_mode,
    drivers,
    encode_logs,
    from_human_size,
    merge_log_config,
    new_logger,
    open_log_reader,
    ram_in_bytes,
    validate_log_opts,
)

T0 = 1704067200 * 10**9


@pytest.mark.parametrize(
    ("text", "decimal", "binary"),
    [("10", 10, 10), ("10k", 10_000, 10_240), ("1.5m", 1_500_000, 1_572_864), ("20MB", 20_000_000, 20_971_520),
     ("2 GiB", 2_000_000_000, 2_147_483_648), ("1b", 1, 1)],
)  # fmt: skip
def test_sizes_parse_as_go_units_does(text: str, decimal: int, binary: int) -> None:
    assert from_human_size(text) == decimal
    assert ram_in_bytes(text) == binary


@pytest.mark.parametrize("text", ["", "abc", "10x", "10kbb", "-1"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid size|invalid suffix"):
        from_human_size(text)


@pytest.mark.parametrize(
    ("driver", "options", "message"),
    [
        ("json-file", {"x": "1"}, "unknown log opt 'x' for json-file log driver"),
        ("local", {"x": "1"}, "unknown log opt 'x' for log driver local"),
        ("nope", {}, "logger: no log driver named 'nope' is registered"),
        ("json-file", {"mode": "fast"}, "logger: logging mode not supported: fast"),
        ("json-file", {"max-buffer-size": "1m"}, "max-buffer-size option is only supported with 'mode=non-blocking'"),
        ("json-file", {"mode": "non-blocking", "max-buffer-size": "lots"}, "error parsing option max-buffer-size"),
        ("json-file", {"max-size": "0"}, "max-size must be a positive number"),
        ("json-file", {"max-size": "ten"}, "invalid size: 'ten'"),
        ("json-file", {"max-file": "0"}, "max-file cannot be less than 1"),
        ("json-file", {"max-file": "x"}, 'strconv.Atoi: parsing "x": invalid syntax'),
        ("json-file", {"compress": "true"}, "compress cannot be true when max-file is less than 2 or max-size"),
        ("json-file", {"compress": "maybe"}, 'strconv.ParseBool: parsing "maybe": invalid syntax'),
        ("local", {"max-file": "1"}, "compression cannot be enabled when max file count is 1"),
        ("local", {"max-file": "-2", "compress": "false"}, "max-file must not be negative"),
        ("local", {"max-size": "big"}, "invalid value for max-size: big"),
    ],
)
def test_bad_log_options_are_invalid_parameters_in_dockers_words(
    driver: str, options: dict[str, str], message: str
) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_log_opts(driver, options)


@pytest.mark.parametrize(
    ("driver", "options"),
    [
        ("json-file", {"max-size": "10m", "max-file": "3", "compress": "true", "labels": "a", "tag": "{{.Name}}"}),
        ("local", {}),
        ("local", {"max-size": "1m", "max-file": "2", "env-regex": "^A"}),
        ("json-file", {"mode": "non-blocking", "max-buffer-size": "4m"}),
        ("none", {"anything": "goes"}),  # Docker does not check options for none
    ],
)
def test_good_log_options_pass(driver: str, options: dict[str, str]) -> None:
    validate_log_opts(driver, options)


def test_the_daemon_default_fills_in_the_container_config() -> None:
    default = LogConfig("json-file", {"max-size": "10m", "max-file": "3"})
    assert merge_log_config(LogConfig("", {}), default) == LogConfig("json-file", {"max-size": "10m", "max-file": "3"})
    assert merge_log_config(LogConfig("json-file", {"max-file": "5"}), default).config == {
        "max-size": "10m",
        "max-file": "5",
    }
    assert merge_log_config(LogConfig("local", {}), default) == LogConfig("local", {})
    with pytest.raises(errdefs.InvalidParameter):
        merge_log_config(LogConfig("json-file", {"bogus": "1"}), default)


def test_copier_mode_and_buffer_come_from_the_options() -> None:
    assert copier_mode({}) == (LogMode.BLOCKING, 1_000_000)
    assert copier_mode({"mode": "non-blocking", "max-buffer-size": "2m"}) == (LogMode.NON_BLOCKING, 2 * 1024 * 1024)


def test_registry_lists_the_built_in_drivers() -> None:
    assert drivers.names() == ["json-file", "local", "none"]


def test_tags_and_attributes_come_from_the_container(tmp_path: Path) -> None:
    info = LogInfo(
        config={"tag": "{{.Name}}/{{.ID}} {{.ImageName}}", "labels": "app,missing", "env": "STAGE", "env-regex": "^X"},
        container_id="0123456789abcdef" * 4,
        container_name="/web",
        container_image_name="busybox:latest",
        container_labels={"app": "shop", "other": "no"},
        container_env=["STAGE=prod", "XA=1", "NOPE=2"],
    )
    assert info.tag() == "web/0123456789ab busybox:latest"
    assert info.extra_attributes() == {"app": "shop", "STAGE": "prod", "XA": "1"}
    with pytest.raises(errdefs.InvalidParameter, match="can't evaluate field Nope"):
        LogInfo(config={"tag": "{{.Nope}}"}).tag()


@pytest.mark.anyio
async def test_none_driver_discards_and_cannot_be_read() -> None:
    driver = new_logger("none", LogInfo())
    assert isinstance(driver, NoneLogger)
    await driver.log(Message(b"gone"))
    with pytest.raises(ReadLogsNotSupported, match="configured logging driver does not support reading") as caught:
        open_log_reader(driver)
    assert errdefs.is_not_implemented(caught.value)


def test_logs_query_is_parsed_as_docker_does() -> None:
    options = LogsOptions.from_query(
        {"stdout": "1", "stderr": "0", "follow": "true", "since": "1704067200.5", "tail": "all", "timestamps": "1"}
    )
    assert options == LogsOptions(
        stdout=True, stderr=False, follow=True, since=T0 + 500_000_000, tail=-1, timestamps=True
    )
    assert options.read_config(running=False) == ReadConfig(since=T0 + 500_000_000, tail=-1, follow=False)
    assert LogsOptions.from_query({"stderr": "yes", "tail": "10", "until": "0"}).tail == 10
    with pytest.raises(errdefs.InvalidParameter, match="you must choose at least one stream"):
        LogsOptions.from_query({"follow": "1"})
    with pytest.raises(errdefs.InvalidParameter):
        LogsOptions.from_query({"stdout": "1", "since": "yesterday"})


async def batches_of(*batches: list[Message]) -> AsyncIterator[list[Message]]:
    for batch in batches:
        yield batch


@pytest.mark.anyio
async def test_logs_are_framed_without_a_tty_and_raw_with_one() -> None:
    batch = [Message(b"out\n", "stdout", T0), Message(b"err\n", "stderr", T0 + 1, attrs={"b": "2 3", "a": "1"})]
    options = LogsOptions(timestamps=True, details=True)
    framed = b"".join([c async for c in encode_logs(batches_of(batch), options, multiplexed=True)])
    decoder = api.FrameDecoder()
    assert decoder.feed(framed) == [
        (api.StdStream.STDOUT, b"2024-01-01T00:00:00.000000000Z  out\n"),
        (api.StdStream.STDERR, b"2024-01-01T00:00:00.000000001Z a=1,b=2+3 err\n"),
    ]
    raw = b"".join([c async for c in encode_logs(batches_of(batch), LogsOptions(stderr=False), multiplexed=False)])
    assert raw == b"out\n"


@pytest.mark.anyio
async def test_a_read_error_ends_the_logs_with_dockers_message() -> None:
    async def failing() -> AsyncIterator[list[Message]]:
        yield [Message(b"first\n", "stdout", T0)]
        raise OSError("disk gone")

    chunks = [c async for c in encode_logs(failing(), LogsOptions(), multiplexed=True)]
    frames = api.FrameDecoder().feed(b"".join(chunks))
    assert frames == [
        (api.StdStream.STDOUT, b"first\n"),
        (api.StdStream.SYSTEMERR, b"Error grabbing logs: disk gone\n"),
    ]


@pytest.mark.anyio
async def test_logs_of_a_json_file_container_end_to_end(tmp_path: Path) -> None:
    info = LogInfo(container_id="a" * 64, log_path=str(tmp_path / "a-json.log"))
    driver = new_logger("json-file", info)
    await driver.log_batch([LineBlock(b"one\ntwo\n", "stdout", T0), LineBlock(b"oops\n", "stderr", T0 + 5)])
    options = LogsOptions.from_query({"stdout": "1", "stderr": "1", "tail": "2"})
    async with open_log_reader(driver).read_logs(options.read_config()) as batches:
        body = b"".join([chunk async for chunk in encode_logs(batches, options, multiplexed=True)])
    await driver.close()
    assert api.FrameDecoder().feed(body) == [(api.StdStream.STDOUT, b"two\n"), (api.StdStream.STDERR, b"oops\n")]
