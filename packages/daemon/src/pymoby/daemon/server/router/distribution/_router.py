"""``GET /distribution/{name}/json``: what a registry has for a reference (digest, media type, platforms)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pymoby import api, errdefs
from pymoby.reference import InvalidReference, Reference, parse_any_reference
from pymoby.registry import Credentials

from ..._request import Request
from ..._response import Response, json_response
from ..._routing import Route, get
from ._credentials import registry_credentials

__all__ = ["DistributionBackend", "DistributionRouter"]


class DistributionBackend(Protocol):
    """What the distribution router needs."""

    async def distribution_inspect(self, ref: Reference, *, credentials: Credentials | None) -> api.DistributionInspect:
        """The registry's descriptor of the manifest and its platforms; the registry's errors."""
        ...


class DistributionRouter:
    """Routes of the distribution endpoint over a :class:`DistributionBackend`."""

    def __init__(self, backend: DistributionBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (get("/distribution/{name:.*}/json", self.get_distribution_info),)

    async def get_distribution_info(self, request: Request) -> Response:
        """The manifest descriptor and platforms of ``name`` (a tag or digest reference)."""
        name = request.vars["name"]
        try:
            ref = parse_any_reference(name)
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(str(exc)) from exc
        if not ref.is_named:
            raise errdefs.InvalidParameter("no manifest found for full image ID")
        return json_response(await self.backend.distribution_inspect(ref, credentials=registry_credentials(request)))
