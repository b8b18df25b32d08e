"""The API views of networks and of a container's network settings (pure functions)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from pymoby import api

from ._model import ContainerRecord, EndpointRecord, NetworkRecord, PortRecord

__all__ = ["container_settings", "network_view", "port_map"]


def network_view(record: NetworkRecord, attached: Iterable[tuple[ContainerRecord, EndpointRecord]] = ()) -> api.Network:
    """A network as ``GET /networks/{id}`` shows it, with the ``attached`` containers' endpoints."""
    config: list[api.IPAMConfig] = []
    for subnet in record.subnets:
        if subnet.user:
            config.append(
                api.IPAMConfig(
                    subnet=subnet.subnet,
                    ip_range=subnet.ip_range,
                    gateway=subnet.gateway,
                    aux_address=dict(subnet.aux_addresses) or None,
                )
            )
        else:
            config.append(api.IPAMConfig(subnet=subnet.subnet, gateway=subnet.gateway))
    containers = {
        container.id: api.NetworkContainer(
            name=container.name,
            endpoint_id=endpoint.id,
            mac_address=endpoint.mac,
            ipv4_address=endpoint.ipv4,
            ipv6_address=endpoint.ipv6,
        )
        for container, endpoint in attached
    }
    return api.Network(
        name=record.name,
        id=record.id,
        created=record.created,
        scope="local",
        driver=record.driver,
        enable_ipv6=record.enable_ipv6,
        ipam=api.IPAM(driver=record.ipam_driver, options=record.ipam_options, config=config),
        internal=record.internal,
        attachable=record.attachable,
        ingress=False,
        config_from=api.ConfigReference(network=record.config_from),
        config_only=record.config_only,
        containers=containers,
        options=dict(record.options),
        labels=dict(record.labels),
    )


def port_map(
    exposed: Iterable[str], ports: Iterable[PortRecord], running: bool
) -> dict[str, list[dict[str, str]] | None]:
    """``NetworkSettings.Ports``: every exposed port, with its host bindings while running."""
    if not running:
        return {}
    result: dict[str, list[dict[str, str]] | None] = {}
    for spec in exposed:
        port, _, proto = spec.partition("/")
        result[f"{port}/{proto or 'tcp'}"] = None
    for bound in ports:
        key = f"{bound.port}/{bound.proto}"
        entries = result.get(key) or []
        entries.append({"HostIp": bound.host_ip, "HostPort": str(bound.host_port)})
        result[key] = entries
    return result


def _split(cidr: str) -> tuple[str, int]:
    if not cidr:
        return "", 0
    interface = ipaddress.ip_interface(cidr)
    return str(interface.ip), interface.network.prefixlen


def container_settings(
    record: ContainerRecord, networks: Mapping[str, NetworkRecord], sandbox_key: str = ""
) -> api.NetworkSettings:
    """``NetworkSettings`` of ``GET /containers/{id}/json`` for a container record."""
    entries: dict[str, api.EndpointSettings] = {}
    exposed: list[str] = list(record.exposed_ports)
    ports: list[PortRecord] = []
    default: api.EndpointSettings | None = None
    for attachment in record.attachments:
        network = networks.get(attachment.network_id)
        name = network.name if network is not None else attachment.network_name
        endpoint = record.endpoint(attachment.network_id)
        settings = api.EndpointSettings(
            ipam_config=api.EndpointIPAMConfig(
                ipv4_address=attachment.ipv4_address,
                ipv6_address=attachment.ipv6_address,
                link_local_ips=attachment.link_local_ips,
            )
            if attachment.ipv4_address or attachment.ipv6_address or attachment.link_local_ips
            else None,
            links=attachment.links,
            aliases=attachment.aliases,
            mac_address=attachment.mac_address,
            driver_opts=attachment.driver_opts,
            network_id=attachment.network_id,
        )
        if endpoint is not None:
            ip, prefix = _split(endpoint.ipv4)
            ip6, prefix6 = _split(endpoint.ipv6)
            settings.endpoint_id = endpoint.id
            settings.gateway = endpoint.gateway
            settings.ip_address = ip
            settings.ip_prefix_len = prefix
            settings.ipv6_gateway = endpoint.ipv6_gateway
            settings.global_ipv6_address = ip6
            settings.global_ipv6_prefix_len = prefix6
            settings.mac_address = endpoint.mac
            settings.dns_names = list(endpoint.dns_names) or None
            ports.extend(endpoint.ports)
        if network is not None and network.default:
            default = settings
        entries[name] = settings
    for request in record.ports:
        key = f"{request.port}/{request.proto}"
        if key not in exposed and f"{request.port}" not in exposed:
            exposed.append(key)
    result = api.NetworkSettings(
        sandbox_id=record.sandbox_id,
        sandbox_key=record.sandbox_key or sandbox_key,
        ports=port_map(exposed, ports, record.running),
        networks=entries,
    )
    if default is not None:
        result.endpoint_id = default.endpoint_id
        result.gateway = default.gateway
        result.ip_address = default.ip_address
        result.ip_prefix_len = default.ip_prefix_len
        result.ipv6_gateway = default.ipv6_gateway
        result.global_ipv6_address = default.global_ipv6_address
        result.global_ipv6_prefix_len = default.global_ipv6_prefix_len
        result.mac_address = default.mac_address
    return result
