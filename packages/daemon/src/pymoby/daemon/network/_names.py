"""Name resolution for one container, over the daemon's live state (the embedded DNS's view).

A container resolves, on each user-defined network it is attached to, the
DNS names of the running containers attached there too: their name, their
aliases on that network, their short ID and hostname (``DNSNames``), bare
or followed by ``.<network name>``. Looked up at query time, so nothing is
ever stale.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ._files import external_servers, parse_resolv_conf
from ._state import State

__all__ = ["ContainerNames", "dns_names"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def dns_names(name: str, aliases: Sequence[str], container_id: str, hostname: str) -> list[str]:
    """A container's DNS names on a user-defined network, first one used for PTR answers."""
    names = [name, *aliases, container_id[:12]]
    if hostname:
        names.append(hostname)
    result: list[str] = []
    seen: set[str] = set()
    for entry in names:
        if entry and entry.lower() not in seen:
            seen.add(entry.lower())
            result.append(entry)
    return result


class ContainerNames:
    """The :class:`NameLookup` of one container."""

    def __init__(self, state: State, container_id: str) -> None:
        self._state = state
        self._id = container_id

    def _networks(self) -> list[tuple[str, str]]:
        record = self._state.containers.get(self._id)
        if record is None:
            return []
        found = []
        for endpoint in record.endpoints:
            network = self._state.networks.get(endpoint.network_id)
            if network is not None and network.driver == "bridge" and not network.default:
                found.append((network.id, network.name))
        return found

    def addresses(self, name: str) -> list[IPAddress] | None:
        """The addresses ``name`` has on this container's user-defined networks; ``None`` if it names none."""
        wanted = name.lower()
        found: list[IPAddress] = []
        matched = False
        for network_id, network_name in self._networks():
            candidates = {wanted}
            suffix = "." + network_name.lower()
            if wanted.endswith(suffix):
                candidates.add(wanted.removesuffix(suffix))
            for _record, endpoint in self._state.attached(network_id):
                if not any(n.lower() in candidates for n in endpoint.dns_names):
                    continue
                matched = True
                for cidr in (endpoint.ipv4, endpoint.ipv6):
                    if cidr:
                        found.append(ipaddress.ip_interface(cidr).ip)
        return found if matched else None

    def pointer(self, address: IPAddress) -> str | None:
        """``<first DNS name>.<network>`` of the container with ``address`` on a shared network."""
        for network_id, network_name in self._networks():
            for _record, endpoint in self._state.attached(network_id):
                for cidr in (endpoint.ipv4, endpoint.ipv6):
                    if cidr and ipaddress.ip_interface(cidr).ip == address and endpoint.dns_names:
                        return f"{endpoint.dns_names[0]}.{network_name}"
        return None

    def external_servers(self) -> Sequence[str]:
        """The servers to forward to: none when every network of the container is internal."""
        record = self._state.containers.get(self._id)
        if record is None:
            return []
        networks = [self._state.networks.get(e.network_id) for e in record.endpoints]
        if not any(n is not None and not n.internal for n in networks):
            return []
        config = self._state.config
        try:
            host = parse_resolv_conf(config.host_resolv_conf.read_text())
        except OSError:
            host = parse_resolv_conf("")
        return external_servers(host, record.dns or list(config.dns), ipv6=True, embedded=True)
