"""A container's /etc/hostname, /etc/hosts and /etc/resolv.conf, written by the daemon and bind mounted.

For ``--network none`` Docker writes a hosts file with the loopback
entries and the ``--add-host`` ones, and a resolv.conf from the host's
without loopback name servers (a container cannot reach the host's
127.0.0.53), falling back to public resolvers. ``--network host`` shares
the host's network: its hosts and resolv.conf are copied as they are.
``--dns``, ``--dns-search`` and ``--dns-option`` replace the host's values.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pymoby import api

from ..container import Container, atomic_write

__all__ = ["network_files", "write_network_files"]

_LOOPBACK_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
_DEFAULT_DNS = ("8.8.8.8", "8.8.4.4")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _extra_hosts(host_config: api.HostConfig) -> str:
    lines = []
    for entry in host_config.extra_hosts or ():
        name, _, address = entry.partition(":")
        if address == "host-gateway":
            address = "127.0.0.1"
        lines.append(f"{address}\t{name}\n")
    return "".join(lines)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def resolv_conf(host_text: str, host_config: api.HostConfig, *, host_network: bool) -> str:
    """The container's resolv.conf from the host's and the ``Dns*`` settings."""
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    other: list[str] = []
    for line in host_text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";")):
            continue
        if fields[0] == "nameserver" and len(fields) > 1:
            nameservers.append(fields[1])
        elif fields[0] in ("search", "domain"):
            search = fields[1:]
        elif fields[0] == "options":
            options.extend(fields[1:])
        else:
            other.append(line)
    if host_config.dns:
        nameservers = list(host_config.dns)
    elif not host_network:
        nameservers = [n for n in nameservers if not _is_loopback(n)] or list(_DEFAULT_DNS)
    if host_config.dns_search:
        search = [] if host_config.dns_search == ["."] else list(host_config.dns_search)
    if host_config.dns_options:
        options = list(host_config.dns_options)
    out = [f"nameserver {n}\n" for n in nameservers]
    if search:
        out.append("search " + " ".join(search) + "\n")
    if options:
        out.append("options " + " ".join(options) + "\n")
    return "".join(out)


def network_files(container: Container) -> dict[str, str]:
    """The contents of ``hostname``, ``hosts`` and ``resolv.conf`` for the container."""
    config, host_config = container.config, container.host_config
    host_network = host_config.network_mode == "host"
    hostname = config.hostname
    if config.domainname:
        hostname = f"{hostname}.{config.domainname}"
    if host_network:
        hosts = _read("/etc/hosts") or _LOOPBACK_HOSTS
        if hosts and not hosts.endswith("\n"):
            hosts += "\n"
    else:
        hosts = _LOOPBACK_HOSTS
    hosts += _extra_hosts(host_config)
    return {
        "hostname": config.hostname + "\n",
        "hosts": hosts,
        "resolv.conf": resolv_conf(_read("/etc/resolv.conf"), host_config, host_network=host_network),
    }


def write_network_files(container: Container) -> None:
    """Write the three files into the container's directory and record their paths (blocking)."""
    for name, text in network_files(container).items():
        atomic_write(container.root / name, text.encode(), mode=0o644)
    container.hostname_path = str(container.root / "hostname")
    container.hosts_path = str(container.root / "hosts")
    container.resolv_conf_path = str(container.root / "resolv.conf")
