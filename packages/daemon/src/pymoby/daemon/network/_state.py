"""The network subsystem's state: records, address allocators, live resources, and their lookups.

One :class:`State` is shared by the controller's network operations and its
container operations. Every change happens under :attr:`State.lock`; reads
(the DNS server's lookups, inspect) see a consistent state because they do
not await in between.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import anyio.abc

from ..events import Events
from ._config import NetworkConfig
from ._errors import InvalidNetworkConfig, NetworkSetupError, NoSuchNetwork, NoSuchNetworkContainer
from ._ipam import PoolAllocator, SubnetAllocator
from ._iptables import BridgeRules, Iptables, PortRule, render_rules
from ._model import ContainerRecord, EndpointRecord, NetworkRecord
from ._netlink import Netlink
from ._portmap import BoundPort, PortTable
from ._proxy import TCPProxy, UDPProxy
from ._store import RecordStore

__all__ = ["Live", "State", "new_id", "now_rfc3339"]

log = logging.getLogger("pymoby.daemon.network")


def new_id() -> str:
    """A random 64-hex-digit ID, as Docker's."""
    return secrets.token_hex(32)


def now_rfc3339() -> str:
    """Now, in RFC 3339 with nanoseconds (``2024-01-02T03:04:05.123456789Z``)."""
    ns = time.time_ns()
    stamp = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns % 10**9:09d}Z"


@dataclass
class Live:
    """What a running container holds in user space: bound ports with their proxies, its DNS server."""

    ports: list[tuple[BoundPort, TCPProxy | UDPProxy | None]] = field(default_factory=list)
    dns: anyio.CancelScope | None = None


class State:
    """Everything the controller knows, and the handles it works with."""

    def __init__(
        self,
        config: NetworkConfig,
        store: RecordStore,
        netlink: Netlink,
        iptables: Iptables | None,
        task_group: anyio.abc.TaskGroup,
        events: Events | None,
        reaper: Netlink | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.netlink = netlink
        #: A netlink socket of its own for deleting veths in the background.
        self.reaper = reaper or netlink
        self.iptables = iptables
        self.task_group = task_group
        self.events = events
        self.lock = anyio.Lock()
        self.networks: dict[str, NetworkRecord] = {}
        self.containers: dict[str, ContainerRecord] = {}
        self.subnets: dict[str, list[SubnetAllocator]] = {}
        self.pools = PoolAllocator([p for p in config.default_address_pools if ":" not in p[0]])
        self.pools6 = PoolAllocator([p for p in config.default_address_pools if ":" in p[0]] or [("fd00::/8", 64)])
        self.has_v6_pools = any(":" in p[0] for p in config.default_address_pools)
        self.ports = PortTable()
        self.live: dict[str, Live] = {}
        self._applied_rules = ""
        self._reaping = 0
        self._reaped = anyio.Event()

    # -- lookups -----------------------------------------------------------------------
    def find_network(self, term: str) -> NetworkRecord:
        """By full ID, then name, then unique ID prefix (Docker's ``FindNetwork``).

        Raises :class:`NoSuchNetwork`, or ``InvalidParameter`` when ambiguous.
        """
        if term in self.networks:
            return self.networks[term]
        by_name = [n for n in self.networks.values() if n.name == term]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise InvalidNetworkConfig(f"network {term} is ambiguous ({len(by_name)} matches found on name)")
        by_prefix = [n for n in self.networks.values() if term and n.id.startswith(term)]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_prefix) > 1:
            raise InvalidNetworkConfig(
                f"network {term} is ambiguous ({len(by_prefix)} matches found based on ID prefix)"
            )
        raise NoSuchNetwork(term)

    def default_bridge(self) -> NetworkRecord:
        """The ``bridge`` network."""
        return next(n for n in self.networks.values() if n.default)

    def by_driver(self, driver: str) -> NetworkRecord:
        """The ``host`` or ``none`` network."""
        return next(n for n in self.networks.values() if n.driver == driver and not n.config_only)

    def find_container(self, term: str) -> ContainerRecord:
        """By full ID, name (with or without ``/``), or unique ID prefix; raises :class:`NoSuchNetworkContainer`."""
        if term in self.containers:
            return self.containers[term]
        name = term.lstrip("/")
        for record in self.containers.values():
            if record.name == name:
                return record
        matches = [r for r in self.containers.values() if term and r.id.startswith(term)]
        if len(matches) == 1:
            return matches[0]
        raise NoSuchNetworkContainer(term)

    def attached(self, network_id: str) -> Iterator[tuple[ContainerRecord, EndpointRecord]]:
        """The running containers with an endpoint on ``network_id``."""
        for record in self.containers.values():
            endpoint = record.endpoint(network_id)
            if endpoint is not None:
                yield record, endpoint

    def in_use(self, network: NetworkRecord) -> bool:
        """Whether a running container is attached (or, for a config-only network, a network uses it)."""
        if network.config_only:
            return any(n.config_from == network.name for n in self.networks.values())
        return any(True for _ in self.attached(network.id))

    def subnets_in_use(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """Every subnet of every network (config-only ones excluded)."""
        return [ipaddress.ip_network(s.subnet) for n in self.networks.values() if not n.config_only for s in n.subnets]

    def allocator(self, network_id: str, version: int) -> SubnetAllocator | None:
        """The address allocator of a network's IPv``version`` subnet."""
        for allocator in self.subnets.get(network_id, []):
            if allocator.subnet.version == version:
                return allocator
        return None

    def add_allocators(self, network: NetworkRecord) -> None:
        """Build the allocators of a network's subnets."""
        allocators = []
        for s in network.subnets:
            reserved = [ipaddress.ip_address(a) for a in s.aux_addresses.values()]
            allocators.append(
                SubnetAllocator(
                    ipaddress.ip_network(s.subnet),
                    ip_range=ipaddress.ip_network(s.ip_range) if s.ip_range else None,
                    gateway=ipaddress.ip_address(s.gateway) if s.gateway else None,
                    reserved=reserved,
                )
            )
        self.subnets[network.id] = allocators

    # -- persistence ---------------------------------------------------------------------
    async def save_network(self, record: NetworkRecord) -> None:
        """Persist a network record."""
        await anyio.to_thread.run_sync(self.store.save_network, record)

    async def save_container(self, record: ContainerRecord, *, durable: bool = False) -> None:
        """Persist a container record.

        Only its configuration (create, connect, disconnect) needs to survive a power cut
        (``durable``): its sandbox describes kernel state that does not survive one either,
        and an atomic rename is enough against a crash of the daemon.
        """
        if durable:
            await anyio.to_thread.run_sync(lambda: self.store.save_container(record, durable=True))
        else:
            # A few hundred bytes written and renamed, no fsync: cheaper than a thread hop.
            self.store.save_container(record, durable=False)

    # -- kernel ---------------------------------------------------------------------------
    def rules(self) -> tuple[list[BridgeRules], list[PortRule]]:
        """The iptables rules the current state calls for."""
        bridges = []
        for n in self.networks.values():
            if n.driver != "bridge" or n.config_only:
                continue
            v4 = tuple(s.subnet for s in n.subnets if ":" not in s.subnet)
            masquerade = n.masquerade and (self.config.ip_masq or not n.default)
            bridges.append(BridgeRules(n.device, v4, internal=n.internal, icc=n.icc, masquerade=masquerade))
        ports = []
        for record in self.containers.values():
            for endpoint in record.endpoints:
                network = self.networks.get(endpoint.network_id)
                if network is None or not endpoint.ipv4 or network.driver != "bridge":
                    continue
                ip = str(ipaddress.ip_interface(endpoint.ipv4).ip)
                for port in endpoint.ports:
                    if ":" in port.host_ip or port.proto == "sctp":
                        continue
                    ports.append(PortRule(network.device, port.proto, port.host_ip, port.host_port, ip, port.port))
        return bridges, ports

    async def sync_rules(self) -> None:
        """Rewrite our iptables chains from the state (nothing when iptables is off)."""
        if self.iptables is None:
            return
        bridges, ports = self.rules()
        text = render_rules(self.iptables.chains, bridges, ports)
        if text == self._applied_rules:
            return  # a container without published ports changes nothing
        await self.iptables.restore(text)
        self._applied_rules = text

    def rules_applied(self, text: str) -> None:
        """Record rules applied by someone else (the boot-time set-up)."""
        self._applied_rules = text

    def reap_links(self, names: list[str]) -> None:
        """Delete veths in the background: the kernel takes tens of milliseconds per veth.

        Only for a stopped container (nothing uses them any more); :meth:`reaped` waits for them.
        """
        if not names:
            return
        if self._reaping == 0:
            self._reaped = anyio.Event()
        self._reaping += 1
        self.task_group.start_soon(self._reap, names)

    async def _reap(self, names: list[str]) -> None:
        try:
            for name in names:
                try:
                    await self.reaper.delete_link(name)
                except NetworkSetupError as exc:
                    log.warning("%s", exc)
        finally:
            self._reaping -= 1
            if self._reaping == 0:
                self._reaped.set()

    async def reaped(self) -> None:
        """Wait until the veths handed to :meth:`reap_links` are gone."""
        if self._reaping:
            await self._reaped.wait()

    def log_event(self, action: str, network: NetworkRecord, **attributes: str) -> None:
        """Emit a ``network`` event (``create``, ``destroy``, ``connect``, ``disconnect``)."""
        if self.events is not None:
            self.events.log("network", action, network.id, {"name": network.name, "type": network.driver, **attributes})
