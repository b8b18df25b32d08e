"""tools/pymobyd.service names a pymobyd command line that pymobyd accepts."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tools" / "pymobyd.service"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_runs_the_quickstart_pymobyd_on_the_default_socket(tmp_path: Path) -> None:
    unit = _unit()
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[0] == "/opt/pymoby/bin/pymobyd"  # where tools/quickstart installs it
    assert argv[1:] == ["-H", "unix:///run/pymoby.sock"]
    # pymobyd itself accepts the flags: the same command line, validated.
    config = tmp_path / "daemon.json"
    config.write_text("{}")
    result = subprocess.run(
        [sys.executable, "-m", "pymoby.cmd", *argv[1:], "--config-file", str(config), "--validate"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout.strip()) == (0, "configuration OK"), result.stderr
