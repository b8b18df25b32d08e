"""The system router: ``/_ping``, ``/version``, ``/info``, ``/events``, ``/system/df``, ``/auth``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence

from pymoby import api, errdefs

from ....events import EVENT_FILTERS, parse_timestamp
from ..._request import Request
from ..._response import Response, StreamingResponse, encode_headers, json_response
from ..._routing import Route, get, head, options, post
from ._backend import SystemBackend

__all__ = ["SystemRouter"]

_DF_KINDS = frozenset({"container", "image", "volume", "build-cache"})


class SystemRouter:
    """Routes of the system endpoints over a :class:`SystemBackend`."""

    def __init__(self, backend: SystemBackend, builder_version: str = "1") -> None:
        self.backend = backend
        # /_ping is the hottest path: its answer is made once, here.
        self._ping_headers = encode_headers(
            {
                "Builder-Version": builder_version,
                "Cache-Control": "no-cache, no-store, must-revalidate",
                "Pragma": "no-cache",
                "Swarm": "inactive",
            }
        )

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            options("/{anyroute:.*}", self.options_any),
            get("/_ping", self.get_ping),
            head("/_ping", self.head_ping),
            get("/version", self.get_version),
            get("/info", self.get_info),
            get("/events", self.get_events),
            get("/system/df", self.get_system_df),
            post("/auth", self.post_auth),
        )

    async def options_any(self, request: Request) -> Response:
        """CORS pre-flight: 200 for any path."""
        return Response(200)

    async def get_ping(self, request: Request) -> Response:
        """``OK``, with the headers clients negotiate from."""
        return Response(200, b"OK", "text/plain; charset=utf-8", self._ping_headers)

    async def head_ping(self, request: Request) -> Response:
        """The ping headers, no body."""
        return Response(200, b"", "text/plain; charset=utf-8", self._ping_headers)

    async def get_version(self, request: Request) -> Response:
        """The engine's version and its components'."""
        return json_response(await self.backend.system_version())

    async def get_info(self, request: Request) -> Response:
        """System-wide information."""
        return json_response(await self.backend.system_info())

    async def get_system_df(self, request: Request) -> Response:
        """Disk usage by object kind (``?type=`` selects, API 1.42+)."""
        kinds = frozenset(request.query.get_all("type"))
        unknown = kinds - _DF_KINDS
        if unknown:
            raise errdefs.InvalidParameter(f"unknown object type: {sorted(unknown)[0]}")
        return json_response(await self.backend.system_disk_usage(kinds))

    async def post_auth(self, request: Request) -> Response:
        """Check registry credentials."""
        config = await request.json(api.AuthConfig)
        return json_response(await self.backend.auth(config))

    async def get_events(self, request: Request) -> StreamingResponse:
        """Stream events: recorded ones of the window first, then live ones."""
        query = request.query
        filters = query.get_filters()
        filters.validate(EVENT_FILTERS)
        now = time.time_ns()
        since = parse_timestamp(query["since"], now) if query.get("since") else None
        until = parse_timestamp(query["until"], now) if query.get("until") else None
        if since is not None and until is not None and since > until:
            raise errdefs.InvalidParameter(
                f"since time ({query['since']}) cannot be after until time ({query['until']})"
            )
        backend = self.backend

        async def stream() -> AsyncIterator[bytes]:
            async with backend.subscribe_events(since, until, filters) as events:
                async for event in events:
                    yield api.encode(event) + b"\n"

        return StreamingResponse(stream())
