"""The network controller: the ``/networks`` backend and the container lifecycle's network API.

Open it for the daemon's lifetime::

    async with NetworkController.open(NetworkConfig.from_daemon(config), events=events) as networks:
        ...

It restores the persisted networks (re-creating their bridges and rewriting
the iptables chains), and waits for :meth:`restore_containers` to learn
which containers still run; the sandboxes of the others are released then.
See :mod:`pymoby.daemon.network` for the calls the container lifecycle makes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import shutil
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

import anyio

from pymoby import api, errdefs

from ..events import Events
from ._config import NetworkConfig
from ._containers import ContainerOps
from ._errors import ActiveEndpoints, NetworkSetupError, NoAvailablePool, PredefinedNetwork
from ._filters import list_matcher, prune_matcher
from ._inspect import network_view
from ._ipam import IPNetwork
from ._iptables import Chains, Iptables
from ._model import (
    OPT_BRIDGE_NAME,
    OPT_DEFAULT_BRIDGE,
    OPT_HOST_BINDING,
    OPT_ICC,
    OPT_MASQUERADE,
    OPT_MTU,
    NetworkRecord,
    SubnetRecord,
)
from ._netcreate import build_network, default_gateway, needs_pool
from ._netlink import Netlink
from ._netns import remove_netns_sync, write_sysctl
from ._sandbox import teardown
from ._state import State, new_id, now_rfc3339
from ._store import RecordStore

__all__ = ["NetworkController"]

log = logging.getLogger("pymoby.daemon.network")


class NetworkController(ContainerOps):
    """Networks, and the containers' attachments to them, for one daemon."""

    def __init__(self, state: State) -> None:
        self._s = state

    @property
    def config(self) -> NetworkConfig:
        """The settings it runs with."""
        return self._s.config

    # -- life cycle ---------------------------------------------------------------------------
    @classmethod
    @asynccontextmanager
    async def open(cls, config: NetworkConfig, *, events: Events | None = None) -> AsyncIterator[NetworkController]:
        """Restore the networks and serve until the block ends (then stop proxies and DNS servers).

        Kernel state outlives the daemon, as Docker's does: bridges, rules and
        the namespaces of running containers stay. Raises
        :class:`NetworkSetupError` when the kernel refuses the set-up.
        """
        store = RecordStore(config.state_dir)
        await anyio.to_thread.run_sync(store.prepare)
        iptables = Iptables(Chains(config.chain_suffix)) if config.iptables else None
        async with Netlink.host() as netlink, Netlink.host() as reaper, anyio.create_task_group() as tg:
            state = State(config, store, netlink, iptables, tg, events, reaper)
            controller = cls(state)
            try:
                await controller._restore()
                yield controller
            finally:
                with anyio.CancelScope(shield=True):
                    await controller._close()
                tg.cancel_scope.cancel()

    async def _close(self) -> None:
        s = self._s
        await s.reaped()
        for container_id, live in list(s.live.items()):
            if live.dns is not None:
                live.dns.cancel()
            ports, live.ports = live.ports, []
            for held, relay in ports:
                if relay is not None:
                    await anyio.to_thread.run_sync(relay.close)
                s.ports.release(held)
            s.live.pop(container_id, None)

    async def _restore(self) -> None:
        s = self._s
        networks = await anyio.to_thread.run_sync(s.store.load_networks)
        containers = await anyio.to_thread.run_sync(s.store.load_containers)
        s.networks = {n.id: n for n in networks}
        s.containers = {c.id: c for c in containers}
        await self._ensure_predefined()
        for network in s.networks.values():
            if network.driver == "bridge" and not network.config_only:
                s.add_allocators(network)
        for record in s.containers.values():
            for endpoint in record.endpoints:
                for cidr, version in ((endpoint.ipv4, 4), (endpoint.ipv6, 6)):
                    allocator = s.allocator(endpoint.network_id, version) if cidr else None
                    if allocator is not None:
                        allocator.reserve(ipaddress.ip_interface(cidr).ip)
        if s.config.iptables and s.config.ip_forward:
            await anyio.to_thread.run_sync(write_sysctl, "net/ipv4/ip_forward", "1")
        for network in s.networks.values():
            if network.driver == "bridge" and not network.config_only:
                await self._ensure_bridge(network)
        if s.iptables is not None:
            bridges, ports = s.rules()
            s.rules_applied(await s.iptables.setup(bridges, ports))
        await anyio.to_thread.run_sync(self._remove_stray_namespaces)

    def _remove_stray_namespaces(self) -> None:
        """Namespaces under our exec root that no record names were left by a crash: remove them."""
        directory = self._s.config.netns_dir
        if not directory.is_dir():
            return
        known = {c.sandbox_key for c in self._s.containers.values() if c.sandbox_key}
        for path in directory.iterdir():
            if str(path) not in known:
                try:
                    remove_netns_sync(path)
                except OSError as exc:
                    log.warning("failed to remove stray network namespace %s: %s", path, exc)

    async def _ensure_predefined(self) -> None:
        s, config = self._s, self._s.config
        for driver, name in (("host", "host"), ("null", "none")):
            if not any(n.driver == driver and not n.config_only for n in s.networks.values()):
                record = NetworkRecord(id=new_id(), name=name, driver=driver, created=now_rfc3339())
                s.networks[record.id] = record
                await s.save_network(record)
        bridge = next((n for n in s.networks.values() if n.default), None)
        options = {
            OPT_DEFAULT_BRIDGE: "true",
            OPT_ICC: "true" if config.icc else "false",
            OPT_MASQUERADE: "true" if config.ip_masq else "false",
            OPT_HOST_BINDING: config.default_bind_ip,
            OPT_BRIDGE_NAME: config.bridge,
            OPT_MTU: str(config.mtu),
        }
        subnet: SubnetRecord | None = None
        if config.bip:
            interface = ipaddress.IPv4Interface(config.bip)
            subnet = SubnetRecord(subnet=str(interface.network), gateway=str(interface.ip))
        elif bridge is not None and bridge.subnets and bridge.device == config.bridge:
            subnet = bridge.subnets[0]
        else:
            subnet = await self._bridge_subnet_from_device(config.bridge)
            if subnet is None:
                others = [
                    ipaddress.ip_network(x.subnet) for n in s.networks.values() if not n.default for x in n.subnets
                ]
                chosen = s.pools.allocate(others, await s.netlink.routes(), 4)
                subnet = SubnetRecord(subnet=str(chosen), gateway=str(chosen.network_address + 1))
        if bridge is None:
            bridge = NetworkRecord(id=new_id(), name="bridge", driver="bridge", created=now_rfc3339(), default=True)
            s.networks[bridge.id] = bridge
        if bridge.subnets[:1] != [subnet] or bridge.options != options or bridge.device != config.bridge:
            bridge.subnets, bridge.options, bridge.device = [subnet], options, config.bridge
            await s.save_network(bridge)

    async def _bridge_subnet_from_device(self, device: str) -> SubnetRecord | None:
        """The subnet of an existing bridge device (Docker reuses docker0's address)."""
        index = await self._s.netlink.index(device)
        if index is None:
            return None
        for address, prefixlen in sorted(await self._s.netlink.addresses(index)):
            if ":" not in address:
                interface = ipaddress.IPv4Interface(f"{address}/{prefixlen}")
                return SubnetRecord(subnet=str(interface.network), gateway=str(interface.ip))
        return None

    async def _ensure_bridge(self, network: NetworkRecord) -> None:
        addresses: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface] = []
        for subnet in network.subnets:
            if subnet.gateway:
                prefix = ipaddress.ip_network(subnet.subnet).prefixlen
                addresses.append(ipaddress.ip_interface(f"{subnet.gateway}/{prefix}"))
        await self._s.netlink.ensure_bridge(network.device, network.mtu or self._s.config.mtu, addresses)

    async def restore_containers(self, running: Collection[str], known: Collection[str] | None = None) -> None:
        """After a daemon restart: keep the sandboxes of ``running`` containers, release every other.

        ``known`` (when given) is every container the daemon has; records of
        others are dropped. The kept ones get their published ports and DNS
        server back (``live-restore``).
        """
        s = self._s
        async with s.lock:
            for record in list(s.containers.values()):
                if known is not None and record.id not in known:
                    if record.running:
                        await teardown(s, record)
                    s.containers.pop(record.id, None)
                    await anyio.to_thread.run_sync(s.store.delete_container, record.id)
                elif record.running and record.id not in running:
                    await teardown(s, record)
                elif record.running:
                    await self._revive(record)
            await s.sync_rules()

    # -- /networks ----------------------------------------------------------------------------
    def list_networks(self, filters: api.Filters, *, detailed: bool = False) -> list[api.Network]:
        """``GET /networks``: every network that passes ``filters`` (with containers when ``detailed``)."""
        s = self._s
        matches = list_matcher(filters, s.in_use)
        return [
            network_view(n, s.attached(n.id) if detailed else ())
            for n in sorted(s.networks.values(), key=lambda n: n.created)
            if matches(n)
        ]

    def inspect_network(self, term: str, *, scope: str = "") -> api.Network:
        """``GET /networks/{id}``: one network by ID, name or ID prefix, with its containers.

        Raises :class:`NoSuchNetwork` (also when ``scope`` is not ``local``).
        """
        network = self._s.find_network(term)
        if scope not in ("", "local"):
            raise errdefs.NotFound(f"network {term} not found")
        return network_view(network, self._s.attached(network.id))

    async def create_network(self, request: api.NetworkCreateRequest) -> api.NetworkCreateResponse:
        """``POST /networks/create``: validate, choose subnets, create the bridge and its rules."""
        s = self._s
        async with s.lock:
            record = build_network(request, new_id(), now_rfc3339(), list(s.networks.values()))
            if needs_pool(record, 4) or needs_pool(record, 6):
                routes = await s.netlink.routes()
                in_use: list[IPNetwork] = s.subnets_in_use() + [ipaddress.ip_network(x.subnet) for x in record.subnets]
                for version in (4, 6):
                    if needs_pool(record, version):
                        pools = s.pools if version == 4 else s.pools6
                        if version == 6 and not s.has_v6_pools:
                            raise NoAvailablePool(6)
                        chosen = pools.allocate(in_use, routes, version)
                        in_use.append(chosen)
                        record.subnets.append(SubnetRecord(subnet=str(chosen)))
                record.subnets.sort(key=lambda x: ":" in x.subnet)
            for subnet in record.subnets:
                if not subnet.gateway:
                    subnet.gateway = default_gateway(subnet)
            s.networks[record.id] = record
            await s.save_network(record)
            done = False
            try:
                if record.driver == "bridge":
                    s.add_allocators(record)
                    await self._ensure_bridge(record)
                    await s.sync_rules()
                done = True
            finally:
                if not done:
                    with anyio.CancelScope(shield=True):
                        await self._drop_network(record)
            s.log_event("create", record)
            return api.NetworkCreateResponse(id=record.id, warning="")

    async def _drop_network(self, record: NetworkRecord) -> None:
        s = self._s
        s.networks.pop(record.id, None)
        s.subnets.pop(record.id, None)
        if record.driver == "bridge" and record.device:
            try:
                await s.netlink.delete_link(record.device)
            except NetworkSetupError as exc:
                log.warning("%s", exc)
        try:
            await s.sync_rules()
        except NetworkSetupError as exc:
            log.warning("%s", exc)
        await anyio.to_thread.run_sync(s.store.delete_network, record.id)

    async def remove_network(self, term: str) -> None:
        """``DELETE /networks/{id}``: remove a network no running container uses.

        Raises :class:`NoSuchNetwork`, :class:`PredefinedNetwork`, :class:`ActiveEndpoints`.
        """
        s = self._s
        async with s.lock:
            record = s.find_network(term)
            if record.predefined:
                raise PredefinedNetwork(f"{record.name} is a pre-defined network and cannot be removed")
            if record.config_only and s.in_use(record):
                raise errdefs.Forbidden(f'configuration network "{record.name}" is in use')
            if s.in_use(record):
                raise ActiveEndpoints(record.name, record.id)
            await self._drop_network(record)
            s.log_event("destroy", record)

    async def prune_networks(self, filters: api.Filters) -> api.NetworkPruneResponse:
        """``POST /networks/prune``: remove the user-defined networks no container uses."""
        s = self._s
        matches = prune_matcher(filters)
        deleted: list[str] = []
        async with s.lock:
            for record in sorted(s.networks.values(), key=lambda n: n.created):
                if record.predefined or s.in_use(record) or not matches(record):
                    continue
                await self._drop_network(record)
                s.log_event("destroy", record)
                deleted.append(record.name)
        return api.NetworkPruneResponse(networks_deleted=deleted or None)

    # -- administration -----------------------------------------------------------------------
    @staticmethod
    async def purge(config: NetworkConfig) -> None:
        """Remove everything a (stopped) daemon left in the kernel: namespaces, veths, bridges, iptables chains.

        For uninstalling, and for test fixtures; the records on disk stay.
        """
        store = RecordStore(config.state_dir)
        networks = await anyio.to_thread.run_sync(store.load_networks)
        containers = await anyio.to_thread.run_sync(store.load_containers)
        async with Netlink.host() as netlink:
            for record in containers:
                for endpoint in record.endpoints:
                    if endpoint.veth:
                        with contextlib.suppress(NetworkSetupError):
                            await netlink.delete_link(endpoint.veth)
            devices = {n.device for n in networks if n.driver == "bridge" and n.device} | {config.bridge}
            for device in devices:
                with contextlib.suppress(NetworkSetupError):
                    await netlink.delete_link(device)
        if config.netns_dir.is_dir():
            for path in config.netns_dir.iterdir():
                with contextlib.suppress(OSError):
                    await anyio.to_thread.run_sync(remove_netns_sync, path)
        await Iptables(Chains(config.chain_suffix)).remove()

    async def remove_files(self, container_id: str) -> None:
        """Delete the hosts/resolv.conf directory the subsystem made for a container (not a given ``files_dir``)."""
        directory = self._s.config.state_dir / "files" / container_id
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(directory, ignore_errors=True))
