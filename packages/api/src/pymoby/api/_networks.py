"""Wire types of the ``/networks`` endpoints.

``GET /networks`` and ``GET /networks/{id}`` answer :class:`Network`;
``POST /networks/create`` takes a :class:`NetworkCreateRequest` and answers a
:class:`NetworkCreateResponse`; connect and disconnect take
:class:`NetworkConnectRequest` and :class:`NetworkDisconnectRequest`; prune
answers :class:`NetworkPruneResponse`. Field names are Docker's.
"""

from __future__ import annotations

import msgspec
from msgspec import field

from ._netsettings import EndpointSettings

__all__ = [
    "IPAM",
    "ConfigReference",
    "IPAMConfig",
    "Network",
    "NetworkConnectRequest",
    "NetworkContainer",
    "NetworkCreateRequest",
    "NetworkCreateResponse",
    "NetworkDisconnectRequest",
    "NetworkPruneResponse",
]


class IPAMConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """One subnet of a network: ``Subnet``, ``IPRange``, ``Gateway``, ``AuxiliaryAddresses``."""

    subnet: str = ""
    ip_range: str = field(default="", name="IPRange")
    gateway: str = ""
    aux_address: dict[str, str] | None = field(default=None, name="AuxiliaryAddresses")


class IPAM(msgspec.Struct, rename="pascal"):
    """A network's address management: the driver, its options, the subnets."""

    driver: str = "default"
    options: dict[str, str] | None = None
    config: list[IPAMConfig] | None = field(default_factory=list)


class ConfigReference(msgspec.Struct, rename="pascal"):
    """``ConfigFrom``: the config-only network a network takes its configuration from."""

    network: str = ""


class NetworkContainer(msgspec.Struct, rename="pascal"):
    """One entry of a network's ``Containers``: an attached container's endpoint."""

    name: str = ""
    endpoint_id: str = field(default="", name="EndpointID")
    mac_address: str = ""
    ipv4_address: str = field(default="", name="IPv4Address")
    ipv6_address: str = field(default="", name="IPv6Address")


class Network(msgspec.Struct, rename="pascal"):
    """A network as list and inspect show it (Docker's ``NetworkResource``)."""

    name: str = ""
    id: str = field(default="", name="Id")
    created: str = ""
    scope: str = "local"
    driver: str = ""
    enable_ipv6: bool = field(default=False, name="EnableIPv6")
    ipam: IPAM = field(default_factory=IPAM, name="IPAM")
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    config_from: ConfigReference = field(default_factory=ConfigReference)
    config_only: bool = False
    containers: dict[str, NetworkContainer] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


class NetworkCreateRequest(msgspec.Struct, rename="pascal"):
    """The body of ``POST /networks/create``."""

    name: str = ""
    check_duplicate: bool = False
    driver: str = ""
    scope: str = ""
    enable_ipv6: bool | None = field(default=None, name="EnableIPv6")
    ipam: IPAM | None = field(default=None, name="IPAM")
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    config_only: bool = False
    config_from: ConfigReference | None = None
    options: dict[str, str] | None = None
    labels: dict[str, str] | None = None


class NetworkCreateResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /networks/create``: the new network's ID and a warning, if any."""

    id: str = field(default="", name="Id")
    warning: str = ""


class NetworkConnectRequest(msgspec.Struct, rename="pascal"):
    """The body of ``POST /networks/{id}/connect``."""

    container: str = ""
    endpoint_config: EndpointSettings | None = None


class NetworkDisconnectRequest(msgspec.Struct, rename="pascal"):
    """The body of ``POST /networks/{id}/disconnect``."""

    container: str = ""
    force: bool = False


class NetworkPruneResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /networks/prune``."""

    networks_deleted: list[str] | None = None
