"""The container router: every ``/containers`` endpoint of Engine API v1.45 (moby ``router/container``).

Handlers parse the query and body, call the backend, encode the answer;
status codes come from the errdefs kinds (``httpstatus``), except the
successes Docker answers with 201 or 204.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import anyio.abc

from pymoby import api, errdefs

from ....container import WaitCondition
from ....lifecycle import AttachOptions, wait_response
from ....logger import LogsOptions
from ..._request import Request
from ..._response import (
    JSON,
    MULTIPLEXED_STREAM,
    RAW_STREAM,
    AnyResponse,
    HijackResponse,
    Response,
    StreamingResponse,
    json_response,
)
from ..._routing import Route, delete, get, post
from ..._websocket import BadHandshake, websocket_accept, websocket_response
from ._backend import ContainerBackend

__all__ = ["ContainerRouter"]

_NO_CONTENT = Response(204)


def _int_query(request: Request, name: str) -> int:
    value = request.query.get(name, "")
    try:
        return int(value)
    except ValueError:
        raise errdefs.InvalidParameter(f'strconv.Atoi: parsing "{value}": invalid syntax') from None


def _at_least(request: Request, version: str) -> bool:
    return api.versions_compare(request.api_version, version) >= 0


class ContainerRouter:
    """Routes of the container endpoints over a :class:`ContainerBackend`."""

    def __init__(self, backend: ContainerBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            get("/containers/json", self.get_containers_json),
            post("/containers/create", self.post_containers_create),
            post("/containers/prune", self.post_containers_prune),
            get("/containers/{name:.*}/json", self.get_containers_by_name),
            get("/containers/{name:.*}/top", self.get_containers_top),
            get("/containers/{name:.*}/logs", self.get_containers_logs),
            get("/containers/{name:.*}/changes", self.get_containers_changes),
            get("/containers/{name:.*}/export", self.get_containers_export),
            get("/containers/{name:.*}/stats", self.get_containers_stats),
            post("/containers/{name:.*}/resize", self.post_containers_resize),
            post("/containers/{name:.*}/start", self.post_containers_start),
            post("/containers/{name:.*}/stop", self.post_containers_stop),
            post("/containers/{name:.*}/restart", self.post_containers_restart),
            post("/containers/{name:.*}/kill", self.post_containers_kill),
            post("/containers/{name:.*}/update", self.post_containers_update),
            post("/containers/{name:.*}/rename", self.post_containers_rename),
            post("/containers/{name:.*}/pause", self.post_containers_pause),
            post("/containers/{name:.*}/unpause", self.post_containers_unpause),
            post("/containers/{name:.*}/attach", self.post_containers_attach, hijack=True),
            get("/containers/{name:.*}/attach/ws", self.get_containers_attach_ws, hijack=True),
            post("/containers/{name:.*}/wait", self.post_containers_wait),
            delete("/containers/{name:.*}", self.delete_containers),
        )

    # -- reading -------------------------------------------------------------------------
    async def get_containers_json(self, request: Request) -> Response:
        """List containers."""
        query = request.query
        limit = _int_query(request, "limit") if query.get("limit") else 0
        filters = query.get_filters()
        extra = {k: {query[k]} for k in ("since", "before") if query.get(k)}
        if extra:
            filters = api.Filters({**{k: v for k, v in filters.items()}, **extra})
        containers = await self.backend.list_containers(
            filters, all=query.get_bool("all"), limit=limit, size=query.get_bool("size")
        )
        return json_response(containers)

    async def get_containers_by_name(self, request: Request) -> Response:
        """Inspect a container."""
        return json_response(await self.backend.inspect(request.vars["name"], size=request.query.get_bool("size")))

    async def get_containers_top(self, request: Request) -> Response:
        """The container's processes."""
        return json_response(await self.backend.top(request.vars["name"], request.query.get("ps_args", "")))

    async def get_containers_changes(self, request: Request) -> Response:
        """What changed in the container's file system."""
        changes = await self.backend.changes(request.vars["name"])
        return json_response(changes or None)

    async def get_containers_export(self, request: Request) -> StreamingResponse:
        """A tar of the container's file system."""
        chunks = await self.backend.export(request.vars["name"])
        return StreamingResponse(chunks, content_type="application/x-tar")

    async def get_containers_logs(self, request: Request) -> StreamingResponse:
        """The container's logs (multiplexed without a TTY since API 1.42)."""
        options = LogsOptions.from_query(request.query)
        chunks, tty = self.backend.logs(request.vars["name"], options)
        content = MULTIPLEXED_STREAM if not tty and _at_least(request, "1.42") else RAW_STREAM
        return StreamingResponse(chunks, content_type=content)

    async def get_containers_stats(self, request: Request) -> AnyResponse:
        """Resource usage: a stream of samples, or one."""
        stream = request.query.get_bool("stream", True)
        one_shot = request.query.get_bool("one-shot", False) if _at_least(request, "1.41") else False
        samples = self.backend.stats(request.vars["name"], stream=stream, one_shot=one_shot)
        if not stream:
            async for sample in samples:
                return Response(200, api.encode(sample) + b"\n", JSON)
            return Response(200, b"", JSON)

        async def lines() -> AsyncIterator[bytes]:
            async for sample in samples:
                yield api.encode(sample) + b"\n"

        return StreamingResponse(lines())

    # -- creating and removing -------------------------------------------------------------
    async def post_containers_create(self, request: Request) -> Response:
        """Create a container (201)."""
        data = await request.body.read_all()
        if not data.strip():
            raise errdefs.InvalidParameter("invalid JSON: got EOF while reading request body")
        body = api.decode_lenient(data, api.ContainerCreateRequest)
        response = await self.backend.create(
            request.query.get("name", ""), body, platform=request.query.get("platform", "")
        )
        return json_response(response, 201)

    async def delete_containers(self, request: Request) -> Response:
        """Remove a container (204)."""
        query = request.query
        await self.backend.remove(
            request.vars["name"],
            force=query.get_bool("force"),
            volumes=query.get_bool("v"),
            link=query.get_bool("link"),
        )
        return _NO_CONTENT

    async def post_containers_prune(self, request: Request) -> Response:
        """Remove the stopped containers the filters select."""
        return json_response(await self.backend.prune(request.query.get_filters()))

    # -- lifecycle ---------------------------------------------------------------------------
    async def post_containers_start(self, request: Request) -> Response:
        """Start (204; 304 when it runs already)."""
        expected = request.body.expected
        if expected is None or expected > 7:
            data = await request.body.read_all()
            if len(data.strip()) > 7 or (expected is None and data.strip() not in (b"", b"{}", b"null")):
                raise errdefs.InvalidParameter(
                    "starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24"
                )
        if request.query.get("checkpoint"):
            raise errdefs.InvalidParameter("checkpoint is only supported in experimental mode")
        await self.backend.start(request.vars["name"])
        return _NO_CONTENT

    def _stop_options(self, request: Request) -> tuple[str, int | None]:
        signal = request.query.get("signal", "") if _at_least(request, "1.42") else ""
        timeout = _int_query(request, "t") if request.query.get("t") else None
        return signal, timeout

    async def post_containers_stop(self, request: Request) -> Response:
        """Stop (204; 304 when it is not running)."""
        signal, timeout = self._stop_options(request)
        await self.backend.stop(request.vars["name"], signal=signal, timeout=timeout)
        return _NO_CONTENT

    async def post_containers_restart(self, request: Request) -> Response:
        """Restart (204)."""
        signal, timeout = self._stop_options(request)
        await self.backend.restart(request.vars["name"], signal=signal, timeout=timeout)
        return _NO_CONTENT

    async def post_containers_kill(self, request: Request) -> Response:
        """Send a signal (204)."""
        name = request.vars["name"]
        try:
            await self.backend.kill(name, request.query.get("signal", ""))
        except errdefs.PymobyError as exc:
            raise type(exc)(f"cannot kill container: {name}: {exc}") from exc
        return _NO_CONTENT

    async def post_containers_pause(self, request: Request) -> Response:
        """Pause (204)."""
        await self.backend.pause(request.vars["name"])
        return _NO_CONTENT

    async def post_containers_unpause(self, request: Request) -> Response:
        """Unpause (204)."""
        await self.backend.unpause(request.vars["name"])
        return _NO_CONTENT

    async def post_containers_rename(self, request: Request) -> Response:
        """Rename (204)."""
        await self.backend.rename(request.vars["name"], request.query.get("name", ""))
        return _NO_CONTENT

    async def post_containers_update(self, request: Request) -> Response:
        """Change resources or the restart policy."""
        data = await request.body.read_all()
        body = api.decode_lenient(data or b"{}", api.ContainerUpdateRequest)
        return json_response(await self.backend.update(request.vars["name"], body))

    async def post_containers_resize(self, request: Request) -> Response:
        """Resize the TTY (200)."""
        height, width = _int_query(request, "h"), _int_query(request, "w")
        await self.backend.resize(request.vars["name"], height, width)
        return Response(200)

    async def post_containers_wait(self, request: Request) -> StreamingResponse:
        """Wait for a condition; the headers go at once, the exit code when it comes."""
        value = request.query.get("condition", "") if _at_least(request, "1.30") else ""
        try:
            condition = WaitCondition(value) if value else WaitCondition.NOT_RUNNING
        except ValueError:
            raise errdefs.InvalidParameter(f'invalid condition: "{value}"') from None
        waiting = self.backend.wait(request.vars["name"], condition)

        async def answer() -> AsyncIterator[bytes]:
            result = await waiting()
            yield api.encode(wait_response(result)) + b"\n"

        return StreamingResponse(answer())

    # -- attach ------------------------------------------------------------------------------
    async def post_containers_attach(self, request: Request) -> HijackResponse:
        """Attach to the container's stdio on the hijacked connection."""
        query = request.query
        options = AttachOptions(
            stdin=query.get_bool("stdin"),
            stdout=query.get_bool("stdout"),
            stderr=query.get_bool("stderr"),
            logs=query.get_bool("logs"),
            stream=query.get_bool("stream"),
            detach_keys=query.get("detachKeys", ""),
        )
        prepared = self.backend.prepare_attach(request.vars["name"], options)
        content = RAW_STREAM
        if prepared.multiplexed and request.upgrade and _at_least(request, "1.42"):
            content = MULTIPLEXED_STREAM

        async def run(connection: anyio.abc.ByteStream) -> None:
            await self.backend.run_attach(prepared, connection)

        return HijackResponse(run, content)

    async def get_containers_attach_ws(self, request: Request) -> HijackResponse:
        """Attach over a websocket: the output in binary frames, the client's frames as stdin.

        As moby: never multiplexed (stdout and stderr share the frames);
        before API 1.42 stdin, stdout and stderr are all attached whatever
        the query says. Errors before the handshake (no such container, not a
        websocket request) are plain HTTP answers.
        """
        query = request.query
        every = not _at_least(request, "1.42")
        options = AttachOptions(
            stdin=every or query.get_bool("stdin"),
            stdout=every or query.get_bool("stdout"),
            stderr=every or query.get_bool("stderr"),
            logs=query.get_bool("logs"),
            stream=query.get_bool("stream"),
            detach_keys=query.get("detachKeys", ""),
        )
        prepared = replace(self.backend.prepare_attach(request.vars["name"], options), multiplexed=False)
        try:
            websocket_accept(request)  # as moby: a missing container is a 404 even when this is no handshake
        except BadHandshake:
            await prepared.attachment.aclose()
            raise

        async def run(connection: anyio.abc.ByteStream) -> None:
            await self.backend.run_attach(prepared, connection)

        return websocket_response(request, run, binary=_at_least(request, "1.28"))
