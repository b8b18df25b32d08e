"""A real pymobyd (own containerd) with busybox loaded, and the two CLIs side by side against it.

``clis.both(*args)`` runs the same command through the docker CLI (28.2,
/usr/local/bin/docker) and through ``python -m pymoby.cli`` against the same
daemon and returns both results, masked so they compare: IDs, times,
durations and the program name (``docker``/``pymoby``) are replaced by
placeholders. ``{me}`` in an argument is replaced by ``d`` for docker and
``p`` for pymoby, so stateful scenarios use their own object names; it is
masked back to ``{me}`` in the outputs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.images import busybox_image_archive
from support.pymobyd import Pymobyd, start_pymobyd

_MASKS = [
    (re.compile(r"\b(sha256:)?[0-9a-f]{64}\b"), "<ID>"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<SHORTID>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?( [+-]\d{4} \w+)?"), "<TIME>"),
    (re.compile(r"(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes|hours|days|weeks))"), "<DUR>"),
    (re.compile(r"\bdocker\b"), "pymoby"),
]


def mask(text: str) -> str:
    """Replace what differs between two runs of the same scenario."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


@dataclass
class Outcome:
    """One CLI run: exit status and masked outputs."""

    code: int
    out: str
    err: str


class Clis:
    """Runs the docker CLI and pymoby against one daemon."""

    def __init__(self, daemon: Pymobyd, config: Path) -> None:
        self.daemon = daemon
        self.config = config

    def env(self) -> dict[str, str]:
        env = self.daemon.env()
        env["DOCKER_CONFIG"] = str(self.config)
        env["PYMOBY_HOST"] = self.daemon.host
        env.pop("PYMOBY_API_VERSION", None)
        return env

    def run(self, tool: str, *args: str, input: bytes | None = None, raw: bool = False) -> Outcome:  # noqa: A002
        me = "d" if tool == "docker" else "p"
        argv = [a.replace("{me}", me) for a in args]
        command = ["docker", *argv] if tool == "docker" else [sys.executable, "-m", "pymoby.cli", *argv]
        result = subprocess.run(command, env=self.env(), input=input, capture_output=True, timeout=120, check=False)
        out = result.stdout.decode(errors="replace")
        err = result.stderr.decode(errors="replace")
        if raw:
            return Outcome(result.returncode, out, err)
        names = re.compile(rf"\b(\w+)-{me}\b")
        out, err = names.sub(r"\1-{me}", out), names.sub(r"\1-{me}", err)
        return Outcome(result.returncode, mask(out), mask(err))

    def stdout_bytes(self, tool: str, *args: str) -> bytes:
        """The raw standard output of a command (tar streams)."""
        me = "d" if tool == "docker" else "p"
        argv = [a.replace("{me}", me) for a in args]
        command = ["docker", *argv] if tool == "docker" else [sys.executable, "-m", "pymoby.cli", *argv]
        result = subprocess.run(command, env=self.env(), capture_output=True, timeout=120, check=True)
        return result.stdout

    def docker(self, *args: str, input: bytes | None = None) -> Outcome:  # noqa: A002
        return self.run("docker", *args, input=input)

    def pymoby(self, *args: str, input: bytes | None = None) -> Outcome:  # noqa: A002
        return self.run("pymoby", *args, input=input)

    def both(self, *args: str, input: bytes | None = None) -> tuple[Outcome, Outcome]:  # noqa: A002
        """The same command through each CLI (docker first)."""
        return self.docker(*args, input=input), self.pymoby(*args, input=input)

    def same(self, *args: str, input: bytes | None = None) -> Outcome:  # noqa: A002
        """Assert both CLIs answer alike (status, stdout, stderr); pymoby's outcome."""
        theirs, ours = self.both(*args, input=input)
        assert ours == theirs, f"pymoby {' '.join(args)}\n  docker: {theirs}\n  pymoby: {ours}"
        return ours


@pytest.fixture(scope="module")
def clis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clis]:
    """A pymobyd for the module, busybox loaded, and the two CLIs."""
    base = Path(tempfile.mkdtemp(prefix="pcli-", dir="/tmp"))  # unix socket paths are short
    work = tmp_path_factory.mktemp("cli")
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work)
    daemon = start_pymobyd(base)
    try:
        config = work / "docker-config"
        config.mkdir()
        runner = Clis(daemon, config)
        loaded = subprocess.run(["docker", "load", "-i", str(archive)], env=runner.env(), capture_output=True,
                                check=False)  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
        yield runner
    finally:
        code = daemon.stop()
        log = daemon.log()
        daemon.remove()
        if code != 0:
            pytest.fail(f"pymobyd exited with {code}:\n{log[-3000:]}")


@pytest.fixture
def python() -> str:
    """The interpreter that runs ``python -m pymoby.cli``."""
    return sys.executable


def pymoby_argv() -> list[str]:
    """The command line of pymoby in this environment."""
    return [sys.executable, "-m", "pymoby.cli"]


os.environ.setdefault("COLUMNS", "200")
