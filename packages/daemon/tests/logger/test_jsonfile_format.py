"""json-file entries byte for byte as Docker writes them, and read back."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby.daemon.logger import (
    JsonFileCodec,
    LineBlock,
    Message,
    PartialMetadata,
    escape_json_string,
    format_fixed,
    format_rfc3339nano,
    parse_rfc3339nano,
)

T0 = 1704067200 * 10**9  # 2024-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        (b"hello", b'"hello"'),
        (b'say "hi"', b'"say \\"hi\\""'),
        (b"a\\b", b'"a\\\\b"'),
        (b"<a href='x'>&</a>", b"\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\""),
        (b"tab\there", b'"tab\\u0009here"'),
        (b"cr\rlf\n", b'"cr\\rlf\\n"'),
        (b"\x00\x1b[31m\x7f", b'"\\u0000\\u001b[31m\x7f"'),
        ("héllo wörld 日本".encode(), '"héllo wörld 日本"'.encode()),
        ("\ufffd kept".encode(), '"\ufffd kept"'.encode()),
        (b"bad \xff byte", b'"bad \\ufffd byte"'),
        (b"cut \xe2\x82", b'"cut \\ufffd\\ufffd"'),
        (b"surrogate \xed\xa0\x80", b'"surrogate \\ufffd\\ufffd\\ufffd"'),
        ("line\u2028sep\u2029".encode(), b'"line\\u2028sep\\u2029"'),
    ],
)
def test_strings_are_escaped_as_dockers_json_file_does(raw: bytes, escaped: bytes) -> None:
    assert escape_json_string(raw) == escaped


@pytest.mark.parametrize(
    ("ns", "rfc3339nano", "fixed"),
    [
        (T0 + 123456789, "2024-01-01T00:00:00.123456789Z", "2024-01-01T00:00:00.123456789Z"),
        (T0 + 120000000, "2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.120000000Z"),
        (T0, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000000000Z"),
        (T0 + 86399 * 10**9 + 1, "2024-01-01T23:59:59.000000001Z", "2024-01-01T23:59:59.000000001Z"),
    ],
)
def test_times_are_written_in_gos_formats(ns: int, rfc3339nano: str, fixed: str) -> None:
    assert format_rfc3339nano(ns) == rfc3339nano
    assert format_fixed(ns) == fixed
    assert parse_rfc3339nano(rfc3339nano) == ns


def test_parse_accepts_offsets() -> None:
    assert parse_rfc3339nano("2024-01-01T02:00:00.5+02:00") == T0 + 500_000_000


def test_a_block_of_lines_is_one_entry_per_line() -> None:
    codec = JsonFileCodec()
    data = codec.encode([LineBlock(b'first\nsecond "quoted"\n\n', "stdout", T0 + 1)])
    assert data == (
        b'{"log":"first\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000001Z"}\n'
        b'{"log":"second \\"quoted\\"\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000001Z"}\n'
        b'{"log":"\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000001Z"}\n'
    )


def test_partial_messages_have_no_newline_and_the_last_one_does() -> None:
    codec = JsonFileCodec()
    data = codec.encode(
        [
            Message(b"aaaa", "stderr", T0, PartialMetadata("p", 1, False)),
            Message(b"bb", "stderr", T0, PartialMetadata("p", 2, True)),
        ]
    )
    assert data == (
        b'{"log":"aaaa","stream":"stderr","time":"2024-01-01T00:00:00Z"}\n'
        b'{"log":"bb\\n","stream":"stderr","time":"2024-01-01T00:00:00Z"}\n'
    )


def test_attrs_come_between_stream_and_time_with_sorted_keys() -> None:
    codec = JsonFileCodec({"tag": "web", "com.example": "a<b"})
    line = codec.encode([Message(b"x", "stdout", T0)])
    assert line == (
        b'{"log":"x\\n","stream":"stdout","attrs":{"com.example":"a\\u003cb","tag":"web"},'
        b'"time":"2024-01-01T00:00:00Z"}\n'
    )
    assert json.loads(line)["attrs"] == {"tag": "web", "com.example": "a<b"}


lines = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=20)


@given(lines)
def test_encoding_a_block_equals_encoding_each_line(block_lines: list[bytes]) -> None:
    codec = JsonFileCodec({"a": "1"})
    block = LineBlock(b"".join(line + b"\n" for line in block_lines), "stdout", T0 + 7)
    one_by_one = codec.encode([Message(line, "stdout", T0 + 7) for line in block_lines])
    assert codec.encode([block]) == one_by_one


@given(lines)
def test_what_is_written_reads_back_as_valid_json_with_the_lines(block_lines: list[bytes]) -> None:
    codec = JsonFileCodec()
    data = codec.encode([LineBlock(b"".join(line + b"\n" for line in block_lines), "stderr", T0 + 9)])
    decoded = codec.decode(data)
    assert [m.line for m in decoded] == [json.loads(raw)["log"].encode() for raw in data.splitlines()]
    for line, message in zip(block_lines, decoded, strict=True):
        # Docker writes invalid UTF-8 as U+FFFD, byte by byte.
        assert message.line == _replaced(line) + b"\n"
    assert {(m.source, m.timestamp) for m in decoded} == {("stderr", T0 + 9)}


def _replaced(line: bytes) -> bytes:
    text = line.decode("utf-8", "surrogateescape")
    return "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text).encode()


def test_tail_and_cut_work_on_line_boundaries() -> None:
    codec = JsonFileCodec()
    data = codec.encode([LineBlock(b"a\nb\nc\n", "stdout", T0)])
    first_end = data.index(b"\n") + 1
    assert codec.cut(data, 1) == first_end
    assert codec.cut(data, first_end) == first_end
    assert codec.cut(data, first_end + 1) == data.index(b"\n", first_end) + 1

    def read_at(offset: int, length: int) -> bytes:
        return data[offset : offset + length]

    offset, skip, found = codec.tail(read_at, len(data), 2)
    assert (skip, found) == (0, 2)
    assert [m.line for m in codec.decode(data[offset:])] == [b"b\n", b"c\n"]
    assert codec.tail(read_at, len(data), 10) == (0, 0, 3)
