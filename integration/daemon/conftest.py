"""A real pymobyd (with its own containerd) per module, or per test for the destructive ones."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd, start_pymobyd

Start = Callable[..., Pymobyd]


def _base() -> Path:
    # Short, unique per worker and test: unix socket paths are limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pmd-", dir="/tmp"))


@pytest.fixture
def start_daemon() -> Iterator[Start]:
    """``start_daemon(*flags, tcp=..., config=...)``: daemons stopped and removed after the test."""
    started: list[Pymobyd] = []

    def start(*args: str, **kwargs: Any) -> Pymobyd:
        daemon = start_pymobyd(_base(), *args, **kwargs)
        started.append(daemon)
        return daemon

    yield start
    failures = []
    for daemon in started:
        code = daemon.stop()
        if code != 0:
            failures.append(f"pymobyd exited with {code}:\n{daemon.log()[-3000:]}")
        daemon.remove()
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture(scope="module")
def daemon() -> Iterator[Pymobyd]:
    """One daemon (unix socket + loopback TCP) shared by a module's read-only tests."""
    instance = start_pymobyd(_base(), tcp=True)
    try:
        yield instance
    finally:
        code = instance.stop()
        log = instance.log()
        instance.remove()
        if code != 0:
            pytest.fail(f"pymobyd exited with {code}:\n{log[-3000:]}")
