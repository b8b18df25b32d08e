"""A running container's network: namespace, endpoints, routes, ports, DNS server, files.

Every function here runs under the controller's lock. Records are persisted
before the kernel objects they name are made (so a crash leaves nothing
unrecorded), and a failure half-way releases what was done, shielded from
cancellation.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
from pathlib import Path

import anyio
from anyio.abc import TaskStatus

from pymoby import errdefs

from ._errors import NetworkSetupError, NoSuchNetworkContainer, PortAllocationError
from ._files import hosts_content, parse_resolv_conf, resolv_conf_content
from ._ipam import mac_for
from ._model import AttachmentRecord, ContainerRecord, EndpointRecord, NetworkRecord
from ._names import ContainerNames, dns_names
from ._netlink import Netlink, random_mac
from ._netns import create_netns, remove_netns
from ._publish import close_ports, publish, unpublish
from ._resolver import EmbeddedDNS
from ._spec import network_mode_target, normal_mac, parse_extra_host
from ._state import Live, State, new_id

__all__ = [
    "connect_running",
    "disconnect_running",
    "ensure_dns",
    "files_dir",
    "gateway_endpoint",
    "start_sandbox",
    "teardown",
    "write_files",
]

log = logging.getLogger("pymoby.daemon.network")

#: A new network namespace's loopback is always interface 1.
LOOPBACK_INDEX = 1


def user_defined(network: NetworkRecord | None) -> bool:
    """Whether a network is a user-defined bridge (where names resolve through the embedded DNS)."""
    return network is not None and network.driver == "bridge" and not network.default


def files_dir(state: State, record: ContainerRecord) -> Path:
    """Where a container's hosts and resolv.conf live."""
    return Path(record.files_dir) if record.files_dir else state.config.state_dir / "files" / record.id


def gateway_endpoint(state: State, record: ContainerRecord) -> EndpointRecord | None:
    """The endpoint that carries the default route and the published ports: the first non-internal bridge one."""
    for endpoint in record.endpoints:
        network = state.networks.get(endpoint.network_id)
        if network is not None and network.driver == "bridge" and not network.internal and endpoint.ipv4:
            return endpoint
    return None


# -- addresses -----------------------------------------------------------------------------
def plan_endpoint(
    state: State, record: ContainerRecord, attachment: AttachmentRecord, network: NetworkRecord, ifname: str
) -> EndpointRecord:
    """Allocate an endpoint's addresses and names (no kernel work). Raises the IPAM errors."""
    if network.driver != "bridge":
        return EndpointRecord(id=new_id(), network_id=network.id, ifname="", veth="", mac="")
    taken: list[tuple[int, ipaddress.IPv4Address | ipaddress.IPv6Address]] = []
    v4 = v6 = ""
    gateway = gateway6 = ""
    try:
        a4 = state.allocator(network.id, 4)
        if a4 is not None:
            preferred = ipaddress.ip_address(attachment.ipv4_address) if attachment.ipv4_address else None
            address = a4.allocate(preferred)
            taken.append((4, address))
            v4 = f"{address}/{a4.subnet.prefixlen}"
            gateway = str(a4.gateway) if a4.gateway else ""
        a6 = state.allocator(network.id, 6) if network.enable_ipv6 else None
        if a6 is not None:
            preferred = ipaddress.ip_address(attachment.ipv6_address) if attachment.ipv6_address else None
            address = a6.allocate(preferred)
            taken.append((6, address))
            v6 = f"{address}/{a6.subnet.prefixlen}"
            gateway6 = str(a6.gateway) if a6.gateway else ""
    except errdefs.PymobyError:
        for version, address in taken:
            allocator = state.allocator(network.id, version)
            if allocator is not None:
                allocator.release(address)
        raise
    if attachment.mac_address:
        mac = normal_mac(attachment.mac_address)
    elif v4:
        mac = mac_for(ipaddress.IPv4Interface(v4).ip)
    else:
        mac = random_mac()
    names = (
        dns_names(record.name, attachment.aliases or [], record.id, record.hostname) if user_defined(network) else []
    )
    return EndpointRecord(
        id=new_id(),
        network_id=network.id,
        ifname=ifname,
        veth="veth" + secrets.token_hex(4)[:7],
        mac=mac,
        ipv4=v4,
        ipv6=v6,
        gateway=gateway,
        ipv6_gateway=gateway6,
        dns_names=names,
    )


def release_addresses(state: State, endpoint: EndpointRecord) -> None:
    """Give an endpoint's addresses back to their subnets."""
    for cidr, version in ((endpoint.ipv4, 4), (endpoint.ipv6, 6)):
        allocator = state.allocator(endpoint.network_id, version) if cidr else None
        if allocator is not None:
            allocator.release(ipaddress.ip_interface(cidr).ip)


def next_ifname(record: ContainerRecord) -> str:
    """The first free ``ethN`` in a container's namespace."""
    used = {e.ifname for e in record.endpoints}
    return next(f"eth{i}" for i in range(len(used) + 1) if f"eth{i}" not in used)


# -- kernel ----------------------------------------------------------------------------------
async def wire(state: State, record: ContainerRecord, endpoint: EndpointRecord, inside: Netlink) -> None:
    """Create an endpoint's veth pair into the bridge and configure the container's end."""
    network = state.networks[endpoint.network_id]
    bridge = await state.netlink.index(network.device)
    if bridge is None:
        raise NetworkSetupError(f"bridge {network.device} of network {network.name} does not exist")
    mtu = network.mtu or state.config.mtu
    await state.netlink.create_veth(
        endpoint.veth, endpoint.ifname, Path(record.sandbox_key), bridge=bridge, mtu=mtu, peer_mac=endpoint.mac
    )
    index = await inside.index(endpoint.ifname)
    if index is None:
        raise NetworkSetupError(f"{endpoint.ifname} did not appear in {record.sandbox_key}")
    if endpoint.ipv4:
        await inside.add_address(index, ipaddress.IPv4Interface(endpoint.ipv4))
    if endpoint.ipv6:
        await inside.add_address(index, ipaddress.IPv6Interface(endpoint.ipv6))
    await inside.set_link(index, state="up")


async def route(state: State, record: ContainerRecord, inside: Netlink) -> None:
    """Point the container's default routes at its gateway endpoint's network (or remove them)."""
    gateway = gateway_endpoint(state, record)
    if gateway is not None and gateway.gateway:
        await inside.set_default_route(gateway.gateway, 4)
    else:
        await inside.delete_default_route(4)
    if gateway is not None and gateway.ipv6_gateway:
        await inside.set_default_route(gateway.ipv6_gateway, 6)


async def unwire(state: State, endpoint: EndpointRecord) -> None:
    """Delete an endpoint's veth pair (both ends go); errors are logged."""
    if not endpoint.veth:
        return
    try:
        await state.netlink.delete_link(endpoint.veth)
    except NetworkSetupError as exc:
        log.warning("failed to delete %s: %s", endpoint.veth, exc)


# -- DNS -------------------------------------------------------------------------------------
async def _serve_dns(
    state: State, container_id: str, server: EmbeddedDNS, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    with anyio.CancelScope() as scope:
        live = state.live.setdefault(container_id, Live())
        live.dns = scope
        try:
            await server.serve(task_status=task_status)
        except Exception:
            # A bug in one container's resolver must not take the daemon (and every container) down.
            log.exception("the embedded DNS server of container %s failed", container_id[:12])
            if live.dns is scope:
                live.dns = None


async def ensure_dns(state: State, record: ContainerRecord) -> None:
    """Run the embedded DNS server while the container is on a user-defined network, stop it otherwise."""
    wanted = any(user_defined(state.networks.get(e.network_id)) for e in record.endpoints)
    live = state.live.setdefault(record.id, Live())
    if wanted and live.dns is None:
        server = EmbeddedDNS(Path(record.sandbox_key), ContainerNames(state, record.id))
        try:
            await server.bind()
        except OSError as exc:
            raise NetworkSetupError(f"failed to start the embedded DNS server: {exc}") from exc
        await state.task_group.start(_serve_dns, state, record.id, server)
    elif not wanted and live.dns is not None:
        live.dns.cancel()
        live.dns = None


# -- files -----------------------------------------------------------------------------------
def _write_in_place(path: Path, content: str) -> None:
    # In place, not by rename: the file is bind-mounted into the container, which keeps its inode.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as file:
        file.seek(0)
        file.truncate()
        file.write(content)
    path.chmod(0o644)


def _user_network_link_entries(state: State, record: ContainerRecord) -> list[tuple[str, str]]:
    # On a user-defined network a link is only another name for a container sharing a network with
    # this one, as Docker's resolver aliases it (docker-compose's one-off `run` links so): no
    # environment, and a target elsewhere or stopped is not an error.
    shared = {a.network_id for a in record.attachments}
    lines: list[tuple[str, str]] = []
    for link in record.links:
        target_name, _, alias = link.partition(":")
        target_name = target_name.lstrip("/")
        alias = (alias or target_name).rsplit("/", 1)[-1]
        try:
            target = state.find_container(target_name)
        except NoSuchNetworkContainer:
            raise errdefs.NotFound(f"could not get container for {target_name}") from None
        for endpoint in target.endpoints if target.running else ():
            if endpoint.network_id in shared and endpoint.ipv4:
                lines.append((alias, str(ipaddress.ip_interface(endpoint.ipv4).ip)))
                break
    return lines


def link_entries(state: State, record: ContainerRecord) -> tuple[list[tuple[str, str]], list[str]]:
    """The /etc/hosts lines and environment of a container's legacy ``--link``s.

    On the default bridge, as Docker's legacy links: the target must be running there, and its
    address and ports are given in ``ALIAS_PORT_...`` variables. On a user-defined network the
    link is only a name for a container on a shared network.
    """
    lines: list[tuple[str, str]] = []
    env: list[str] = []
    bridge = state.default_bridge()
    if network_mode_target(record.network_mode) not in ("bridge", bridge.name, bridge.id):
        return _user_network_link_entries(state, record), env
    for link in record.links:
        target_name, _, alias = link.partition(":")
        target_name = target_name.lstrip("/")
        alias = (alias or target_name).rsplit("/", 1)[-1]
        try:
            target = state.find_container(target_name)
        except NoSuchNetworkContainer:
            raise errdefs.NotFound(f"could not get container for {target_name}") from None
        if not target.running:
            raise errdefs.Conflict(f"Cannot link to a non running container: /{target.name} AS /{record.name}/{alias}")
        endpoint = target.endpoint(bridge.id)
        if endpoint is None or not endpoint.ipv4:
            raise errdefs.InvalidParameter(
                f"Cannot link to /{target.name}, as it does not belong to the default network"
            )
        ip = str(ipaddress.ip_interface(endpoint.ipv4).ip)
        names = f"{alias} {target.hostname}" if target.hostname else alias
        if alias != target.name:
            names += f" {target.name}"
        lines.append((names, ip))
        prefix = alias.upper().replace("-", "_").replace(".", "_")
        env.append(f"{prefix}_NAME=/{record.name}/{alias}")
        ports = sorted(
            {(int(p.partition("/")[0]), p.partition("/")[2] or "tcp") for p in target.exposed_ports}
            | {(r.port, r.proto) for r in target.ports}
        )
        for index, (port, proto) in enumerate(ports):
            url = f"{proto}://{ip}:{port}"
            if index == 0:
                env.append(f"{prefix}_PORT={url}")
            key = f"{prefix}_PORT_{port}_{proto.upper()}"
            env += [f"{key}={url}", f"{key}_ADDR={ip}", f"{key}_PORT={port}", f"{key}_PROTO={proto}"]
    return lines, env


def write_files(state: State, record: ContainerRecord, links: list[tuple[str, str]] | None = None) -> None:
    """(Re)write a running container's hosts and resolv.conf.

    Called on the event loop: two small files read and two written take less than a thread hop.
    """
    hosts, resolv = Path(record.hosts_path), Path(record.resolv_conf_path)
    config = state.config
    try:
        host_resolv = config.host_resolv_conf.read_text()
    except OSError:
        host_resolv = ""
    extra = []
    for entry in record.extra_hosts:
        name, address = parse_extra_host(entry)
        if address == "host-gateway":
            address = next((s.gateway for s in state.default_bridge().subnets if ":" not in s.subnet), "")
        extra.append((name, address))
    if record.network_mode == "host":
        try:
            base = config.host_hosts.read_text()
        except OSError:
            base = ""
        _write_in_place(hosts, base + "".join(f"{ip}\t{name}\n" for name, ip in extra))
        _write_in_place(resolv, host_resolv)
        return
    if links is None:
        links = link_entries(state, record)[0] if record.links else []
    addresses = [str(ipaddress.ip_interface(c).ip) for e in record.endpoints for c in (e.ipv4, e.ipv6) if c]
    _write_in_place(
        hosts,
        hosts_content(
            hostname=record.hostname,
            domainname=record.domainname,
            addresses=addresses,
            extra_hosts=extra,
            links=links,
        ),
    )
    embedded = any(user_defined(state.networks.get(e.network_id)) for e in record.endpoints)
    _write_in_place(
        resolv,
        resolv_conf_content(
            parse_resolv_conf(host_resolv),
            dns=record.dns or config.dns,
            search=record.dns_search or config.dns_search,
            options=record.dns_options or config.dns_options,
            embedded=embedded,
            ipv6=any(e.ipv6 for e in record.endpoints),
        ),
    )


# -- whole sandboxes ------------------------------------------------------------------------------
async def teardown(state: State, record: ContainerRecord, *, background: bool = False) -> None:
    """Release everything a running container holds (best effort: failures are logged) and persist.

    ``background``: its processes are gone, so its veths may be deleted after this returns.
    """
    live = state.live.pop(record.id, None)
    if live is not None:
        if live.dns is not None:
            live.dns.cancel()
        if live.ports:
            await anyio.to_thread.run_sync(close_ports, state, live.ports)
    if record.sandbox_key and not record.joined:
        try:
            await remove_netns(Path(record.sandbox_key))
        except NetworkSetupError as exc:
            log.warning("%s", exc)
    if background:
        state.reap_links([e.veth for e in record.endpoints if e.veth])
    for endpoint in record.endpoints:
        if not background:
            await unwire(state, endpoint)
        release_addresses(state, endpoint)
    record.sandbox_id = record.sandbox_key = record.joined = ""
    record.endpoints = []
    record.hosts_path = record.resolv_conf_path = ""
    await state.save_container(record)
    try:
        await state.sync_rules()
    except NetworkSetupError as exc:
        log.warning("%s", exc)


async def start_sandbox(state: State, record: ContainerRecord) -> list[str]:
    """Set up a container's network namespace and everything in it; return the link environment.

    On failure everything done is undone and the error raised.
    """
    directory = files_dir(state, record)
    record.hosts_path, record.resolv_conf_path = str(directory / "hosts"), str(directory / "resolv.conf")
    mode = record.network_mode
    if mode == "host":
        host = state.by_driver("host")
        record.sandbox_id = new_id()
        record.endpoints = [EndpointRecord(id=new_id(), network_id=host.id, ifname="", veth="", mac="")]
        await state.save_container(record)
        write_files(state, record)
        return []
    links, link_env = link_entries(state, record) if record.links else ([], [])
    plans: list[EndpointRecord] = []
    try:
        for attachment in record.attachments:
            network = state.networks.get(attachment.network_id)
            if network is None:
                # Removed while the container was stopped: a network of the same name stands in, as in Docker.
                network = state.find_network(attachment.network_name)
                attachment.network_id = network.id
            plans.append(plan_endpoint(state, record, attachment, network, f"eth{len([p for p in plans if p.veth])}"))
    except errdefs.PymobyError:
        for endpoint in plans:
            release_addresses(state, endpoint)
        raise
    record.sandbox_id = new_id()
    record.sandbox_key = str(state.config.netns_dir / record.sandbox_id[:12])
    record.endpoints = plans
    await state.save_container(record)
    done = False
    try:
        await create_netns(Path(record.sandbox_key))
        async with Netlink.inside(Path(record.sandbox_key)) as inside:
            await inside.set_link(LOOPBACK_INDEX, state="up")
            for endpoint in plans:
                if endpoint.veth:
                    await wire(state, record, endpoint, inside)
            await route(state, record, inside)
        gateway = gateway_endpoint(state, record)
        if gateway is not None:
            await publish(state, record, gateway)
        await state.save_container(record)
        await state.sync_rules()
        await ensure_dns(state, record)
        write_files(state, record, links)
        done = True
    finally:
        if not done:
            with anyio.CancelScope(shield=True):
                await teardown(state, record)
    return link_env


async def connect_running(state: State, record: ContainerRecord, attachment: AttachmentRecord) -> None:
    """Add an endpoint on ``attachment``'s network to a running container."""
    network = state.networks[attachment.network_id]
    endpoint = plan_endpoint(state, record, attachment, network, next_ifname(record))
    old_gateway = gateway_endpoint(state, record)
    record.endpoints.append(endpoint)
    await state.save_container(record)
    done = False
    try:
        async with Netlink.inside(Path(record.sandbox_key)) as inside:
            await wire(state, record, endpoint, inside)
            await route(state, record, inside)
        new_gateway = gateway_endpoint(state, record)
        if new_gateway is not old_gateway and new_gateway is not None:
            await unpublish(state, record)
            await publish(state, record, new_gateway)
        await state.save_container(record)
        await state.sync_rules()
        await ensure_dns(state, record)
        write_files(state, record)
        done = True
    finally:
        if not done:
            with anyio.CancelScope(shield=True):
                await _drop_endpoint(state, record, endpoint)


async def _drop_endpoint(state: State, record: ContainerRecord, endpoint: EndpointRecord) -> None:
    await unwire(state, endpoint)
    release_addresses(state, endpoint)
    with contextlib.suppress(ValueError):
        record.endpoints.remove(endpoint)
    await state.save_container(record)
    try:
        await state.sync_rules()
    except NetworkSetupError as exc:
        log.warning("%s", exc)


async def disconnect_running(state: State, record: ContainerRecord, network: NetworkRecord) -> None:
    """Remove a running container's endpoint on ``network``, moving its default route and ports if needed."""
    endpoint = record.endpoint(network.id)
    if endpoint is None:
        return
    was_gateway = gateway_endpoint(state, record) is endpoint
    if was_gateway:
        await unpublish(state, record)
    await _drop_endpoint(state, record, endpoint)
    if record.sandbox_key and any(e.veth for e in record.endpoints):
        async with Netlink.inside(Path(record.sandbox_key)) as inside:
            await route(state, record, inside)
    new_gateway = gateway_endpoint(state, record)
    if was_gateway and new_gateway is not None:
        try:
            await publish(state, record, new_gateway)
        except PortAllocationError as exc:
            log.warning("published ports of %s could not move to another network: %s", record.name, exc)
    await state.save_container(record)
    await state.sync_rules()
    await ensure_dns(state, record)
    write_files(state, record)
