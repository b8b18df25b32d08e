"""The docker CLI's network commands against a real pymobyd, with real containers attached."""

from __future__ import annotations

import json

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


def ok(daemon: Pymobyd, *args: str) -> str:
    result = daemon.docker(*args, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def fails(daemon: Pymobyd, *args: str) -> str:
    result = daemon.docker(*args, check=False)
    assert result.returncode != 0, args
    return result.stderr.decode()


def test_network_create_ls_inspect_rm(daemon: Pymobyd) -> None:
    network_id = ok(
        daemon, "network", "create", "--subnet", "10.99.81.0/24", "--gateway", "10.99.81.254",
        "--ip-range", "10.99.81.128/25", "--label", "tier=web", "--internal", "--attachable",
        "-o", "com.docker.network.driver.mtu=1400", "front",
    ).strip()  # fmt: skip
    try:
        assert len(network_id) == 64
        names = ok(daemon, "network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").splitlines()
        assert sorted(names) == ["bridge bridge local", "front bridge local", "host host local", "none null local"]
        assert ok(daemon, "network", "ls", "-q", "--filter", "label=tier=web").strip() == network_id[:12]
        assert ok(daemon, "network", "ls", "--filter", "type=custom", "--format", "{{.Name}}").split() == ["front"]
        (inspect,) = json.loads(ok(daemon, "network", "inspect", "front"))
        assert inspect["Id"] == network_id
        assert inspect["IPAM"]["Config"] == [
            {"Subnet": "10.99.81.0/24", "IPRange": "10.99.81.128/25", "Gateway": "10.99.81.254"}
        ]
        assert (inspect["Internal"], inspect["Attachable"], inspect["Labels"]) == (True, True, {"tier": "web"})
        assert inspect["Options"] == {"com.docker.network.driver.mtu": "1400"}
        assert ok(daemon, "network", "inspect", "-f", "{{.Name}}", network_id[:5]).strip() == "front"
        (bridge,) = json.loads(ok(daemon, "network", "inspect", "bridge"))
        assert bridge["Options"]["com.docker.network.bridge.name"] == daemon.bridge
        assert bridge["Options"]["com.docker.network.bridge.default_bridge"] == "true"
        assert bridge["IPAM"]["Config"][0]["Subnet"].startswith(daemon.pool.rsplit(".", 2)[0])
    finally:
        assert ok(daemon, "network", "rm", "front").strip() == "front"
    assert "front" not in ok(daemon, "network", "ls")


def test_network_errors_read_as_dockers(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "--subnet", "10.99.82.0/24", "taken")
    ok(daemon, "run", "-d", "--name", "errbox", "busybox", "sleep", "1000")
    try:
        cases = [
            (("network", "create", "taken"), "Error response from daemon: network with name taken already exists"),
            (("network", "create", "--subnet", "10.99.82.64/26", "other"),
             "Error response from daemon: Pool overlaps with other one on this address space"),
            (("network", "create", "bridge"), "operation is not permitted on predefined bridge network"),
            (("network", "create", "-d", "overlay9", "x"), 'plugin "overlay9" not found'),
            (("network", "create", "--subnet", "10.99.83.5/24", "bad"),
             "invalid network config:\ninvalid subnet 10.99.83.5/24: it should be 10.99.83.0/24"),
            (("network", "inspect", "ghost"), "network ghost not found"),
            (("network", "rm", "bridge"), "bridge is a pre-defined network and cannot be removed"),
            (("network", "rm", "ghost"), "network ghost not found"),
            (("network", "connect", "ghost", "errbox"), "network ghost not found"),
            (("network", "connect", "taken", "c1"), "No such container: c1"),
            (("run", "--rm", "--network", "ghost", "busybox", "true"), "network ghost not found"),
            (("run", "--rm", "--network", "container:ghost", "busybox", "true"), "No such container: ghost"),
            (("run", "--rm", "--network-alias", "x", "busybox", "true"),
             "network-scoped aliases are only supported for user-defined networks"),
            (("run", "--rm", "--ip", "10.99.82.9", "busybox", "true"),
             "user specified IP address is supported on user defined networks only"),
            (("run", "--rm", "--network", "container:errbox", "-p", "80:80", "busybox", "true"),
             "conflicting options: port publishing and the container type network mode"),
        ]  # fmt: skip
        for args, message in cases:
            assert message in fails(daemon, *args), args
        assert ok(daemon, "ps", "-aq", "--filter", "status=created") == ""
    finally:
        ok(daemon, "rm", "-f", "errbox")
        ok(daemon, "network", "rm", "taken")


def test_network_connect_disconnect_and_prune(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "--subnet", "10.99.84.0/24", "back")
    ok(daemon, "network", "create", "unused")
    ok(daemon, "run", "-d", "--name", "app", "busybox", "sleep", "1000")
    ok(daemon, "run", "-d", "--name", "other", "--network", "back", "busybox", "sleep", "1000")
    try:
        ok(daemon, "network", "connect", "--alias", "api", "--ip", "10.99.84.20", "back", "app")
        (inspect,) = json.loads(ok(daemon, "network", "inspect", "back"))
        entries = {entry["Name"]: entry for entry in inspect["Containers"].values()}
        assert entries["app"]["IPv4Address"] == "10.99.84.20/24"
        assert entries["app"]["MacAddress"] == "02:42:0a:63:54:14"
        # The running container has the new interface, and its peers resolve the alias.
        assert "10.99.84.20/24" in ok(daemon, "exec", "app", "ip", "-4", "addr")
        assert "10.99.84.20" in ok(daemon, "exec", "other", "nslookup", "api", "127.0.0.11")
        (app,) = json.loads(ok(daemon, "inspect", "app"))
        assert set(app["NetworkSettings"]["Networks"]) == {"bridge", "back"}
        assert app["NetworkSettings"]["Networks"]["back"]["Aliases"] == ["api"]
        error = fails(daemon, "network", "connect", "back", "app")
        assert "endpoint with name app already exists in network back" in error
        assert "has active endpoints" in fails(daemon, "network", "rm", "back")
        ok(daemon, "network", "disconnect", "back", "app")
        assert "10.99.84.20" not in ok(daemon, "exec", "app", "ip", "-4", "addr")
        (app,) = json.loads(ok(daemon, "inspect", "app"))
        assert set(app["NetworkSettings"]["Networks"]) == {"bridge"}
        other_id = json.loads(ok(daemon, "inspect", "other"))[0]["Id"]
        ok(daemon, "network", "disconnect", "back", other_id[:10])
        assert json.loads(ok(daemon, "network", "inspect", "back"))[0]["Containers"] == {}
        pruned = ok(daemon, "network", "prune", "-f")
        assert pruned.splitlines()[0] == "Deleted Networks:"
        assert sorted(pruned.split()[2:]) == ["back", "unused"]
        assert sorted(ok(daemon, "network", "ls", "--format", "{{.Name}}").split()) == ["bridge", "host", "none"]
    finally:
        ok(daemon, "rm", "-f", "app", "other")
        daemon.docker("network", "rm", "back", "unused", check=False)


def test_a_stopped_container_joins_a_connected_network_at_its_next_start(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "later")
    ok(daemon, "create", "--name", "sleeper", "busybox", "sleep", "1000")
    try:
        ok(daemon, "network", "connect", "later", "sleeper")
        ok(daemon, "start", "sleeper")
        (data,) = json.loads(ok(daemon, "inspect", "sleeper"))
        networks = data["NetworkSettings"]["Networks"]
        assert set(networks) == {"bridge", "later"}
        assert all(n["IPAddress"] for n in networks.values())
        assert ok(daemon, "exec", "sleeper", "sh", "-c", "ls /sys/class/net | sort").split() == ["eth0", "eth1", "lo"]
    finally:
        ok(daemon, "rm", "-f", "sleeper")
        ok(daemon, "network", "rm", "later")
