"""Multiplexed stream frames: encoding and incremental decoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import api


def test_frame_header_is_dockers_layout() -> None:
    assert api.encode_frame(api.StdStream.STDERR, b"abc") == b"\x02\x00\x00\x00\x00\x00\x00\x03abc"


@given(
    st.lists(st.tuples(st.sampled_from(list(api.StdStream)), st.binary(max_size=64)), max_size=8),
    st.integers(min_value=1, max_value=7),
)
def test_frames_decode_whatever_the_chunking(frames: list[tuple[api.StdStream, bytes]], step: int) -> None:
    data = b"".join(api.encode_frame(s, p) for s, p in frames)
    decoder = api.FrameDecoder()
    out: list[tuple[api.StdStream, bytes]] = []
    for i in range(0, len(data), step):
        out.extend(decoder.feed(data[i : i + step]))
    assert out == frames
    assert decoder.pending == 0


def test_unknown_stream_is_an_error() -> None:
    with pytest.raises(api.FrameError):
        api.FrameDecoder().feed(b"\x07\x00\x00\x00\x00\x00\x00\x00")
