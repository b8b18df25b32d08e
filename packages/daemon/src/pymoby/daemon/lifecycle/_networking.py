"""The ``/networks`` backend: the network subsystem, with containers named as the container store knows them.

Listing, inspecting, creating, removing and pruning networks go straight to
the :class:`~pymoby.daemon.network.NetworkController`. ``connect`` and
``disconnect`` first find the container in the container store (by ID,
name or prefix, with Docker's ``No such container`` error), then record
the container's new ``NetworkSettings`` (moby ``daemon/container_operations.go``).
"""

from __future__ import annotations

from pymoby import api, errdefs

from ._archive import ArchiveMixin

__all__ = ["NetworkingMixin"]


class NetworkingMixin(ArchiveMixin):
    """The network router's backend."""

    def list_networks(self, filters: api.Filters, *, detailed: bool = False) -> list[api.Network]:
        """``GET /networks``."""
        return self.networks.list_networks(filters, detailed=detailed)

    def inspect_network(self, term: str, *, scope: str = "") -> api.Network:
        """``GET /networks/{id}``; ``NotFound`` (``network x not found``)."""
        return self.networks.inspect_network(term, scope=scope)

    async def create_network(self, request: api.NetworkCreateRequest) -> api.NetworkCreateResponse:
        """``POST /networks/create``."""
        return await self.networks.create_network(request)

    async def remove_network(self, term: str) -> None:
        """``DELETE /networks/{id}``; ``Forbidden`` while containers use it."""
        await self.networks.remove_network(term)

    async def prune_networks(self, filters: api.Filters) -> api.NetworkPruneResponse:
        """``POST /networks/prune``."""
        return await self.networks.prune_networks(filters)

    async def connect(self, network_term: str, container: str, settings: api.EndpointSettings | None) -> None:
        """``POST /networks/{id}/connect``: at once when the container runs, at its next start otherwise.

        Raises ``No such container`` (404), the network subsystem's errors.
        """
        found = self.get(container)
        if found.state.removal_in_progress or found.state.dead:
            raise errdefs.Conflict(f"container {found.id} is marked for removal and cannot be connected")
        await self.networks.connect(network_term, found.id, settings)
        found.network_settings = self.network_settings(found)
        await self.checkpoint(found)

    async def disconnect(self, network_term: str, container: str, force: bool = False) -> None:
        """``POST /networks/{id}/disconnect``; with ``force``, also for a container that is gone."""
        found = self.store.find(container) if force else self.get(container)
        if found is None:
            await self.networks.disconnect(network_term, container, force)
            return
        await self.networks.disconnect(network_term, found.id, force)
        found.network_settings = self.network_settings(found)
        await self.checkpoint(found)
