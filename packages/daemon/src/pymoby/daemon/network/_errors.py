"""The network subsystem's errors, each one errdefs kind, in Docker's wording.

::

    NoSuchNetwork            NotFound          network web not found
    NoSuchNetworkContainer   NotFound          No such container: web
    NetworkNameTaken         Conflict          network with name web already exists
    PredefinedNetwork        Forbidden         bridge is a pre-defined network and cannot be ...
    ActiveEndpoints          Forbidden         error while removing network: network web id 1f.. has active endpoints
    PoolOverlap              Forbidden         Pool overlaps with other one on this address space
    AddressInUse             Forbidden         Address already in use
    NoAvailablePool          NotFound          could not find an available, non-overlapping IPv4 address pool ...
    NoAvailableAddress       Unavailable       no available addresses on this pool
    InvalidNetworkConfig     InvalidParameter  invalid network config / endpoint settings / options
    UnknownDriver            NotFound          plugin "overlay2" not found
    NetworkConflict          Forbidden         container cannot be disconnected from host network ...
    NotConnected             System            container 1f.. is not connected to network web (500, as Docker)
    PortAllocationError      System            driver failed programming external connectivity on endpoint ...
    NetworkSetupError        System            a kernel operation (netlink, iptables, namespaces) failed
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "ActiveEndpoints",
    "AddressInUse",
    "InvalidNetworkConfig",
    "NetworkConflict",
    "NetworkNameTaken",
    "NetworkSetupError",
    "NoAvailableAddress",
    "NoAvailablePool",
    "NoSuchNetwork",
    "NoSuchNetworkContainer",
    "NotConnected",
    "PoolOverlap",
    "PortAllocationError",
    "PredefinedNetwork",
    "UnknownDriver",
]


class NoSuchNetwork(errdefs.NotFound):
    """No network has this name, ID or ID prefix."""

    def __init__(self, name: str) -> None:
        super().__init__(f"network {name} not found")


class NoSuchNetworkContainer(errdefs.NotFound):
    """The network subsystem knows no container by this name or ID."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No such container: {name}")


class NetworkNameTaken(errdefs.Conflict):
    """A network with this name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"network with name {name} already exists")


class PredefinedNetwork(errdefs.Forbidden):
    """``bridge``, ``host`` and ``none`` cannot be created or removed."""


class ActiveEndpoints(errdefs.Forbidden):
    """The network still has containers attached."""

    def __init__(self, name: str, network_id: str) -> None:
        super().__init__(f"error while removing network: network {name} id {network_id} has active endpoints")


class PoolOverlap(errdefs.Forbidden):
    """A requested subnet overlaps one that is in use."""

    def __init__(self) -> None:
        super().__init__("Pool overlaps with other one on this address space")


class AddressInUse(errdefs.Forbidden):
    """A requested static address is taken."""

    def __init__(self) -> None:
        super().__init__("Address already in use")


class NoAvailablePool(errdefs.NotFound):
    """Every default address pool is used up (or collides with a route)."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"could not find an available, non-overlapping IPv{version} address pool among the defaults"
            " to assign to the network"
        )


class NoAvailableAddress(errdefs.Unavailable):
    """A subnet has no free address left."""

    def __init__(self) -> None:
        super().__init__("no available addresses on this pool")


class InvalidNetworkConfig(errdefs.InvalidParameter):
    """A network, endpoint or container network option is not valid."""


class UnknownDriver(errdefs.NotFound):
    """A network or IPAM driver that is not built in (plugins are not supported)."""

    def __init__(self, name: str) -> None:
        super().__init__(f'plugin "{name}" not found')


class NetworkConflict(errdefs.Forbidden):
    """The operation conflicts with how the container is networked (host, none, container:)."""


class NotConnected(errdefs.System):
    """The container has no endpoint on that network (Docker answers 500)."""


class PortAllocationError(errdefs.System):
    """A published port could not be bound (taken, or every ephemeral port is)."""


class NetworkSetupError(errdefs.System):
    """A kernel operation (netlink, iptables, namespaces) failed."""
