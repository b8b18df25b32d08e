"""Docker's progress messages: sizes, bars and the JSON lines the docker CLI draws."""

from __future__ import annotations

import pytest

from pymoby import api
from pymoby.daemon.distribution import (
    encode_message,
    error_message,
    human_size,
    progress_bar,
    progress_message,
    short_id,
    status_message,
    update_message,
)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0B"), (527, "527B"), (2228, "2.228kB"), (1_048_576, "1.049MB"), (5_000_000, "5MB"), (1e9, "1GB")],
)
def test_human_size_is_gos_units_human_size(size: float, shown: str) -> None:
    assert human_size(size) == shown


def test_progress_bar_renders_like_jsonprogress() -> None:
    assert (
        progress_bar(1_048_576, 2_228_016) == "[=======================>                           ]  1.049MB/2.228MB"
    )
    assert progress_bar(10, 10) == "[==================================================>]      10B/10B"
    assert progress_bar(0, 0) == ""
    assert progress_bar(4096, 0) == " 4.096kB"


def test_lines_are_dockers_json() -> None:
    assert encode_message(status_message("Pulling from library/busybox", "latest")) == (
        b'{"status":"Pulling from library/busybox","id":"latest"}\r\n'
    )
    assert encode_message(update_message("a58ecd4f0c86", "Pull complete")) == (
        b'{"status":"Pull complete","progressDetail":{},"id":"a58ecd4f0c86"}\r\n'
    )
    line = api.encode(progress_message("a58ecd4f0c86", "Downloading", 5, 10))
    assert line.startswith(b'{"status":"Downloading","progressDetail":{"current":5,"total":10},"progress":"[')
    assert encode_message(error_message("boom")) == b'{"errorDetail":{"message":"boom"},"error":"boom"}\r\n'
    assert short_id("sha256:" + "ab" * 32) == "abababababab"
