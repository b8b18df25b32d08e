"""Go's fmt/json renderings, the tab writer, sizes, durations and times as Docker prints them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import errdefs
from pymoby.cli._gofmt import go_quote, go_sprintf
from pymoby.cli._gojson import go_indent
from pymoby.cli._tabwriter import display_width, tabulate
from pymoby.cli._units import (
    InvalidSize,
    bytes_size,
    format_go_duration,
    get_timestamp,
    human_duration,
    human_size,
    parse_go_duration,
    parse_ram,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("sleep 1000", '"sleep 1000"'),
        ("sh -c 'x'", "\"sh -c 'x'\""),
        ('a"b\\', '"a\\"b\\\\"'),
        ("\t\n\x01é", '"\\t\\n\\x01é"'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


@pytest.mark.parametrize(
    ("fmt", "args", "out"),
    [
        ("%s %d %v", ["a", 1, True], "a 1 true"),
        ("%05d|%-5d|%+d|%x|%X|%o|%b", [42, 42, 42, 255, 255, 8, 5], "00042|42   |+42|ff|FF|10|101"),
        ("%.2f %e %g %v", [3.14159, 1234.5, 0.5, 2.0], "3.14 1.234500e+03 0.5 2"),
        ("%q %T %T %T", ["x", "s", 1, [1]], '"x" string int []interface {}'),
        ("%10s|%-10s|%.2s", ["ab", "ab", "abc"], "        ab|ab        |ab"),
        ("%d%%", [5], "5%"),
        ("%s", [], "%!s(MISSING)"),
        ("%s", ["a", "b"], "a%!(EXTRA string=b)"),
        ("%v %s", [None, [1, "x"]], "<nil> [1 x]"),
    ],
)
def test_printf_verbs(fmt: str, args: list[Any], out: str) -> None:
    assert go_sprintf(fmt, args) == out


def test_indent_keeps_scalars_byte_for_byte() -> None:
    raw = b'[{"a":1.50,"b":[],"c":{},"d":"x\\u003c,:{}","e":[true,null]}]'
    assert go_indent(raw) == (
        '[\n    {\n        "a": 1.50,\n        "b": [],\n        "c": {},\n        "d": "x\\u003c,:{}",\n'
        '        "e": [\n            true,\n            null\n        ]\n    }\n]'
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_indent_round_trips(value: Any) -> None:
    assert json.loads(go_indent(json.dumps(value))) == value


def test_tabwriter_aligns_columns_as_docker_tables() -> None:
    text = "CONTAINER ID\tIMAGE\tNAMES\n3f947c840924\tbusybox\tweb\nabc\tx\ty\n"
    assert tabulate(text) == (
        "CONTAINER ID   IMAGE     NAMES\n3f947c840924   busybox   web\nabc            x         y\n"
    )


def test_tabwriter_blocks_end_at_lines_without_tabs_and_count_wide_characters() -> None:
    assert tabulate("a\tb\nno tabs\nlonger-cell\tc\n") == "a         b\nno tabs\nlonger-cell   c\n"
    assert display_width("日本") == 4
    assert tabulate("日本\tx\nab\ty\n").splitlines() == ["日本      x", "ab        y"]


@pytest.mark.parametrize(
    ("size", "precision", "text"),
    [(0, 3, "0B"), (999, 3, "999B"), (1000, 3, "1kB"), (1_990_000, 3, "1.99MB"), (1_986_000, 4, "1.986MB"),
     (5 * 10**12, 3, "5TB"), (2048, 4, "2.048kB")],
)  # fmt: skip
def test_human_size(size: int, precision: int, text: str) -> None:
    assert human_size(size, precision) == text


def test_bytes_size_is_binary() -> None:
    assert [bytes_size(v) for v in (512, 1024, 3 * 1024 * 1024, 1536 * 1024**3)] == ["512B", "1KiB", "3MiB", "1.5TiB"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"), (119, "About a minute"),
     (300, "5 minutes"), (3600, "About an hour"), (7200, "2 hours"), (47 * 3600, "47 hours"),
     (3 * 86400, "3 days"), (15 * 86400, "2 weeks"), (90 * 86400, "3 months"), (800 * 86400, "2 years")],
)  # fmt: skip
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [("512m", 512 * 1024**2), ("1g", 1024**3), ("1.5k", 1536), ("100", 100), ("1kb", 1024), ("2 MiB", 2 * 1024**2),
     ("10b", 10)],
)  # fmt: skip
def test_parse_ram(text: str, value: int) -> None:
    assert parse_ram(text) == value


def test_parse_size_is_decimal_and_bad_sizes_say_why() -> None:
    assert parse_size("1kb") == 1000
    with pytest.raises(InvalidSize, match="invalid size: 'abc'"):
        parse_ram("abc")
    with pytest.raises(InvalidSize, match="invalid suffix: 'x'"):
        parse_ram("12x")
    with pytest.raises(InvalidSize, match="invalid suffix: 'mx'"):
        parse_ram("1mx")


@pytest.mark.parametrize(
    ("text", "ns"), [("0", 0), ("1s", 10**9), ("1h30m", 5400 * 10**9), ("1.5s", 1_500_000_000), ("-2m", -120 * 10**9),
                     ("300ms", 300_000_000), ("10us", 10_000)]
)  # fmt: skip
def test_go_durations(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


def test_go_duration_errors_and_formatting() -> None:
    with pytest.raises(errdefs.InvalidParameter, match='missing unit in duration "5"'):
        parse_go_duration("5")
    with pytest.raises(errdefs.InvalidParameter, match='invalid duration "abc"'):
        parse_go_duration("abc")
    assert [format_go_duration(n) for n in (0, 1_500_000_000, 5400 * 10**9, 61 * 10**9, 2_000_000)] == [
        "0s", "1.5s", "1h30m0s", "1m1s", "2ms"
    ]  # fmt: skip


def test_get_timestamp_accepts_durations_dates_and_unix_times() -> None:
    now = 1_700_000_000.0
    assert get_timestamp("10m", now) == str(int(now - 600))
    assert get_timestamp("1700000000", now) == "1700000000"
    assert get_timestamp("1700000000.5", now) == "1700000000.500000000"
    assert get_timestamp("2024-01-02T03:04:05Z", now) == "1704164645.000000000"
    assert get_timestamp("2024-01-02T03:04:05.25+01:00", now) == "1704161045.250000000"
    local = time.mktime((2024, 1, 2, 0, 0, 0, 0, 0, -1))
    assert get_timestamp("2024-01-02", now) == f"{int(local)}.000000000"
    with pytest.raises(errdefs.InvalidParameter, match='failed to parse value as time or duration: "soon"'):
        get_timestamp("soon", now)
