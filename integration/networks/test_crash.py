"""Crashes and hostile hosts: SIGKILL and restart, a FORWARD policy of DROP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.pymobyd import StartDaemon

from pymoby.daemon.network._store import RecordStore

pytestmark = pytest.mark.root


def nat_rules(chain: str) -> list[str]:
    out = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith(f"-A {chain} ") and "DNAT" in line]


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode == 0


def test_a_daemon_killed_with_sigkill_leaves_nothing_stale_after_its_restart(start_daemon: StartDaemon) -> None:
    first = start_daemon()
    assert first.docker("network", "create", "--subnet", "10.99.86.0/24", "crashnet", check=False).returncode == 0
    first.docker("run", "-d", "--name", "victim", "--network", "crashnet", "-p", "80", "busybox", "sleep", "300")
    first.docker("run", "-d", "--name", "bystander", "busybox", "sleep", "300")
    port = json.loads(first.docker("inspect", "victim").stdout)[0]["NetworkSettings"]["Ports"]["80/tcp"]
    assert port[0]["HostPort"]
    config = first.network_config()
    veths = [e.veth for c in RecordStore(config.state_dir).load_containers() for e in c.endpoints]
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    # As with Docker, a crash leaves the kernel state behind ...
    assert len(veths) == 2
    assert all(link_exists(v) for v in veths)
    chain = f"PYMOBY{config.chain_suffix}"
    assert len(nat_rules(chain)) == 1

    second = start_daemon(base=first.base, load=False)
    # ... and the restart (no live-restore: the containers are stopped) cleans it all up.
    states = second.docker("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.decode().split("\n")
    assert sorted(filter(None, states)) == ["bystander exited", "victim exited"]
    assert not any(link_exists(v) for v in veths)
    assert list(config.netns_dir.iterdir()) == []
    assert nat_rules(chain) == []
    inspect = json.loads(second.docker("network", "inspect", "crashnet").stdout)[0]
    assert inspect["Containers"] == {}
    second.docker("rm", "victim", "bystander")
    assert second.docker("network", "rm", "crashnet", check=False).returncode == 0
    again = second.docker("run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0").stdout.decode()
    assert "inet " in again


def test_published_ports_and_bridges_work_when_forward_policy_is_drop(tmp_path: Path) -> None:
    script = Path(__file__).with_name("forward_drop.py")
    result = subprocess.run(
        ["unshare", "--net", sys.executable, str(script), str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": str(script.parent), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome == {"published": True, "outbound": True, "without_published": False, "without_outbound": False}
