"""pymoby.daemon.network: Docker's single-host networking (libnetwork's bridge driver), in Python.

Bridges, veth pairs, addresses and routes through netlink (pyroute2); NAT,
forwarding and isolation through iptables in this daemon's own chains;
published ports through DNAT plus an in-daemon userland proxy; an embedded
DNS server (127.0.0.11) in every container on a user-defined network;
network namespaces bind-mounted under ``EXEC_ROOT/netns``.

The container lifecycle calls, on one :class:`NetworkController`:

- at create: ``await networks.create_container(ContainerNetworkSpec(...))``
  (validates, remembers; returns the ``NetworkSettings`` to show);
- at start, before the OCI spec: ``info = await networks.start_container(id)``
  -> :class:`SandboxInfo` (``netns_path`` for the spec's network namespace,
  ``None`` for the host's; ``hosts_path`` and ``resolv_conf_path`` to
  bind-mount; ``link_env``; ``settings``);
- at stop or exit: ``await networks.stop_container(id)``; at remove:
  ``await networks.remove_container(id)``; at rename:
  ``await networks.rename_container(id, name)``;
- for inspect and list: ``networks.container_settings(id)``;
- at daemon boot, once containers are restored:
  ``await networks.restore_containers(running=ids, known=ids)``.

The ``/networks`` router takes the controller as its backend.
"""

from ._config import DEFAULT_BRIDGE, NetworkConfig
from ._controller import NetworkController
from ._errors import (
    ActiveEndpoints,
    AddressInUse,
    InvalidNetworkConfig,
    NetworkConflict,
    NetworkNameTaken,
    NetworkSetupError,
    NoAvailableAddress,
    NoAvailablePool,
    NoSuchNetwork,
    NoSuchNetworkContainer,
    NotConnected,
    PoolOverlap,
    PortAllocationError,
    PredefinedNetwork,
    UnknownDriver,
)
from ._spec import ContainerNetworkSpec, SandboxInfo

__all__ = [
    "DEFAULT_BRIDGE",
    "ActiveEndpoints",
    "AddressInUse",
    "ContainerNetworkSpec",
    "InvalidNetworkConfig",
    "NetworkConfig",
    "NetworkConflict",
    "NetworkController",
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
    "SandboxInfo",
    "UnknownDriver",
]
