"""Exec endpoints (moby ``router/container/exec.go``): create, start (attached or detached), resize, inspect."""

from __future__ import annotations

from collections.abc import Sequence

import anyio.abc

from pymoby import api, errdefs

from ..._request import Request
from ..._response import MULTIPLEXED_STREAM, RAW_STREAM, AnyResponse, HijackResponse, Response, json_response
from ..._routing import Route, get, post
from ..container._backend import ExecBackend

__all__ = ["ExecRouter"]


def _int_query(request: Request, name: str) -> int:
    value = request.query.get(name, "")
    try:
        return int(value)
    except ValueError:
        raise errdefs.InvalidParameter(f'strconv.Atoi: parsing "{value}": invalid syntax') from None


class ExecRouter:
    """Routes of the exec endpoints over an :class:`ExecBackend`."""

    def __init__(self, backend: ExecBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            post("/containers/{name:.*}/exec", self.post_container_exec_create),
            post("/exec/{name:.*}/start", self.post_container_exec_start, hijack=True),
            post("/exec/{name:.*}/resize", self.post_container_exec_resize),
            get("/exec/{name:.*}/json", self.get_exec_by_id),
        )

    async def post_container_exec_create(self, request: Request) -> Response:
        """Create an exec instance (201)."""
        data = await request.body.read_all()
        if not data.strip():
            raise errdefs.InvalidParameter("invalid JSON: got EOF while reading request body")
        config = api.decode_lenient(data, api.ExecConfig)
        return json_response(self.backend.create_exec(request.vars["name"], config), 201)

    async def post_container_exec_start(self, request: Request) -> AnyResponse:
        """Start an exec: detached (200, no body) or on the hijacked connection."""
        data = await request.body.read_all()
        check = api.decode_lenient(data or b"{}", api.ExecStartConfig)
        process = self.backend.check_exec_start(request.vars["name"])
        console = check.console_size if check.tty and api.versions_compare(request.api_version, "1.42") >= 0 else None
        if check.detach:
            await self.backend.start_exec(process, console)
            return Response(200)
        content = RAW_STREAM
        if request.upgrade and not process.tty and api.versions_compare(request.api_version, "1.42") >= 0:
            content = MULTIPLEXED_STREAM

        async def run(connection: anyio.abc.ByteStream) -> None:
            await self.backend.run_exec_attached(process, connection, console)

        return HijackResponse(run, content)

    async def post_container_exec_resize(self, request: Request) -> Response:
        """Resize the exec's TTY."""
        await self.backend.resize_exec(request.vars["name"], _int_query(request, "h"), _int_query(request, "w"))
        return Response(200)

    async def get_exec_by_id(self, request: Request) -> Response:
        """Inspect an exec instance."""
        return json_response(self.backend.inspect_exec(request.vars["name"]))
