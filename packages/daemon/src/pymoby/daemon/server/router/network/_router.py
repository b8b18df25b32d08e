"""The network router: ``/networks`` list, inspect, create, connect, disconnect, remove, prune."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pymoby import api, errdefs

from ..._request import Request
from ..._response import Response, json_response
from ..._routing import Route, delete, get, post
from ._backend import NetworkBackend

__all__ = ["NetworkRouter"]

T = TypeVar("T")


async def _body(request: Request, kind: type[T]) -> T:
    """The JSON body, read as Go does: ``null`` members keep their defaults (docker-py sends them)."""
    data = await request.body.read_all()
    if not data.strip():
        raise errdefs.InvalidParameter("invalid JSON: got EOF while reading request body")
    return api.decode_lenient(data, kind)


class NetworkRouter:
    """Routes of the network endpoints over a :class:`NetworkBackend`."""

    def __init__(self, backend: NetworkBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table (moby's network router's)."""
        return (
            get("/networks", self.get_networks),
            get("/networks/", self.get_networks),
            post("/networks/create", self.post_networks_create),
            post("/networks/prune", self.post_networks_prune),
            get("/networks/{id:.+}", self.get_network),
            post("/networks/{id:.*}/connect", self.post_network_connect),
            post("/networks/{id:.*}/disconnect", self.post_network_disconnect),
            delete("/networks/{id:.*}", self.delete_network),
        )

    async def get_networks(self, request: Request) -> Response:
        """List networks (with their containers for API < 1.28, as Docker)."""
        filters = request.query.get_filters()
        detailed = api.versions_compare(request.api_version, "1.28") < 0
        return json_response(self.backend.list_networks(filters, detailed=detailed))

    async def get_network(self, request: Request) -> Response:
        """Inspect one network."""
        verbose = request.query.get("verbose", "")
        if verbose and verbose.lower() not in ("0", "1", "t", "f", "true", "false"):
            raise errdefs.InvalidParameter(f"invalid value for verbose: {verbose}")
        scope = request.query.get("scope", "")
        return json_response(self.backend.inspect_network(request.vars["id"], scope=scope))

    async def post_networks_create(self, request: Request) -> Response:
        """Create a network: 201 and its ID."""
        body = await _body(request, api.NetworkCreateRequest)
        return json_response(await self.backend.create_network(body), status=201)

    async def post_network_connect(self, request: Request) -> Response:
        """Connect a container."""
        body = await _body(request, api.NetworkConnectRequest)
        await self.backend.connect(request.vars["id"], body.container, body.endpoint_config)
        return Response(200)

    async def post_network_disconnect(self, request: Request) -> Response:
        """Disconnect a container."""
        body = await _body(request, api.NetworkDisconnectRequest)
        await self.backend.disconnect(request.vars["id"], body.container, body.force)
        return Response(200)

    async def delete_network(self, request: Request) -> Response:
        """Remove a network: 204."""
        await self.backend.remove_network(request.vars["id"])
        return Response(204)

    async def post_networks_prune(self, request: Request) -> Response:
        """Remove unused networks."""
        return json_response(await self.backend.prune_networks(request.query.get_filters()))
