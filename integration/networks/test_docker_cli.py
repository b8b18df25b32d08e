"""The docker CLI's network commands against pymoby's API server, network router and controller."""

from __future__ import annotations

import json

import pytest
from networks.netdaemon import Netd

pytestmark = pytest.mark.root


def ok(netd: Netd, *args: str) -> str:
    result = netd.docker(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_network_create_ls_inspect_rm(netd: Netd) -> None:
    network_id = ok(
        netd, "network", "create", "--subnet", "10.99.81.0/24", "--gateway", "10.99.81.254",
        "--ip-range", "10.99.81.128/25", "--label", "tier=web", "--internal", "--attachable",
        "-o", "com.docker.network.driver.mtu=1400", "front",
    ).strip()  # fmt: skip
    assert len(network_id) == 64
    names = ok(netd, "network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").splitlines()
    assert sorted(names) == ["bridge bridge local", "front bridge local", "host host local", "none null local"]
    assert ok(netd, "network", "ls", "-q", "--filter", "label=tier=web").strip() == network_id[:12]
    assert ok(netd, "network", "ls", "--filter", "type=custom", "--format", "{{.Name}}").split() == ["front"]
    (inspect,) = json.loads(ok(netd, "network", "inspect", "front"))
    assert inspect["Id"] == network_id
    assert inspect["IPAM"]["Config"] == [
        {"Subnet": "10.99.81.0/24", "IPRange": "10.99.81.128/25", "Gateway": "10.99.81.254"}
    ]
    assert (inspect["Internal"], inspect["Attachable"], inspect["Labels"]) == (True, True, {"tier": "web"})
    assert inspect["Options"] == {"com.docker.network.driver.mtu": "1400"}
    assert ok(netd, "network", "inspect", "-f", "{{.Name}}", network_id[:5]).strip() == "front"
    (bridge,) = json.loads(ok(netd, "network", "inspect", "bridge"))
    assert bridge["Options"]["com.docker.network.bridge.name"] == netd.bridge
    assert bridge["Options"]["com.docker.network.bridge.default_bridge"] == "true"
    assert ok(netd, "network", "rm", "front").strip() == "front"
    assert "front" not in ok(netd, "network", "ls")


def test_network_errors_read_as_dockers(netd: Netd) -> None:
    ok(netd, "network", "create", "--subnet", "10.99.82.0/24", "taken")
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
        (("network", "connect", "ghost", "c1"), "network ghost not found"),
    ]  # fmt: skip
    for args, message in cases:
        result = netd.docker(*args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)


def test_network_connect_disconnect_and_prune(netd: Netd) -> None:
    ok(netd, "network", "create", "--subnet", "10.99.84.0/24", "back")
    ok(netd, "network", "create", "unused")
    app = netd.container("app")
    ok(netd, "network", "connect", "--alias", "api", "--ip", "10.99.84.20", "back", "app")
    (inspect,) = json.loads(ok(netd, "network", "inspect", "back"))
    (entry,) = inspect["Containers"].values()
    assert (entry["Name"], entry["IPv4Address"]) == ("app", "10.99.84.20/24")
    assert entry["MacAddress"] == "02:42:0a:63:54:14"
    result = netd.docker("network", "connect", "back", "app")
    assert result.returncode != 0
    assert "endpoint with name app already exists in network back" in result.stderr
    other = netd.container("other", "back")
    result = netd.docker("network", "connect", "--ip", "10.99.84.20", "back", "other2")
    assert "No such container: other2" in result.stderr
    result = netd.docker("network", "rm", "back")
    assert result.returncode != 0
    assert "has active endpoints" in result.stderr
    ok(netd, "network", "disconnect", "back", "app")
    ok(netd, "network", "disconnect", "back", other["Id"][:10])
    assert json.loads(ok(netd, "network", "inspect", "back"))[0]["Containers"] == {}
    assert app["Id"]
    pruned = ok(netd, "network", "prune", "-f")
    assert pruned.splitlines()[0] == "Deleted Networks:"
    assert sorted(pruned.split()[2:]) == ["back", "unused"]
    assert sorted(ok(netd, "network", "ls", "--format", "{{.Name}}").split()) == ["bridge", "host", "none"]
