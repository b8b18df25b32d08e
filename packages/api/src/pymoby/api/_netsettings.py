"""Wire types of a container's network settings (``NetworkingConfig``, ``NetworkSettings``).

What ``POST /containers/create`` takes in ``NetworkingConfig`` and what
inspect and list show in ``NetworkSettings``, with Docker's field names and
its ``null``/empty conventions (Go's nil lists and maps are ``None``).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType, field

__all__ = [
    "EndpointIPAMConfig",
    "EndpointSettings",
    "NetworkSettings",
    "NetworkingConfig",
    "SummaryNetworkSettings",
]


class EndpointIPAMConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """Static addresses asked for an endpoint (``--ip``, ``--ip6``, ``--link-local-ip``)."""

    ipv4_address: str = field(default="", name="IPv4Address")
    ipv6_address: str = field(default="", name="IPv6Address")
    link_local_ips: list[str] | None = field(default=None, name="LinkLocalIPs")


class EndpointSettings(msgspec.Struct, rename="pascal"):
    """A container's endpoint on one network (Docker's ``network.EndpointSettings``)."""

    ipam_config: EndpointIPAMConfig | None = field(default=None, name="IPAMConfig")
    links: list[str] | None = None
    aliases: list[str] | None = None
    mac_address: str = ""
    driver_opts: dict[str, str] | None = None
    network_id: str = field(default="", name="NetworkID")
    endpoint_id: str = field(default="", name="EndpointID")
    gateway: str = ""
    ip_address: str = field(default="", name="IPAddress")
    ip_prefix_len: int = field(default=0, name="IPPrefixLen")
    ipv6_gateway: str = field(default="", name="IPv6Gateway")
    global_ipv6_address: str = field(default="", name="GlobalIPv6Address")
    global_ipv6_prefix_len: int = field(default=0, name="GlobalIPv6PrefixLen")
    dns_names: list[str] | None = field(default=None, name="DNSNames")


class NetworkingConfig(msgspec.Struct, rename="pascal"):
    """``NetworkingConfig`` of a create request: the endpoint settings per network name."""

    endpoints_config: dict[str, EndpointSettings | None] | None = None


class NetworkSettings(msgspec.Struct, rename="pascal"):
    """``NetworkSettings`` of ``GET /containers/{id}/json``."""

    bridge: str = ""
    sandbox_id: str = field(default="", name="SandboxID")
    sandbox_key: str = ""
    ports: dict[str, list[dict[str, str]] | None] | None = field(default_factory=dict)
    hairpin_mode: bool = False
    link_local_ipv6_address: str = field(default="", name="LinkLocalIPv6Address")
    link_local_ipv6_prefix_len: int = field(default=0, name="LinkLocalIPv6PrefixLen")
    secondary_ip_addresses: list[dict[str, object]] | None = field(default=None, name="SecondaryIPAddresses")
    secondary_ipv6_addresses: list[dict[str, object]] | None = field(default=None, name="SecondaryIPv6Addresses")
    endpoint_id: str = field(default="", name="EndpointID")
    gateway: str = ""
    global_ipv6_address: str = field(default="", name="GlobalIPv6Address")
    global_ipv6_prefix_len: int = field(default=0, name="GlobalIPv6PrefixLen")
    ip_address: str = field(default="", name="IPAddress")
    ip_prefix_len: int = field(default=0, name="IPPrefixLen")
    ipv6_gateway: str = field(default="", name="IPv6Gateway")
    mac_address: str = ""
    networks: dict[str, EndpointSettings] | None = None


class SummaryNetworkSettings(msgspec.Struct, rename="pascal"):
    """``NetworkSettings`` of an entry of ``GET /containers/json``: the networks only."""

    networks: dict[str, EndpointSettings] | UnsetType | None = UNSET
