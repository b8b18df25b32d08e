"""Containers on networks, driven by the docker CLI against a real pymobyd: the default bridge, user
networks and their names, published ports reached from the host, shared namespaces, links, renames."""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from networks.nshelp import host_address, tcp_exchange
from support.pymobyd import Pymobyd, free_port

pytestmark = pytest.mark.root

HTTPD = ("busybox", "httpd", "-f", "-p", "80", "-h", "/etc")


def ok(daemon: Pymobyd, *args: str) -> str:
    result = daemon.docker(*args, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def inspect(daemon: Pymobyd, name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(ok(daemon, "inspect", name))
    return data[0]


def http_get(host: str, port: int, path: str = "/hostname", attempts: int = 50) -> str:
    """The body of ``GET path`` from busybox httpd (retried while the server comes up)."""
    for _ in range(attempts):
        try:
            with socket.create_connection((host, port), timeout=5) as conn:
                conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
        except OSError:
            answer = b""
        if answer:
            return answer.partition(b"\r\n\r\n")[2].decode()
        time.sleep(0.1)
    return ""


def test_run_on_the_default_bridge(daemon: Pymobyd) -> None:
    me = host_address()
    script = f"ip -4 -o addr show eth0; ip route; cat /etc/hosts; ping -c 1 -W 2 {me} >/dev/null && echo reached"
    out = ok(daemon, "run", "--rm", "--name", "plain", "busybox", "sh", "-c", script)
    (bridge,) = json.loads(ok(daemon, "network", "inspect", "bridge"))
    subnet = ipaddress.ip_network(bridge["IPAM"]["Config"][0]["Subnet"])
    gateway = bridge["IPAM"]["Config"][0]["Gateway"]
    assert subnet.subnet_of(ipaddress.ip_network(daemon.pool))
    address = out.split("inet ")[1].split("/")[0]
    assert ipaddress.ip_address(address) in subnet
    assert f"default via {gateway} dev eth0" in out
    assert f"{address}\t" in out  # its own name in /etc/hosts
    assert out.rstrip().endswith("reached")  # out through the bridge and NAT to the host's address


def test_inspect_ps_and_network_inspect_show_the_endpoint(daemon: Pymobyd) -> None:
    ok(daemon, "run", "-d", "--name", "shown", "busybox", "sleep", "1000")
    try:
        data = inspect(daemon, "shown")
        settings = data["NetworkSettings"]
        endpoint = settings["Networks"]["bridge"]
        assert endpoint["IPAddress"] == settings["IPAddress"] != ""
        assert endpoint["Gateway"] == settings["Gateway"] != ""
        assert endpoint["MacAddress"].startswith("02:42:")
        assert settings["SandboxKey"].startswith(str(daemon.exec_root))
        assert data["HostConfig"]["NetworkMode"] == "bridge"
        (bridge,) = json.loads(ok(daemon, "network", "inspect", "bridge"))
        assert bridge["Containers"][data["Id"]]["IPv4Address"].startswith(endpoint["IPAddress"] + "/")
        listed = ok(daemon, "ps", "--filter", "network=bridge", "--format", "{{.Names}} {{.Networks}}")
        assert "shown bridge" in listed
        ok(daemon, "stop", "-t", "0", "shown")
        stopped = inspect(daemon, "shown")["NetworkSettings"]
        assert (stopped["IPAddress"], stopped["SandboxKey"]) == ("", "")
        assert list(stopped["Networks"]) == ["bridge"]
        assert json.loads(ok(daemon, "network", "inspect", "bridge"))[0]["Containers"] == {}
        ok(daemon, "start", "shown")
        assert inspect(daemon, "shown")["NetworkSettings"]["IPAddress"]
    finally:
        ok(daemon, "rm", "-f", "shown")


def test_containers_on_a_user_network_reach_each_other_by_name_and_alias(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "app")
    ok(daemon, "run", "-d", "--name", "db", "--network", "app", "--network-alias", "database", *HTTPD)
    ok(daemon, "run", "-d", "--name", "loner", "busybox", "sleep", "1000")
    try:
        db = inspect(daemon, "db")
        db_ip = db["NetworkSettings"]["Networks"]["app"]["IPAddress"]
        assert sorted(db["NetworkSettings"]["Networks"]["app"]["DNSNames"]) == sorted(["db", "database", db["Id"][:12]])
        for name in ("db", "database", db["Id"][:12]):
            out = ok(daemon, "run", "--rm", "--network", "app", "busybox", "sh", "-c",
                     f"nslookup {name} >/dev/null && wget -q -O - http://{name}/hostname")  # fmt: skip
            assert out == db["Config"]["Hostname"] + "\n", name
        resolv = ok(daemon, "run", "--rm", "--network", "app", "busybox", "cat", "/etc/resolv.conf")
        assert "nameserver 127.0.0.11" in resolv
        # The default bridge has no name resolution between containers, and the networks are isolated.
        assert daemon.docker("exec", "loner", "nslookup", "db", check=False).returncode != 0
        assert daemon.docker("exec", "loner", "ping", "-c", "1", "-W", "1", db_ip, check=False).returncode != 0
    finally:
        ok(daemon, "rm", "-f", "db", "loner")
        ok(daemon, "network", "rm", "app")


def test_published_ports_answer_on_loopback_the_hosts_address_and_the_gateway(daemon: Pymobyd) -> None:
    fixed = free_port()
    ok(daemon, "run", "-d", "--name", "web", "-p", f"{fixed}:80", "-p", "127.0.0.1::80", *HTTPD)
    try:
        data = inspect(daemon, "web")
        hostname = data["Config"]["Hostname"] + "\n"
        bindings = data["NetworkSettings"]["Ports"]["80/tcp"]
        loopback_only = next(int(b["HostPort"]) for b in bindings if b["HostIp"] == "127.0.0.1")
        assert {b["HostIp"] for b in bindings} >= {"0.0.0.0", "127.0.0.1"}
        gateway = data["NetworkSettings"]["Gateway"]
        for host in ("127.0.0.1", host_address(), gateway):
            assert http_get(host, fixed) == hostname, host
        assert http_get("127.0.0.1", loopback_only) == hostname
        port_lines = ok(daemon, "port", "web", "80/tcp").splitlines()
        assert f"0.0.0.0:{fixed}" in port_lines
        assert f"127.0.0.1:{loopback_only}" in port_lines
        assert f"0.0.0.0:{fixed}->80/tcp" in ok(daemon, "ps", "--filter", "name=web", "--format", "{{.Ports}}")
        taken = daemon.docker("run", "-d", "--name", "clash", "-p", f"{fixed}:80", *HTTPD, check=False)
        assert taken.returncode != 0
        assert f"Bind for 0.0.0.0:{fixed} failed: port is already allocated" in taken.stderr.decode()
        assert inspect(daemon, "clash")["State"]["Status"] == "created"
    finally:
        ok(daemon, "rm", "-f", "web", "clash")
    assert tcp_exchange("127.0.0.1", fixed) == b""  # released with the container


def test_publish_all_gives_the_exposed_ports_ephemeral_host_ports(daemon: Pymobyd) -> None:
    ok(daemon, "run", "-d", "--name", "all", "--expose", "80", "--expose", "8081/udp", "-P", *HTTPD)
    try:
        ports = inspect(daemon, "all")["NetworkSettings"]["Ports"]
        assert set(ports) == {"80/tcp", "8081/udp"}
        host_port = int(ports["80/tcp"][0]["HostPort"])
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        assert low <= host_port <= high
        assert http_get("127.0.0.1", host_port) == inspect(daemon, "all")["Config"]["Hostname"] + "\n"
    finally:
        ok(daemon, "rm", "-f", "all")


def test_network_container_mode_shares_the_other_containers_namespace(daemon: Pymobyd) -> None:
    ok(daemon, "run", "-d", "--name", "owner", "-p", "127.0.0.1::80", *HTTPD)
    try:
        owner = inspect(daemon, "owner")
        script = "hostname; wget -q -O - http://127.0.0.1/hostname; ip -4 -o addr show eth0"
        out = ok(daemon, "run", "--rm", "--network", "container:owner", "busybox", "sh", "-c", script).splitlines()
        assert out[0] == out[1] == owner["Config"]["Hostname"]
        assert owner["NetworkSettings"]["IPAddress"] + "/" in out[2]
        guest = ok(daemon, "create", "--network", f"container:{owner['Id'][:12]}", "busybox", "true").strip()
        assert inspect(daemon, guest)["HostConfig"]["NetworkMode"] == f"container:{owner['Id'][:12]}"
        ok(daemon, "rm", guest)
        ok(daemon, "stop", "-t", "0", "owner")
        result = daemon.docker("run", "--rm", "--network", "container:owner", "busybox", "true", check=False)
        assert result.returncode != 0
        assert "cannot join network of a non running container" in result.stderr.decode()
    finally:
        ok(daemon, "rm", "-f", "owner")


def test_host_and_none_modes(daemon: Pymobyd) -> None:
    assert ok(daemon, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net").split() == ["lo"]
    host_links = ok(daemon, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net").split()
    assert daemon.bridge in host_links


def test_connect_and_disconnect_a_running_container(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "side")
    ok(daemon, "run", "-d", "--name", "hub", "busybox", "sleep", "1000")
    ok(daemon, "run", "-d", "--name", "peer", "--network", "side", "busybox", "sleep", "1000")
    try:
        assert daemon.docker("exec", "peer", "nslookup", "hubby", check=False).returncode != 0
        ok(daemon, "network", "connect", "--alias", "hubby", "side", "hub")
        hub_ip = inspect(daemon, "hub")["NetworkSettings"]["Networks"]["side"]["IPAddress"]
        assert hub_ip in ok(daemon, "exec", "peer", "nslookup", "hubby")
        assert ok(daemon, "exec", "peer", "ping", "-c", "1", "-W", "2", "hub")
        ok(daemon, "network", "disconnect", "side", "hub")
        assert daemon.docker("exec", "peer", "nslookup", "hubby", check=False).returncode != 0
        assert ok(daemon, "exec", "hub", "ls", "/sys/class/net").split() == ["eth0", "lo"]
    finally:
        ok(daemon, "rm", "-f", "hub", "peer")
        ok(daemon, "network", "rm", "side")


def test_a_renamed_container_answers_to_its_new_name(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "names")
    ok(daemon, "run", "-d", "--name", "before", "--network", "names", "busybox", "sleep", "1000")
    ok(daemon, "run", "-d", "--name", "asker", "--network", "names", "busybox", "sleep", "1000")
    try:
        ok(daemon, "rename", "before", "after")
        ip = inspect(daemon, "after")["NetworkSettings"]["Networks"]["names"]["IPAddress"]
        assert ip in ok(daemon, "exec", "asker", "nslookup", "after")
        assert daemon.docker("exec", "asker", "nslookup", "before", check=False).returncode != 0
    finally:
        ok(daemon, "rm", "-f", "after", "asker")
        ok(daemon, "network", "rm", "names")


def test_legacy_links_on_the_default_bridge(daemon: Pymobyd) -> None:
    ok(daemon, "run", "-d", "--name", "linked", "--expose", "80", *HTTPD)
    try:
        ip = inspect(daemon, "linked")["NetworkSettings"]["IPAddress"]
        out = ok(daemon, "run", "--rm", "--link", "linked:web", "busybox", "sh", "-c",
                 "env | sort; cat /etc/hosts; wget -q -O - http://web/hostname")  # fmt: skip
        assert f"WEB_PORT=tcp://{ip}:80" in out
        assert f"WEB_PORT_80_TCP_ADDR={ip}" in out
        assert f"{ip}\tweb " in out
        assert out.endswith(inspect(daemon, "linked")["Config"]["Hostname"] + "\n")
    finally:
        ok(daemon, "rm", "-f", "linked")


def test_links_on_a_user_network_are_names_without_environment(daemon: Pymobyd) -> None:
    # docker-compose's one-off `run` links to the project's containers on the project's network.
    ok(daemon, "network", "create", "linknet")
    ok(daemon, "run", "-d", "--name", "target", "--network", "linknet", *HTTPD)
    try:
        out = ok(daemon, "run", "--rm", "--network", "linknet", "--link", "target:db", "busybox", "sh", "-c",
                 "env; wget -q -O - http://db/hostname")  # fmt: skip
        assert "DB_PORT" not in out
        assert out.endswith(inspect(daemon, "target")["Config"]["Hostname"] + "\n")
    finally:
        ok(daemon, "rm", "-f", "target")
        ok(daemon, "network", "rm", "linknet")


BURST = """
import socket, struct, sys
def qname(text):
    return b"".join(bytes([len(p)]) + p for p in text.encode().split(b".")) + b"\\0"
# Half asks for the container's name (answered locally), half for names forwarded to the host's resolvers.
names = [qname(sys.argv[1]), qname("nothing-here.invalid")]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(10)
for i in range(200):
    sock.sendto(struct.pack("!6H", i, 0x0100, 1, 0, 0, 0) + names[i % 2] + struct.pack("!2H", 1, 1), ("127.0.0.11", 53))
ids = set()
try:
    while len(ids) < 200:
        ids.add(struct.unpack("!H", sock.recv(512)[:2])[0])
except socket.timeout:
    pass
print(len(ids))
"""


def test_the_embedded_dns_answers_a_burst_of_concurrent_queries(daemon: Pymobyd) -> None:
    ok(daemon, "network", "create", "burst")
    ok(daemon, "run", "-d", "--name", "burst-target", "--network", "burst", "busybox", "sleep", "300")
    try:
        netns = inspect(daemon, "burst-target")["NetworkSettings"]["SandboxKey"]
        burst = subprocess.run(["nsenter", f"--net={netns}", sys.executable, "-c", BURST, "burst-target"],
                               capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        assert burst.stdout.strip() == "200"  # every query answered, none dropped
        assert "burst-target" in ok(daemon, "ps", "--format", "{{.Names}}")  # the daemon is still there
        assert ok(daemon, "exec", "burst-target", "nslookup", "burst-target")
    finally:
        ok(daemon, "rm", "-f", "burst-target")
        ok(daemon, "network", "rm", "burst")


def test_dns_options_and_extra_hosts(daemon: Pymobyd) -> None:
    out = ok(daemon, "run", "--rm", "--dns", "192.0.2.53", "--dns-search", "corp.example", "--dns-option", "ndots:2",
             "--add-host", "static:10.1.2.3", "--add-host", "gw:host-gateway", "--hostname", "named",
             "busybox", "sh", "-c", "cat /etc/resolv.conf /etc/hosts; hostname")  # fmt: skip
    gateway = json.loads(ok(daemon, "network", "inspect", "bridge"))[0]["IPAM"]["Config"][0]["Gateway"]
    assert "nameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n" in out
    assert "10.1.2.3\tstatic\n" in out
    assert f"{gateway}\tgw\n" in out
    assert out.endswith("named\n")
