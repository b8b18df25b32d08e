"""The container lifecycle's side of the network controller (mixed into :class:`NetworkController`).

create -> :meth:`create_container` (validate and remember the wishes);
start -> :meth:`start_container` (a :class:`SandboxInfo`); stop or exit ->
:meth:`stop_container`; remove -> :meth:`remove_container`; inspect ->
:meth:`container_settings`; ``docker network connect/disconnect`` ->
:meth:`connect` / :meth:`disconnect`, running or not.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import anyio

from pymoby import api, errdefs

from ._errors import InvalidNetworkConfig, NetworkConflict, NoSuchNetwork, NotConnected
from ._inspect import container_settings
from ._model import AttachmentRecord, ContainerRecord, NetworkRecord, PortRecord, PortRequest
from ._names import dns_names
from ._portmap import port_requests
from ._publish import publish
from ._sandbox import connect_running, disconnect_running, ensure_dns, gateway_endpoint, start_sandbox, teardown
from ._spec import (
    ERR_HOST,
    ERR_NONE,
    ERR_SHARED,
    ContainerNetworkSpec,
    SandboxInfo,
    network_mode_target,
    validate_endpoint_settings,
    validate_network_mode,
)
from ._state import State

__all__ = ["ContainerOps"]

log = logging.getLogger("pymoby.daemon.network")


def _user_defined(network: NetworkRecord) -> bool:
    return network.driver == "bridge" and not network.default


def _attachment(network: NetworkRecord, settings: api.EndpointSettings | None, mac: str = "") -> AttachmentRecord:
    ipam = (settings.ipam_config if settings is not None else None) or api.EndpointIPAMConfig()
    return AttachmentRecord(
        network_id=network.id,
        network_name=network.name,
        aliases=list(settings.aliases) if settings is not None and settings.aliases else None,
        links=list(settings.links) if settings is not None and settings.links else None,
        ipv4_address=ipam.ipv4_address,
        ipv6_address=ipam.ipv6_address,
        link_local_ips=list(ipam.link_local_ips) if ipam.link_local_ips else None,
        mac_address=(settings.mac_address if settings is not None else "") or mac,
        driver_opts=dict(settings.driver_opts) if settings is not None and settings.driver_opts else None,
    )


def _check_static(network: NetworkRecord, attachment: AttachmentRecord) -> None:
    """Static addresses need a subnet the user configured, and must fall in it (``IsInRange``)."""
    errors = []
    for wanted, version in ((attachment.ipv4_address, 4), (attachment.ipv6_address, 6)):
        if not wanted:
            continue
        subnets = [s for s in network.subnets if s.user and ipaddress.ip_network(s.subnet).version == version]
        if not subnets:
            errors.append(
                "user specified IP address is supported only when connecting to networks with user configured subnets"
            )
        elif not any(ipaddress.ip_address(wanted) in ipaddress.ip_network(s.subnet) for s in subnets):
            errors.append(f"no configured subnet or ip-range contain the IP address {wanted}")
    if errors:
        raise InvalidNetworkConfig("invalid endpoint settings:\n" + "\n".join(errors))


class ContainerOps:
    """Container-facing operations over the controller's :class:`State`."""

    _s: State

    # -- create / remove ----------------------------------------------------------------------
    def _attachments(self, spec: ContainerNetworkSpec, mode: str) -> list[AttachmentRecord]:
        s = self._s
        if mode in ("host", "none"):
            return [_attachment(s.by_driver("host" if mode == "host" else "null"), None)]
        if mode.startswith("container:"):
            s.find_container(mode.removeprefix("container:"))
            return []
        primary = s.find_network(mode)
        if primary.config_only:
            raise errdefs.Forbidden(f"configuration network {primary.name} cannot be used to run containers")
        chosen: list[tuple[NetworkRecord, api.EndpointSettings | None]] = []
        settings = next((spec.endpoints[k] for k in (mode, primary.name, primary.id) if k in spec.endpoints), None)
        chosen.append((primary, settings))
        for name, other in spec.endpoints.items():
            if name in (mode, primary.name, primary.id):
                continue
            network = s.find_network(name)
            if network.driver in ("host", "null"):
                raise NetworkConflict(ERR_SHARED if network.driver == "host" else ERR_NONE)
            if all(n.id != network.id for n, _ in chosen):
                chosen.append((network, other))
        result = []
        for index, (network, settings) in enumerate(chosen):
            validate_endpoint_settings(_user_defined(network), settings)
            attachment = _attachment(network, settings, spec.mac_address if index == 0 else "")
            _check_static(network, attachment)
            result.append(attachment)
        return result

    async def create_container(self, spec: ContainerNetworkSpec) -> api.NetworkSettings:
        """Validate a new container's networking and remember it; its ``NetworkSettings``.

        Raises ``InvalidParameter`` (bad options), :class:`NoSuchNetwork`,
        :class:`NoSuchNetworkContainer` (``container:`` mode), ``Forbidden``
        (conflicting network modes), ``Conflict`` (the ID is known).
        """
        s = self._s
        validate_network_mode(spec)
        mode = network_mode_target(spec.network_mode)
        async with s.lock:
            if spec.id in s.containers:
                raise errdefs.Conflict(f"container {spec.id} already has network settings")
            attachments = self._attachments(spec, mode)
            ports: list[PortRequest] = []
            if mode != "host" and not mode.startswith("container:"):
                ports = port_requests(spec.port_bindings, spec.exposed_ports, spec.publish_all_ports)
            record = ContainerRecord(
                id=spec.id,
                name=spec.name.lstrip("/"),
                network_mode=mode,
                hostname=spec.hostname or spec.id[:12],
                domainname=spec.domainname,
                attachments=attachments,
                ports=ports,
                exposed_ports=[p if "/" in p else f"{p}/tcp" for p in spec.exposed_ports],
                dns=list(spec.dns),
                dns_search=list(spec.dns_search),
                dns_options=list(spec.dns_options),
                extra_hosts=list(spec.extra_hosts),
                links=list(spec.links),
                files_dir=str(spec.files_dir) if spec.files_dir is not None else "",
            )
            s.containers[record.id] = record
            await s.save_container(record, durable=True)
            return container_settings(record, s.networks)

    async def remove_container(self, container_id: str) -> None:
        """Forget a container (releasing its sandbox first if it still has one)."""
        s = self._s
        async with s.lock:
            record = s.containers.get(container_id)
            if record is None:
                return
            if record.running:
                await teardown(s, record)
            s.containers.pop(container_id, None)
            await anyio.to_thread.run_sync(s.store.delete_container, container_id)

    async def rename_container(self, container_id: str, name: str) -> None:
        """A container was renamed: its DNS names follow at once."""
        s = self._s
        async with s.lock:
            record = s.find_container(container_id)
            record.name = name.lstrip("/")
            for endpoint in record.endpoints:
                if endpoint.dns_names:
                    attachment = record.attachment(endpoint.network_id)
                    aliases = (attachment.aliases if attachment is not None else None) or []
                    endpoint.dns_names = dns_names(record.name, aliases, record.id, record.hostname)
            await s.save_container(record, durable=True)

    # -- start / stop -------------------------------------------------------------------------
    def _info(self, record: ContainerRecord, link_env: list[str] | None = None) -> SandboxInfo:
        return SandboxInfo(
            netns_path=Path(record.sandbox_key) if record.sandbox_key else None,
            hosts_path=Path(record.hosts_path),
            resolv_conf_path=Path(record.resolv_conf_path),
            settings=container_settings(record, self._s.networks),
            link_env=tuple(link_env or ()),
        )

    async def start_container(self, container_id: str) -> SandboxInfo:
        """Set up a container's network before its task starts; what the OCI spec needs.

        Raises :class:`NoSuchNetworkContainer`, :class:`NoSuchNetwork` (a network
        it was attached to is gone), ``Conflict`` (``container:`` target or a
        ``--link`` not running), IPAM errors (``Address already in use``),
        :class:`PortAllocationError`, :class:`NetworkSetupError`. Nothing is
        left half set up.
        """
        s = self._s
        async with s.lock:
            record = s.find_container(container_id)
            if record.running:
                return self._info(record)
            mode = record.network_mode
            if mode.startswith("container:"):
                target_name = mode.removeprefix("container:")
                target = s.find_container(target_name)
                if target.id == record.id:
                    raise errdefs.InvalidParameter("cannot join own network")
                if not target.running:
                    raise errdefs.Conflict(f"cannot join network of a non running container: {target_name}")
                record.sandbox_id, record.sandbox_key, record.joined = target.sandbox_id, target.sandbox_key, target.id
                record.hosts_path, record.resolv_conf_path = target.hosts_path, target.resolv_conf_path
                await s.save_container(record)
                return self._info(record)
            link_env = await start_sandbox(s, record)
            for endpoint in record.endpoints:
                network = s.networks.get(endpoint.network_id)
                if network is not None:
                    s.log_event("connect", network, container=record.id)
            return self._info(record, link_env)

    async def stop_container(self, container_id: str) -> None:
        """Release a stopped container's network: ports, rules, DNS server, veths, addresses, namespace."""
        s = self._s
        async with s.lock:
            record = s.containers.get(container_id)
            if record is None or not record.running:
                return
            networks = [s.networks.get(e.network_id) for e in record.endpoints]
            await teardown(s, record, background=True)
            for network in networks:
                if network is not None:
                    s.log_event("disconnect", network, container=record.id)

    def container_settings(self, container_id: str) -> api.NetworkSettings:
        """``NetworkSettings`` for inspect (current: addresses and ports while running)."""
        return container_settings(self._s.find_container(container_id), self._s.networks)

    def sandbox(self, container_id: str) -> SandboxInfo | None:
        """The running container's :class:`SandboxInfo`, ``None`` when it has no sandbox."""
        record = self._s.find_container(container_id)
        return self._info(record) if record.running else None

    async def _revive(self, record: ContainerRecord) -> None:
        """A container survived a daemon restart: bind its ports again and restart its DNS server."""
        s = self._s
        gateway = gateway_endpoint(s, record)
        if gateway is not None and gateway.ports:
            wanted, record.ports = record.ports, [_same_port(p) for p in gateway.ports]
            try:
                await publish(s, record, gateway)
            except errdefs.PymobyError as exc:
                gateway.ports = []
                log.warning("failed to restore the published ports of %s: %s", record.name, exc)
            finally:
                record.ports = wanted
        await ensure_dns(s, record)
        await s.save_container(record)

    # -- connect / disconnect -----------------------------------------------------------------
    async def connect(self, network_term: str, container: str, settings: api.EndpointSettings | None) -> None:
        """``POST /networks/{id}/connect``: attach a container, running (now) or not (at its next start).

        Raises :class:`NoSuchNetwork`, :class:`NoSuchNetworkContainer`,
        :class:`NetworkConflict` (host, none, ``container:`` modes; already
        connected), ``InvalidParameter`` (endpoint settings), IPAM errors.
        """
        s = self._s
        async with s.lock:
            network = s.find_network(network_term)
            record = s.find_container(container)
            mode = record.network_mode
            if network.config_only:
                raise errdefs.Forbidden(f"configuration network {network.name} cannot be used to run containers")
            if network.driver == "host" and mode != "host":
                raise NetworkConflict(ERR_HOST)
            if mode == "host" or mode.startswith("container:"):
                raise NetworkConflict(ERR_SHARED)
            if mode == "none" or network.driver == "null":
                raise NetworkConflict(ERR_NONE)
            if record.attachment(network.id) is not None:
                if record.running:
                    raise NetworkConflict(f"endpoint with name {record.name} already exists in network {network.name}")
                return
            validate_endpoint_settings(_user_defined(network), settings)
            attachment = _attachment(network, settings)
            _check_static(network, attachment)
            record.attachments.append(attachment)
            done = False
            try:
                if record.running:
                    await connect_running(s, record, attachment)
                await s.save_container(record, durable=True)
                done = True
            finally:
                if not done:
                    record.attachments.remove(attachment)
            if record.running:
                s.log_event("connect", network, container=record.id)

    async def disconnect(self, network_term: str, container: str, force: bool = False) -> None:
        """``POST /networks/{id}/disconnect``: detach a container, running or not.

        Raises :class:`NoSuchNetwork` (unless ``force``), :class:`NoSuchNetworkContainer`,
        :class:`NetworkConflict` (host mode), ``NotConnected`` (500, as Docker).
        """
        s = self._s
        async with s.lock:
            try:
                network: NetworkRecord | None = s.find_network(network_term)
            except NoSuchNetwork:
                if not force:
                    raise
                network = None
            record = s.find_container(container)
            if network is None:
                stale = [a for a in record.attachments if a.network_name == network_term]
                if not stale:
                    raise NotConnected(f"container {record.id} is not connected to the network {network_term}")
                for entry in stale:
                    record.attachments.remove(entry)
                await s.save_container(record, durable=True)
                return
            if network.driver == "host" and record.network_mode == "host":
                raise NetworkConflict(ERR_HOST)
            attachment = record.attachment(network.id)
            if attachment is None:
                raise NotConnected(f"container {record.id} is not connected to network {network.name}")
            was_running = record.running and record.endpoint(network.id) is not None
            if was_running:
                await disconnect_running(s, record, network)
            record.attachments.remove(attachment)
            await s.save_container(record, durable=True)
            if was_running:
                s.log_event("disconnect", network, container=record.id)

    def find_container_id(self, term: str) -> str:
        """A known container's ID by ID, name or ID prefix; raises :class:`NoSuchNetworkContainer`."""
        return self._s.find_container(term).id


def _same_port(port: PortRecord) -> PortRequest:
    return PortRequest(port=port.port, proto=port.proto, host_ip=port.host_ip, host_port=port.host_port)
