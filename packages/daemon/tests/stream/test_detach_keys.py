"""Detach keys: Docker's syntax, and spotting them across reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import errdefs
from pymoby.daemon.stream import DEFAULT_DETACH_KEYS, DetachMatcher, parse_detach_keys


@pytest.mark.parametrize(
    ("spec", "keys"),
    [
        ("", b"\x10\x11"),
        ("ctrl-p,ctrl-q", b"\x10\x11"),
        ("ctrl-a", b"\x01"),
        ("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", b"\x00\x1b\x1c\x1d\x1e\x1f"),
        ("a,b,c", b"abc"),
        ("ctrl-x,q", b"\x18q"),
        ("DEL", b"\x7f"),
    ],
)
def test_docker_key_syntax(spec: str, keys: bytes) -> None:
    assert parse_detach_keys(spec) == keys


@pytest.mark.parametrize("spec", ["ctrl-", "ctrl-P", "ctrl-1", "ctrl-ab", "alt-x", "é", "a,,b", ",", "del"])
def test_unknown_keys_are_refused_with_dockers_message(spec: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=r"^Invalid detach keys \(.*\) provided$"):
        parse_detach_keys(spec)


def feed_all(matcher: DetachMatcher, pieces: list[bytes]) -> tuple[bytes, bool]:
    out = b""
    for piece in pieces:
        data, detached = matcher.feed(piece)
        out += data
        if detached:
            return out, True
    return out + matcher.flush(), False


def test_the_sequence_detaches_and_is_not_forwarded() -> None:
    assert feed_all(DetachMatcher(), [b"ls\x10\x11rest"]) == (b"ls", True)


def test_the_sequence_split_across_reads_still_detaches() -> None:
    assert feed_all(DetachMatcher(), [b"echo hi\x10", b"\x11"]) == (b"echo hi", True)


def test_a_partial_match_is_passed_through_when_the_next_byte_breaks_it() -> None:
    matcher = DetachMatcher()
    assert matcher.feed(b"a\x10") == (b"a", False)  # held back: it may start the sequence
    assert matcher.holding == b"\x10"
    assert matcher.feed(b"b") == (b"\x10b", False)


def test_a_repeated_first_key_still_detaches() -> None:
    assert feed_all(DetachMatcher(), [b"\x10", b"\x10", b"\x11"]) == (b"\x10", True)


def test_held_bytes_come_out_at_end_of_input() -> None:
    assert feed_all(DetachMatcher(b"abc"), [b"xxab"]) == (b"xxab", False)


@given(
    st.binary(max_size=60),
    st.lists(st.integers(1, 7), min_size=1, max_size=20),
    st.sampled_from([b"\x10\x11", b"aab", b"q"]),
)
def test_reads_of_any_size_give_the_same_result(data: bytes, cuts: list[int], keys: bytes) -> None:
    whole = feed_all(DetachMatcher(keys), [data])
    pieces, position, i = [], 0, 0
    while position < len(data):
        pieces.append(data[position : position + cuts[i % len(cuts)]])
        position += cuts[i % len(cuts)]
        i += 1
    assert feed_all(DetachMatcher(keys), pieces) == whole
    index = data.find(keys)
    if index == -1:
        assert whole == (data, False)
    else:
        assert whole == (data[:index], True)


def test_default_keys_are_ctrl_p_ctrl_q() -> None:
    assert bytes([16, 17]) == DEFAULT_DETACH_KEYS
