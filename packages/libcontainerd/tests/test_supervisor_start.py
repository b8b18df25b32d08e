"""The supervisor's clear errors when containerd cannot start (no root needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.libcontainerd import ContainerdStartError, Supervisor, SupervisorConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


async def test_a_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    config = SupervisorConfig(root=tmp_path / "r", state=tmp_path / "s", binary="no-such-containerd")
    with pytest.raises(ContainerdStartError, match="not found") as caught:
        async with Supervisor(config):
            pass
    assert errdefs.is_unavailable(caught.value)


async def test_a_binary_that_exits_reports_its_status_and_log(tmp_path: Path) -> None:
    binary = script(tmp_path / "fake", 'echo "bad config: $2" >&2; exit 3')
    config = SupervisorConfig(root=tmp_path / "r", state=tmp_path / "s", binary=binary)
    with pytest.raises(ContainerdStartError, match=r"exited during start-up \(status 3\).*bad config"):
        async with Supervisor(config):
            pass
    assert not config.pid_file.exists()


async def test_a_binary_that_never_answers_times_out(tmp_path: Path) -> None:
    binary = script(tmp_path / "mute", "exec sleep 30")
    config = SupervisorConfig(root=tmp_path / "r", state=tmp_path / "s", binary=binary, start_timeout=0.5)
    with pytest.raises(ContainerdStartError, match=r"did not answer on .* within 0.5s"):
        async with Supervisor(config):
            pass
    assert not config.pid_file.exists()
