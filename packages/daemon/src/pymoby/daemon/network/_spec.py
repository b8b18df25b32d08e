"""What the container lifecycle hands the network subsystem, and what it gets back.

:class:`ContainerNetworkSpec` is built at ``create`` from the container's
``Config``, ``HostConfig`` and ``NetworkingConfig``; :class:`SandboxInfo` is
what ``start`` returns: the namespace to put in the OCI spec, the files to
bind-mount on ``/etc/hosts`` and ``/etc/resolv.conf``, the environment of
legacy links and the ``NetworkSettings`` for inspect. The checks Docker makes
at create time (``validate_*``) are pure functions here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pymoby import api

from ._errors import InvalidNetworkConfig, NetworkConflict

__all__ = [
    "PREDEFINED",
    "ContainerNetworkSpec",
    "SandboxInfo",
    "network_mode_target",
    "normal_mac",
    "parse_extra_host",
    "validate_endpoint_settings",
    "validate_network_mode",
]

#: Names that are not user-defined networks (``runconfig.IsPreDefinedNetwork``).
PREDEFINED = frozenset({"bridge", "host", "none", "default"})

ERR_SHARED = (
    "container sharing network namespace with another container or host cannot be connected to any other network"
)
ERR_HOST = "container cannot be disconnected from host network or connected to host network"
ERR_NONE = "container cannot be connected to multiple networks with one of the networks in private (none) mode"
ERR_IP = "user specified IP address is supported on user defined networks only"
ERR_ALIAS = "network-scoped alias is supported only for containers in user defined networks"


@dataclass(frozen=True, slots=True)
class ContainerNetworkSpec:
    """A container's networking wishes, as the container lifecycle knows them at create.

    ``network_mode`` is ``HostConfig.NetworkMode`` (``default``, ``bridge``,
    ``host``, ``none``, ``container:<name|id>`` or a network's name or ID);
    ``endpoints`` is ``NetworkingConfig.EndpointsConfig``; ``port_bindings``
    is ``HostConfig.PortBindings``; ``exposed_ports`` the keys of
    ``Config.ExposedPorts``; ``links`` is ``HostConfig.Links``
    (``name:alias``); ``extra_hosts`` is ``HostConfig.ExtraHosts``
    (``name:ip``, ``host-gateway`` allowed). ``files_dir`` is where the
    hosts and resolv.conf files are written (the container's directory).
    """

    id: str
    name: str
    network_mode: str = "default"
    hostname: str = ""
    domainname: str = ""
    endpoints: Mapping[str, api.EndpointSettings | None] = field(default_factory=dict)
    port_bindings: Mapping[str, Sequence[api.PortBinding] | None] | None = None
    publish_all_ports: bool = False
    exposed_ports: Sequence[str] = ()
    dns: Sequence[str] = ()
    dns_search: Sequence[str] = ()
    dns_options: Sequence[str] = ()
    extra_hosts: Sequence[str] = ()
    links: Sequence[str] = ()
    mac_address: str = ""
    files_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class SandboxInfo:
    """What a started container needs from the network subsystem.

    ``netns_path`` is the network namespace to join (``None``: the host's,
    for ``--network host``); ``hosts_path`` and ``resolv_conf_path`` are
    bind-mounted on ``/etc/hosts`` and ``/etc/resolv.conf``; ``link_env`` is
    added to the container's environment (``--link``).
    """

    netns_path: Path | None
    hosts_path: Path
    resolv_conf_path: Path
    settings: api.NetworkSettings
    link_env: tuple[str, ...] = ()


def network_mode_target(mode: str) -> str:
    """The network a ``NetworkMode`` names: ``default`` and ``""`` are ``bridge``."""
    return "bridge" if mode in ("", "default") else mode


def validate_network_mode(spec: ContainerNetworkSpec) -> None:
    """Docker's create-time checks of a network mode against the other options.

    Raises :class:`InvalidNetworkConfig` (400) in Docker's words.
    """
    mode = network_mode_target(spec.network_mode)
    if mode.startswith("container:"):
        if not mode.removeprefix("container:"):
            raise InvalidNetworkConfig("Invalid network mode: invalid container format container:<name|id>")
        checks = [
            (bool(spec.links), "conflicting options: container type network can't be used with links. "
             "This would result in undefined behavior"),
            (bool(spec.dns), "conflicting options: dns and the network mode"),
            (bool(spec.extra_hosts), "conflicting options: custom host-to-IP mapping and the network mode"),
            (bool(spec.port_bindings) or spec.publish_all_ports,
             "conflicting options: port publishing and the container type network mode"),
            (bool(spec.exposed_ports), "conflicting options: port exposing and the container type network mode"),
            (bool(spec.mac_address), "conflicting options: mac-address and the network mode"),
        ]  # fmt: skip
        for failed, message in checks:
            if failed:
                raise InvalidNetworkConfig(message)
    if mode == "host" and spec.links:
        raise InvalidNetworkConfig(
            "conflicting options: host type networking can't be used with links. "
            "This would result in undefined behavior"
        )
    others = [name for name in spec.endpoints if name != mode]
    if others and (mode in ("host", "none") or mode.startswith("container:")):
        raise NetworkConflict(ERR_NONE if mode == "none" else ERR_SHARED)
    for extra in spec.extra_hosts:
        parse_extra_host(extra)
    for link in spec.links:
        target, _, _alias = link.partition(":")
        if not target.strip("/"):
            raise InvalidNetworkConfig(f"invalid link: {link!r}")


def validate_endpoint_settings(user_defined: bool, settings: api.EndpointSettings | None) -> None:
    """The static checks of one endpoint's settings (``validateEndpointSettings``).

    Raises :class:`InvalidNetworkConfig` with Docker's ``invalid endpoint settings:`` list.
    """
    if settings is None:
        return
    ipam = settings.ipam_config or api.EndpointIPAMConfig()
    errors: list[str] = []
    if not user_defined:
        if ipam.ipv4_address or ipam.ipv6_address:
            errors.append(ERR_IP)
        if settings.aliases:
            errors.append(ERR_ALIAS)
    if ipam.ipv4_address:
        try:
            v4 = ipaddress.ip_address(ipam.ipv4_address)
            if v4.version != 4 or v4.is_unspecified:
                raise ValueError
        except ValueError:
            errors.append(f"invalid IPv4 address: {ipam.ipv4_address}")
    if ipam.ipv6_address:
        try:
            v6 = ipaddress.ip_address(ipam.ipv6_address)
            if v6.version != 6 or v6.is_unspecified:
                raise ValueError
        except ValueError:
            errors.append(f"invalid IPv6 address: {ipam.ipv6_address}")
    for address in ipam.link_local_ips or []:
        try:
            if ipaddress.ip_address(address).is_unspecified:
                raise ValueError
        except ValueError:
            errors.append(f"invalid link-local IP address: {address}")
    if settings.mac_address and not _valid_mac(settings.mac_address):
        raise InvalidNetworkConfig(f"invalid MAC address {settings.mac_address}")
    if errors:
        raise InvalidNetworkConfig("invalid endpoint settings:\n" + "\n".join(errors))


def parse_extra_host(entry: str) -> tuple[str, str]:
    """``name:ip`` or ``name=ip`` (``host-gateway`` as the IP) -> (name, ip); raises :class:`InvalidNetworkConfig`."""
    separator = "=" if "=" in entry else ":"
    name, sep, address = entry.partition(separator)
    address = address.strip()
    if not sep or not name.strip() or not address:
        raise InvalidNetworkConfig(f"bad format for add-host: {entry!r}")
    if address != "host-gateway":
        try:
            address = str(ipaddress.ip_address(address.strip("[]")))
        except ValueError:
            raise InvalidNetworkConfig(f"invalid IP address in add-host: {address!r}") from None
    return name.strip(), address


def _valid_mac(mac: str) -> bool:
    parts = mac.replace("-", ":").split(":")
    return len(parts) == 6 and all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts)


def normal_mac(mac: str) -> str:
    """A MAC address in lower-case colon form."""
    return mac.replace("-", ":").lower()
