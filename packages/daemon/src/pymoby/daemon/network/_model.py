"""What the network subsystem persists: networks, and each container's attachments and sandbox.

A :class:`NetworkRecord` is written before its bridge is created and removed
after it is deleted; a :class:`ContainerRecord` names the namespace, veth
devices, addresses and ports of a running container before they exist in the
kernel. So after a crash the records name everything that may be left
behind, and the address allocations are rebuilt from them.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AttachmentRecord",
    "ContainerRecord",
    "EndpointRecord",
    "NetworkRecord",
    "PortRecord",
    "PortRequest",
    "SubnetRecord",
]

#: ``Options`` keys of the bridge driver.
OPT_BRIDGE_NAME = "com.docker.network.bridge.name"
OPT_DEFAULT_BRIDGE = "com.docker.network.bridge.default_bridge"
OPT_ICC = "com.docker.network.bridge.enable_icc"
OPT_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"
OPT_HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
OPT_MTU = "com.docker.network.driver.mtu"
OPT_IFACE_PREFIX = "com.docker.network.container_iface_prefix"
OPT_INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4"


class SubnetRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One subnet of a network; ``user`` when the user chose it (shown as given in inspect)."""

    subnet: str
    gateway: str = ""
    ip_range: str = ""
    aux_addresses: dict[str, str] = msgspec.field(default_factory=dict)
    user: bool = False


class NetworkRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A network: ``bridge`` (the default one or user-defined), ``host`` or ``null``."""

    id: str
    name: str
    driver: str
    created: str
    enable_ipv6: bool = False
    internal: bool = False
    attachable: bool = False
    config_only: bool = False
    config_from: str = ""
    ipam_driver: str = "default"
    ipam_options: dict[str, str] | None = None
    subnets: list[SubnetRecord] = msgspec.field(default_factory=list)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    #: The bridge device (bridge driver only).
    device: str = ""
    default: bool = False

    def option(self, key: str, default: str) -> str:
        """A driver option, ``default`` when unset."""
        return self.options.get(key, default)

    @property
    def icc(self) -> bool:
        """Whether containers of this network may talk to each other."""
        return self.option(OPT_ICC, "true").lower() in ("1", "true")

    @property
    def masquerade(self) -> bool:
        """Whether outbound traffic is masqueraded."""
        return self.option(OPT_MASQUERADE, "true").lower() in ("1", "true")

    @property
    def mtu(self) -> int:
        """The MTU of the bridge and the containers' interfaces (0: the daemon's)."""
        try:
            return int(self.option(OPT_MTU, "0"))
        except ValueError:
            return 0

    @property
    def predefined(self) -> bool:
        """Whether this is ``bridge``, ``host`` or ``none``."""
        return self.default or (self.driver in ("host", "null") and not self.config_only)


class PortRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One published port asked for: ``-p [host_ip:][host_port[-end]:]port[/proto]`` or ``-P``."""

    port: int
    proto: str = "tcp"
    host_ip: str = ""
    host_port: int = 0
    host_port_end: int = 0


class PortRecord(msgspec.Struct, kw_only=True):
    """One published port as bound: host address and port -> the container's port."""

    proto: str
    port: int
    host_ip: str
    host_port: int


class EndpointRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A container's interface on one network, as set up in the kernel."""

    id: str
    network_id: str
    ifname: str
    veth: str
    mac: str
    ipv4: str = ""
    ipv6: str = ""
    gateway: str = ""
    ipv6_gateway: str = ""
    dns_names: list[str] = msgspec.field(default_factory=list)
    ports: list[PortRecord] = msgspec.field(default_factory=list)


class AttachmentRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A container's configured connection to one network (what ``NetworkSettings.Networks`` keeps)."""

    network_id: str
    network_name: str
    aliases: list[str] | None = None
    links: list[str] | None = None
    ipv4_address: str = ""
    ipv6_address: str = ""
    link_local_ips: list[str] | None = None
    mac_address: str = ""
    driver_opts: dict[str, str] | None = None


class ContainerRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything the subsystem knows about one container: its wishes and, while running, its sandbox."""

    id: str
    name: str
    network_mode: str
    hostname: str = ""
    domainname: str = ""
    attachments: list[AttachmentRecord] = msgspec.field(default_factory=list)
    ports: list[PortRequest] = msgspec.field(default_factory=list)
    exposed_ports: list[str] = msgspec.field(default_factory=list)
    dns: list[str] = msgspec.field(default_factory=list)
    dns_search: list[str] = msgspec.field(default_factory=list)
    dns_options: list[str] = msgspec.field(default_factory=list)
    extra_hosts: list[str] = msgspec.field(default_factory=list)
    links: list[str] = msgspec.field(default_factory=list)
    files_dir: str = ""
    # -- while running ---------------------------------------------------------
    sandbox_id: str = ""
    sandbox_key: str = ""
    #: The container whose namespace this one shares (``--network container:``).
    joined: str = ""
    endpoints: list[EndpointRecord] = msgspec.field(default_factory=list)
    hosts_path: str = ""
    resolv_conf_path: str = ""

    @property
    def running(self) -> bool:
        """Whether a sandbox is set up for it."""
        return bool(self.sandbox_id)

    def attachment(self, network_id: str) -> AttachmentRecord | None:
        """Its configured connection to ``network_id``."""
        return next((a for a in self.attachments if a.network_id == network_id), None)

    def endpoint(self, network_id: str) -> EndpointRecord | None:
        """Its live endpoint on ``network_id``."""
        return next((e for e in self.endpoints if e.network_id == network_id), None)
