"""Stand-ins for containers while the daemon cannot run them on bridges: namespaces and busybox.

A "container" here is what the network controller set up (a network
namespace with its veths, a hosts and a resolv.conf file); commands run in
it with ``nsenter --net``, and, when they must resolve names the way a
container does, in a private mount namespace with those two files
bind-mounted on /etc/hosts and /etc/resolv.conf. Servers are sockets
opened inside the namespace by the test process itself.

Plain functions, no pytest: the benchmark uses them too.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymoby.daemon.network import NetworkConfig, SandboxInfo
from pymoby.daemon.network._netns import _enter, _in_fresh_thread

__all__ = [
    "Box",
    "host_address",
    "kernel_leftovers",
    "net_config",
    "sock_in",
    "tcp_server",
    "udp_server",
]


def net_config(base: Path, worker: int, test: int = 0) -> NetworkConfig:
    """A config whose bridge, chains and pools are this worker's (and test's) alone."""
    return NetworkConfig(
        data_root=base / "root",
        exec_root=base / "exec",
        bridge=f"pmt{worker}x{test}",
        default_address_pools=((f"10.{180 + worker}.{test * 16}.0/20", 24),),
    )


@dataclass
class Box:
    """A started "container": its sandbox info and a way to run commands in it."""

    info: SandboxInfo

    @property
    def netns(self) -> Path:
        assert self.info.netns_path is not None
        return self.info.netns_path

    def ip(self, network: str) -> str:
        """Its address on ``network``."""
        return (self.info.settings.networks or {})[network].ip_address

    def run(self, *command: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        """``command`` in its network namespace."""
        return subprocess.run(
            ["nsenter", f"--net={self.netns}", *command], capture_output=True, text=True, timeout=timeout, check=False
        )

    def run_as_container(self, *command: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        """``command`` in its network namespace, seeing its /etc/hosts and /etc/resolv.conf."""
        script = (
            'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 '
            '&& exec nsenter --net="$0" "$@"'
        )
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(self.netns),
             str(self.info.hosts_path), str(self.info.resolv_conf_path), *command],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def ping(self, target: str, *, as_container: bool = True) -> bool:
        """Whether one ping to ``target`` (a name or address) is answered."""
        runner = self.run_as_container if as_container else self.run
        return runner("busybox", "ping", "-c", "1", "-W", "2", target).returncode == 0

    def lookup(self, name: str) -> list[str]:
        """The IPv4 addresses the embedded DNS server gives for ``name`` (empty: not found)."""
        result = self.run("busybox", "nslookup", "-type=a", name, "127.0.0.11")
        addresses = []
        for line in result.stdout.splitlines()[2:]:
            if line.startswith("Address:"):
                addresses.append(line.split()[-1])
        return addresses

    def interfaces(self) -> list[str]:
        """Its interface names."""
        links = json.loads(self.run("ip", "-j", "link").stdout or "[]")
        return sorted(link["ifname"] for link in links)


def sock_in(netns: Path, family: int, kind: int) -> socket.socket:
    """A socket opened inside a namespace."""
    return _in_fresh_thread(lambda: _enter(netns, lambda: socket.socket(family, kind)))


@contextlib.contextmanager
def tcp_server(netns: Path, port: int, reply: bytes) -> Iterator[None]:
    """A TCP server in ``netns`` on ``port`` answering every connection with ``reply`` (and what it got)."""
    server = sock_in(netns, socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    got = conn.recv(1024)
                    conn.sendall(reply + got)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(5)


@contextlib.contextmanager
def udp_server(netns: Path, port: int, reply: bytes) -> Iterator[None]:
    """A UDP server in ``netns`` on ``port`` answering each datagram with ``reply`` and the datagram."""
    server = sock_in(netns, socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("0.0.0.0", port))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = server.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            server.sendto(reply + data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        server.close()


def tcp_exchange(host: str, port: int, data: bytes = b"hi", timeout: float = 5) -> bytes:
    """Connect from the host, send ``data``, return the answer (``b""`` on failure)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(data)
            return conn.recv(1024)
    except OSError:
        return b""


def udp_exchange(host: str, port: int, data: bytes = b"hi", timeout: float = 3) -> bytes:
    """Send one datagram from the host and return the answer (``b""`` when none comes)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        for _ in range(3):
            sock.sendto(data, (host, port))
            try:
                return sock.recv(2048)
            except TimeoutError:
                continue
    return b""


def host_address() -> str:
    """This machine's own primary IPv4 address (the source of its default route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.200", 9))  # no packet is sent for a UDP connect
        return str(probe.getsockname()[0])


def kernel_leftovers(config: NetworkConfig, devices: list[str]) -> list[str]:
    """What is left in the kernel of a daemon with this config: devices, namespaces, chains, jumps."""
    left = []
    links = {link["ifname"] for link in json.loads(subprocess.run(
        ["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout)}  # fmt: skip
    left += [f"device {d}" for d in [config.bridge, *devices] if d in links]
    if config.netns_dir.is_dir():
        left += [f"netns {p}" for p in config.netns_dir.iterdir()]
    mounts = Path("/proc/self/mountinfo").read_text()
    if str(config.netns_dir) in mounts:
        left.append(f"mounts under {config.netns_dir}")
    chain = f"PYMOBY{config.chain_suffix}"
    for table in ("filter", "nat"):
        rules = subprocess.run(["iptables-save", "-t", table], capture_output=True, text=True, check=True).stdout
        left += [f"{table}: {line}" for line in rules.splitlines() if chain + " " in line + " " or chain + "-" in line]
    return left


def addresses_of(box: Box) -> list[str]:
    """Its IPv4 addresses (as the kernel has them)."""
    found = json.loads(box.run("ip", "-j", "-4", "addr").stdout or "[]")
    return [
        a["local"]
        for link in found
        for a in link.get("addr_info", [])
        if not ipaddress.ip_address(a["local"]).is_loopback
    ]
