"""The pymobyd command: flags, the config file, validation and the data-root lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pymoby.daemon import Components
from pymoby.daemon.command import DaemonLock, DaemonRunning, new_daemon_command


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(new_daemon_command(Components()), list(args))
    return result.exit_code, result.output


def test_validate_accepts_a_good_configuration(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text('{"debug": true, "registry-mirrors": ["https://mirror.example"]}')
    code, output = run("--config-file", str(config), "--iptables=false", "--validate")
    assert (code, output.strip()) == (0, "configuration OK")


def test_a_key_given_as_flag_and_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text('{"debug": false}')
    code, output = run("--config-file", str(config), "--debug", "--validate")
    assert code == 1
    assert "the following directives are specified both as a flag and in the configuration file: debug" in output


def test_flags_that_are_lists_conflict_with_the_file_too(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text('{"insecure-registries": ["a:5000"]}')
    code, output = run("--config-file", str(config), "--insecure-registry", "b:5000", "--validate")
    assert code == 1
    assert "insecure-registries" in output


def test_unknown_file_key_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text('{"nope": 1}')
    code, output = run("--config-file", str(config), "--validate")
    assert code == 1
    assert "don't match any configuration option: nope" in output


def test_malformed_flags_are_usage_errors(tmp_path: Path) -> None:
    code, output = run("--config-file", str(tmp_path / "x.json"), "--log-opt", "novalue", "--validate")
    assert code == 2
    assert "expected key=value" in output


def test_version_flag() -> None:
    code, output = run("--version")
    assert (code, output.strip()) == (0, "pymobyd version 0.1.0")


def test_a_second_daemon_on_the_same_data_root_is_refused(tmp_path: Path) -> None:
    first = DaemonLock(tmp_path / "root", tmp_path / "a.pid")
    first.acquire()
    try:
        with pytest.raises(DaemonRunning, match="already running on data root"):
            DaemonLock(tmp_path / "root", tmp_path / "b.pid").acquire()
    finally:
        first.release()
    assert not (tmp_path / "a.pid").exists()
    second = DaemonLock(tmp_path / "root", tmp_path / "b.pid")
    second.acquire()
    second.release()
