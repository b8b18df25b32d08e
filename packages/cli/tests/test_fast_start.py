"""One-shot commands start without the async machinery: no event loop, asyncio, anyio, h11 or msgspec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ASYNC_MODULES = {"asyncio", "anyio", "h11", "msgspec"}


def _run(engine: Any, config_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYMOBY_", "DOCKER_"))}
    argv = [sys.executable, "-X", "importtime", "-m", "pymoby.cli", "-H", engine.host, "--config", str(config_dir)]
    done = subprocess.run([*argv, *args], capture_output=True, text=True, env=env, timeout=60)
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, imported


@pytest.mark.parametrize(
    "args",
    [
        ("version", "--format", "{{.Server.Version}}"),
        ("ps", "-a"),
        ("ps", "--format", "{{.Names}} {{json .Labels}}"),
        ("images",),
        ("inspect", "--type", "image", "busybox"),
        ("volume", "ls"),
        ("network", "ls"),
        ("rm", "-f", "gone"),
    ],
    ids=" ".join,
)
def test_one_shot_commands_load_no_event_loop(engine: Any, config_dir: Path, args: tuple[str, ...]) -> None:
    engine.add_image("busybox:latest", "1" * 64)
    done, imported = _run(engine, config_dir, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert imported & ASYNC_MODULES == set()


def test_a_streaming_command_still_runs_on_the_event_loop(engine: Any, config_dir: Path) -> None:
    done, imported = _run(engine, config_dir, "events", "--since", "0", "--until", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"asyncio", "anyio", "h11"} <= imported


def test_a_one_shot_command_reports_a_missing_daemon_as_docker_does(tmp_path: Path, config_dir: Path) -> None:
    class Nowhere:
        host = f"unix://{tmp_path}/none.sock"

    done, _ = _run(Nowhere(), config_dir, "ps")
    assert done.returncode == 1
    assert f"Cannot connect to the Docker daemon at unix://{tmp_path}/none.sock" in done.stderr


@pytest.mark.parametrize(
    "text",
    ["busybox", "busybox:latest", "my_app-2:v1.0", "localhost:5000", "a__b", "library/busybox", "Busybox",
     "quay.io/x/y:1", "busybox@sha256:" + "a" * 64, "a-", "x:" + "t" * 129],
)  # fmt: skip
def test_the_official_image_fast_path_agrees_with_the_reference_grammar(text: str) -> None:
    from pymoby import errdefs, reference
    from pymoby.cli._familiar import official_name_tag

    fast = official_name_tag(text)
    try:
        ref = reference.parse_normalized_named(text)
    except errdefs.InvalidParameter:
        assert fast is None  # invalid: the full grammar says why
        return
    official = ref.domain == "docker.io" and ref.path.startswith("library/") and ref.digest is None
    if "/" in text:
        assert fast is None  # a domain or a path: always the full grammar
    else:
        assert (fast is not None) == official
    if fast is not None:
        assert (reference.familiar_name(ref), ref.tag) == fast
        assert reference.familiar_string(ref) == text
