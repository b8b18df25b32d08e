"""Start-up, refusal of a second daemon, signals, shutdown, and containerd dying under the daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from support.pymobyd import Pymobyd, ping, start_pymobyd

pytestmark = pytest.mark.root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_cleanly_with_its_containerd(start_daemon: object) -> None:
    daemon: Pymobyd = start_daemon()  # type: ignore[operator]
    containerd = daemon.containerd_pid()
    assert containerd is not None
    assert _alive(containerd)
    assert (daemon.base / "d.pid").read_text().strip() == str(daemon.process.pid)
    assert daemon.stop() == 0
    assert not daemon.socket.exists()
    assert not (daemon.base / "d.pid").exists()
    deadline = time.monotonic() + 10
    while _alive(containerd) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(containerd)
    assert "Daemon shutdown complete" in daemon.log()


def test_a_second_daemon_on_the_same_data_root_is_refused(start_daemon: object) -> None:
    daemon: Pymobyd = start_daemon()  # type: ignore[operator]
    other = Path(tempfile.mkdtemp(prefix="pmd-", dir="/tmp"))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pymoby.cmd", "--data-root", str(daemon.data_root),
             "--exec-root", str(other / "exec"), "--pidfile", str(other / "d.pid"),
             "--config-file", str(daemon.config_path), "-H", f"unix://{other / 'd.sock'}"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        subprocess.run(["rm", "-rf", str(other)], check=False)
    assert result.returncode == 1
    assert f"already running on data root {daemon.data_root}" in result.stderr
    assert ping(daemon.socket)


def test_flag_and_file_conflict_stops_start_up(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({"debug": True}))
    result = subprocess.run(
        [sys.executable, "-m", "pymoby.cmd", "--config-file", str(config), "--debug",
         "--data-root", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "specified both as a flag and in the configuration file: debug" in result.stderr


def test_plain_tcp_on_all_interfaces_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="without TLS"):
        start_pymobyd(Path(tempfile.mkdtemp(prefix="pmd-", dir="/tmp")), "-H", "tcp://0.0.0.0:0", timeout=30)


def test_killed_containerd_comes_back_under_the_daemon(start_daemon: object) -> None:
    daemon: Pymobyd = start_daemon()  # type: ignore[operator]
    first = daemon.containerd_pid()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    second = None
    while time.monotonic() < deadline:
        second = daemon.containerd_pid()
        if second not in (None, first) and _alive(second):
            break
        time.sleep(0.2)
    assert second not in (None, first)
    # The API kept answering, and containerd is back in /version.
    assert ping(daemon.socket)
    while time.monotonic() < deadline:
        data = json.loads(daemon.docker("version", "--format", "{{json .Server.Components}}").stdout)
        if any(c["Name"] == "containerd" for c in data):
            break
        time.sleep(0.5)
    else:
        pytest.fail("containerd did not come back in /version")


def test_a_daemon_can_use_an_existing_containerd(start_daemon: object) -> None:
    owner: Pymobyd = start_daemon()  # type: ignore[operator]
    address = owner.exec_root / "containerd" / "containerd.sock"
    guest: Pymobyd = start_daemon("--containerd", str(address), "--containerd-namespace", "guest")  # type: ignore[operator]
    components = json.loads(guest.docker("version", "--format", "{{json .Server.Components}}").stdout)
    assert any(c["Name"] == "containerd" for c in components)
    assert guest.containerd_pid() is None  # it started none of its own
    assert not (guest.exec_root / "containerd" / "containerd.sock").exists()


def test_config_file_settings_show_in_info(start_daemon: object) -> None:
    daemon: Pymobyd = start_daemon(  # type: ignore[operator]
        config={"live-restore": True, "log-driver": "local", "insecure-registries": ["myregistry:5000"],
                "default-address-pools": [{"base": "10.123.0.0/16", "size": 24}]},
    )  # fmt: skip
    info = json.loads(daemon.docker("info", "--format", "{{json .}}").stdout)
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "local"
    assert info["RegistryConfig"]["IndexConfigs"]["myregistry:5000"]["Secure"] is False
    assert info["DefaultAddressPools"] == [{"Base": "10.123.0.0/16", "Size": 24}]
