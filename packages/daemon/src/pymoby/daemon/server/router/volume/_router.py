"""The volume router: ``/volumes`` (list, inspect, create, update, remove, prune)."""

from __future__ import annotations

from collections.abc import Sequence

from pymoby import api, errdefs

from ..._request import Request
from ..._response import Response, json_response
from ..._routing import Route, delete, get, post, put
from ._backend import VolumeBackend

__all__ = ["VolumeRouter"]


class VolumeRouter:
    """Routes of the volume endpoints over a :class:`VolumeBackend`."""

    def __init__(self, backend: VolumeBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            get("/volumes", self.get_volumes_list),
            get("/volumes/{name:.*}", self.get_volumes_by_name),
            post("/volumes/create", self.post_volumes_create),
            post("/volumes/prune", self.post_volumes_prune),
            put("/volumes/{name:.*}", self.put_volumes_update),
            delete("/volumes/{name:.*}", self.delete_volumes),
        )

    async def get_volumes_list(self, request: Request) -> Response:
        """List volumes (``filters``: dangling, driver, label, name)."""
        volumes, warnings = await self.backend.list(request.query.get_filters())
        return json_response(api.VolumeListResponse(volumes=volumes, warnings=warnings or None))

    async def get_volumes_by_name(self, request: Request) -> Response:
        """Inspect one volume."""
        return json_response(await self.backend.inspect(request.vars["name"]))

    async def post_volumes_create(self, request: Request) -> Response:
        """Create a volume (201)."""
        data = await request.body.read_all()
        if not data.strip():
            raise errdefs.InvalidParameter("invalid JSON: request body is empty")
        body = api.decode_lenient(data, api.VolumeCreateRequest)
        volume = await self.backend.create(body.name, body.driver, options=body.driver_opts, labels=body.labels)
        return json_response(volume, 201)

    async def put_volumes_update(self, request: Request) -> Response:
        """Update a cluster volume: there is no swarm here."""
        raise errdefs.Unavailable("volume update only valid for cluster volumes, but swarm is unavailable")

    async def delete_volumes(self, request: Request) -> Response:
        """Remove a volume (204); ``force`` makes a missing one no error."""
        await self.backend.remove(request.vars["name"], force=request.query.get_bool("force"))
        return Response(204)

    async def post_volumes_prune(self, request: Request) -> Response:
        """Remove unused volumes: anonymous ones (all of them before API 1.42, or with ``all=true``)."""
        filters = request.query.get_filters()
        if api.versions_compare(request.api_version, "1.42") < 0:
            filters = api.Filters({**{k: v for k, v in filters.items()}, "all": {"true"}})
        return json_response(await self.backend.prune(filters))
