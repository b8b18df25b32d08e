"""What the network router needs from the daemon: small Protocols, one per concern."""

from __future__ import annotations

from typing import Protocol

from pymoby import api

__all__ = [
    "NetworkBackend",
    "NetworkConnectBackend",
    "NetworkCreateBackend",
    "NetworkInspectBackend",
    "NetworkListBackend",
    "NetworkPruneBackend",
    "NetworkRemoveBackend",
]


class NetworkListBackend(Protocol):
    """Serves ``GET /networks``."""

    def list_networks(self, filters: api.Filters, *, detailed: bool = False) -> list[api.Network]:
        """The networks passing ``filters``; with their containers when ``detailed`` (API < 1.28)."""
        ...


class NetworkInspectBackend(Protocol):
    """Serves ``GET /networks/{id}``."""

    def inspect_network(self, term: str, *, scope: str = "") -> api.Network:
        """One network by ID, name or ID prefix; ``NotFound`` when none, ``InvalidParameter`` when ambiguous."""
        ...


class NetworkCreateBackend(Protocol):
    """Serves ``POST /networks/create``."""

    async def create_network(self, request: api.NetworkCreateRequest) -> api.NetworkCreateResponse:
        """Create a network; Docker's errors for a bad or conflicting request."""
        ...


class NetworkRemoveBackend(Protocol):
    """Serves ``DELETE /networks/{id}``."""

    async def remove_network(self, term: str) -> None:
        """Remove a network; ``Forbidden`` for a predefined or used one."""
        ...


class NetworkPruneBackend(Protocol):
    """Serves ``POST /networks/prune``."""

    async def prune_networks(self, filters: api.Filters) -> api.NetworkPruneResponse:
        """Remove the unused user-defined networks passing ``filters``."""
        ...


class NetworkConnectBackend(Protocol):
    """Serves ``POST /networks/{id}/connect`` and ``/disconnect``."""

    async def connect(self, network_term: str, container: str, settings: api.EndpointSettings | None) -> None:
        """Attach a container to a network."""
        ...

    async def disconnect(self, network_term: str, container: str, force: bool = False) -> None:
        """Detach a container from a network."""
        ...


class NetworkBackend(
    NetworkListBackend,
    NetworkInspectBackend,
    NetworkCreateBackend,
    NetworkRemoveBackend,
    NetworkPruneBackend,
    NetworkConnectBackend,
    Protocol,
):
    """Everything the network router uses (``pymoby.daemon.network.NetworkController`` implements it)."""
