"""Crashes and hostile hosts: SIGKILL and restart, a FORWARD policy of DROP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import pytest
from networks.netdaemon import start_netd
from networks.nshelp import kernel_leftovers

from pymoby.daemon.network import NetworkController
from pymoby.daemon.network._store import RecordStore

pytestmark = pytest.mark.root


def nat_rules(chain: str) -> list[str]:
    out = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith(f"-A {chain} ") and "DNAT" in line]


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode == 0


def test_a_daemon_killed_with_sigkill_leaves_nothing_stale_after_its_restart(worker: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="pmk-", dir="/tmp"))
    bridge, pool = f"pmk{worker}", f"10.{180 + worker}.240.0/20"
    first = start_netd(base, bridge, pool)
    try:
        assert first.docker("network", "create", "--subnet", "10.99.86.0/24", "crashnet").returncode == 0
        box = first.container("victim", "crashnet", Ports={"80/tcp": [{}]})
        first.container("bystander")
        assert box["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
        veths = [e.veth for c in RecordStore(base / "root" / "network").load_containers() for e in c.endpoints]
        first.kill()
        # As with Docker, a crash leaves the kernel state behind ...
        assert len(veths) == 2
        assert all(link_exists(v) for v in veths)
        assert Path(box["NetnsPath"]).exists()
        chain = f"PYMOBY-{bridge}"
        assert len(nat_rules(chain)) == 1

        second = start_netd(base, bridge, pool)
        try:
            # ... and the restart, with no container left running, cleans it all up.
            assert not any(link_exists(v) for v in veths)
            assert list((base / "exec" / "netns").iterdir()) == []
            assert nat_rules(chain) == []
            inspect = json.loads(second.docker("network", "inspect", "crashnet").stdout)[0]
            assert inspect["Containers"] == {}
            assert second.docker("network", "rm", "crashnet").returncode == 0
            assert not link_exists("pmb-" + inspect["Id"][:11])
            again = second.container("victim2", "bridge")
            assert again["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        finally:
            assert second.stop() == 0, second.log()[-2000:]
    finally:
        if first.process.poll() is None:
            first.kill()
        config = first.config
        anyio.run(NetworkController.purge, config)
        left = kernel_leftovers(config, [])
        shutil.rmtree(base, ignore_errors=True)
    assert left == []


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
