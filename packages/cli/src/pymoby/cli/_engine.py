"""The Engine API calls the CLI makes, over pymoby-client.

:class:`Engine` wraps pymoby-client with one method per call the commands
need, answering the daemon's JSON as plain data (``dict``/``list``), which is
also what ``--format`` templates walk.

A one-shot command (``version``, ``ps``, ``inspect``, ``rm``...) runs with a
*blocking* engine: its requests go over :class:`~pymoby.client.BlockingClient`
(standard-library sockets, no event loop), so its ``async`` methods never
suspend and the command's body runs to completion without asyncio, anyio or
h11 being imported. Other commands run on an event loop with an
:class:`~pymoby.client.AsyncClient`.

Streamed answers come from :meth:`Engine.open_stream` (pymoby-client's
``AsyncClient.open``): the head is known before the body (``docker run``
must know its ``wait`` is registered before it starts the container), and
requests may carry headers (``X-Registry-Auth``) and streamed bodies
(build contexts, image archives, ``cp`` uploads).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pymoby import errdefs

if TYPE_CHECKING:
    from pymoby.client import AsyncClient, BlockingClient, Body, HijackedConnection, RawResponse, StreamedResponse

__all__ = ["Engine", "OpenStream"]

Query = Mapping[str, str | int | bool | Sequence[str] | None]


def _filters(filters: Mapping[str, Sequence[str]] | None) -> str | None:
    """The ``filters`` query argument: ``{"name": {"value": true}}`` JSON (as ``pymoby.api.Filters``)."""
    values = {name: sorted(set(vals)) for name, vals in (filters or {}).items() if vals}
    if not values:
        return None
    body = {name: dict.fromkeys(vals, True) for name, vals in sorted(values.items())}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def decode(content: bytes) -> Any:
    """JSON ``content`` as plain data; ``DataLoss`` when it is not JSON."""
    try:
        return json.loads(content)
    except ValueError as exc:
        raise errdefs.DataLoss(f"invalid JSON from the daemon: {exc}") from exc


class OpenStream:
    """An answer whose head has arrived: ``status``, ``headers``; iterate it for the body.

    A :class:`~pymoby.client.StreamedResponse` the engine tracks, so that the
    streams a command leaves open are closed when it ends.
    """

    def __init__(self, engine: Engine, answer: StreamedResponse) -> None:
        self.status = answer.status
        self.headers = answer.headers
        self._engine = engine
        self._answer = answer
        engine.open_streams.add(self)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._answer:
                yield chunk
        finally:
            if self._answer.closed:
                self._engine.open_streams.discard(self)

    async def read(self) -> bytes:
        """The whole remaining body."""
        return b"".join([c async for c in self._chunks()])

    async def json_lines(self) -> AsyncIterator[Any]:
        """Each JSON document of a streamed body (progress, stats, events)."""
        import msgspec

        decoder = msgspec.json.Decoder()
        buffer = b""
        try:
            async for chunk in self._chunks():
                buffer += chunk
                while True:
                    line, sep, rest = buffer.partition(b"\n")
                    if not sep:
                        break
                    buffer = rest
                    if line.strip():
                        try:
                            yield decoder.decode(line)
                        except msgspec.DecodeError as exc:
                            raise errdefs.DataLoss(f"malformed JSON in stream: {exc}") from exc
            if buffer.strip():
                yield decoder.decode(buffer)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and drop the connection (nothing when the body was read to its end)."""
        self._engine.open_streams.discard(self)
        await self._answer.aclose()


class Engine:
    """The daemon, as the CLI uses it. Arguments are those of pymoby-client's clients.

    With ``blocking``, requests are blocking calls (the engine's coroutines
    never suspend; streamed and hijacked calls are refused); otherwise they go
    through an :class:`~pymoby.client.AsyncClient` (``client``). Answers are
    the daemon's JSON as plain data; errors are pymoby-client's errdefs kinds.
    """

    def __init__(self, *args: Any, blocking: bool = False, **kwargs: Any) -> None:
        self.blocking = blocking
        self.open_streams: set[OpenStream] = set()
        self._sync: BlockingClient | None = None
        self._async: AsyncClient | None = None
        if blocking:
            from pymoby.client import BlockingClient

            self._sync = BlockingClient(*args, **kwargs)
        else:
            from pymoby.client import AsyncClient

            self._async = AsyncClient(*args, **kwargs)

    @property
    def client(self) -> AsyncClient:
        """The async client; ``errdefs.System`` for a blocking engine (its command needed a stream)."""
        if self._async is None:
            raise errdefs.System("internal error: a one-shot command asked for a streamed call")
        return self._async

    def close(self) -> None:
        """Close the idle connections of a blocking engine."""
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the streams still open, then the idle connections."""
        for stream in list(self.open_streams):
            await stream.aclose()
        if self._async is not None:
            await self._async.aclose()
        self.close()

    async def api_version(self) -> str:
        """The API version in use (negotiated on first use)."""
        if self._sync is not None:
            return self._sync.api_version()
        return await self.client.api_version()

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[RawResponse, bytes]:
        """A request answered whole (the errdefs kind of the status raised on >= 400)."""
        if self._sync is not None and (body is None or not hasattr(body, "__aiter__")):
            return self._sync.request(method, path, query=query, body=body, headers=headers)
        return await self.client.request(method, path, query=query, body=body, headers=headers)

    async def hijack(
        self, method: str, path: str, *, query: Query | None = None, body: object = None
    ) -> HijackedConnection:
        """An upgraded request's raw stream (attach, exec start)."""
        return await self.client.hijack(method, path, query=query, body=body)

    # -- plumbing --------------------------------------------------------------------
    async def open_stream(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> OpenStream:
        """Send a request and return once the answer's head is in; the body streams from it.

        Raises the errdefs kind of the status (with the daemon's message) on >= 400.
        """
        return OpenStream(self, await self.client.open(method, path, query=query, body=body, headers=headers))

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A request whose answer is JSON (or empty: ``None``)."""
        _, content = await self.request(method, path, query=query, body=body, headers=headers)
        return decode(content) if content.strip() else None

    # -- containers ------------------------------------------------------------------
    async def containers(
        self,
        *,
        all_: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /containers/json``."""
        query = {"all": all_ or None, "limit": limit if limit > 0 else None, "size": size or None}
        query["filters"] = _filters(filters)  # type: ignore[assignment]
        return await self.call("GET", "/containers/json", query=query) or []

    async def container_inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]:
        """``GET /containers/{id}/json``."""
        return await self.call("GET", f"/containers/{ref}/json", query={"size": size or None})

    async def container_create(self, body: Mapping[str, Any], *, name: str = "", platform: str = "") -> dict[str, Any]:
        """``POST /containers/create``: ``{"Id": ..., "Warnings": [...]}``."""
        query = {"name": name or None, "platform": platform or None}
        return await self.call("POST", "/containers/create", query=query, body=dict(body))

    async def container_start(self, ref: str, *, detach_keys: str = "") -> None:
        """``POST /containers/{id}/start``."""
        await self.request("POST", f"/containers/{ref}/start", query={"detachKeys": detach_keys or None})

    async def container_stop(self, ref: str, *, signal: str = "", seconds: int | None = None) -> None:
        """``POST /containers/{id}/stop`` (``seconds``: how long to wait before SIGKILL)."""
        await self.request("POST", f"/containers/{ref}/stop", query={"signal": signal or None, "t": seconds})

    async def container_restart(self, ref: str, *, signal: str = "", seconds: int | None = None) -> None:
        """``POST /containers/{id}/restart`` (``seconds``: how long to wait before SIGKILL)."""
        await self.request("POST", f"/containers/{ref}/restart", query={"signal": signal or None, "t": seconds})

    async def container_kill(self, ref: str, *, signal: str = "") -> None:
        """``POST /containers/{id}/kill``."""
        await self.request("POST", f"/containers/{ref}/kill", query={"signal": signal or None})

    async def container_remove(
        self, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        """``DELETE /containers/{id}``."""
        query = {"force": force or None, "v": volumes or None, "link": link or None}
        await self.request("DELETE", f"/containers/{ref}", query=query)

    async def container_wait(self, ref: str, condition: str = "") -> OpenStream:
        """``POST /containers/{id}/wait``, returned once the daemon registered it (read the body for the result)."""
        return await self.open_stream("POST", f"/containers/{ref}/wait", query={"condition": condition or None})

    async def container_attach(
        self, ref: str, *, stdin: bool, stdout: bool, stderr: bool, stream: bool = True, logs: bool = False,
        detach_keys: str = "",
    ) -> HijackedConnection:  # fmt: skip
        """``POST /containers/{id}/attach``: the hijacked stream."""
        query: dict[str, str | bool | None] = {"stream": stream, "stdin": stdin, "stdout": stdout, "stderr": stderr}
        query |= {"logs": logs or None, "detachKeys": detach_keys or None}
        return await self.hijack("POST", f"/containers/{ref}/attach", query=query)

    async def container_resize(self, ref: str, height: int, width: int) -> None:
        """``POST /containers/{id}/resize``."""
        await self.request("POST", f"/containers/{ref}/resize", query={"h": height, "w": width})

    async def container_logs(self, ref: str, query: Query) -> OpenStream:
        """``GET /containers/{id}/logs``."""
        return await self.open_stream("GET", f"/containers/{ref}/logs", query=query)

    async def container_top(self, ref: str, ps_args: str = "") -> dict[str, Any]:
        """``GET /containers/{id}/top``."""
        return await self.call("GET", f"/containers/{ref}/top", query={"ps_args": ps_args or None})

    async def container_stats(self, ref: str, *, stream: bool) -> OpenStream:
        """``GET /containers/{id}/stats``."""
        return await self.open_stream("GET", f"/containers/{ref}/stats", query={"stream": stream})

    async def container_rename(self, ref: str, name: str) -> None:
        """``POST /containers/{id}/rename``."""
        await self.request("POST", f"/containers/{ref}/rename", query={"name": name})

    async def container_pause(self, ref: str) -> None:
        """``POST /containers/{id}/pause``."""
        await self.request("POST", f"/containers/{ref}/pause")

    async def container_unpause(self, ref: str) -> None:
        """``POST /containers/{id}/unpause``."""
        await self.request("POST", f"/containers/{ref}/unpause")

    async def container_update(self, ref: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /containers/{id}/update``: ``{"Warnings": [...]}``."""
        return await self.call("POST", f"/containers/{ref}/update", body=dict(body)) or {}

    async def container_changes(self, ref: str) -> list[dict[str, Any]]:
        """``GET /containers/{id}/changes``."""
        return await self.call("GET", f"/containers/{ref}/changes") or []

    async def container_export(self, ref: str) -> OpenStream:
        """``GET /containers/{id}/export``: a tar stream."""
        return await self.open_stream("GET", f"/containers/{ref}/export")

    async def archive_get(self, ref: str, path: str) -> OpenStream:
        """``GET /containers/{id}/archive``: a tar of ``path``; its stat in ``X-Docker-Container-Path-Stat``."""
        return await self.open_stream("GET", f"/containers/{ref}/archive", query={"path": path})

    async def archive_stat(self, ref: str, path: str) -> RawResponse:
        """``HEAD /containers/{id}/archive``."""
        response, _ = await self.request("HEAD", f"/containers/{ref}/archive", query={"path": path})
        return response

    async def archive_put(self, ref: str, path: str, tar: Body, *, copy_uid_gid: bool = False) -> None:
        """``PUT /containers/{id}/archive``: extract ``tar`` into ``path``."""
        query = {"path": path, "copyUIDGID": copy_uid_gid or None, "noOverwriteDirNonDir": True}
        await self.request("PUT", f"/containers/{ref}/archive", query=query, body=tar,
                           headers={"Content-Type": "application/x-tar"})  # fmt: skip

    async def commit(self, query: Query, config: Mapping[str, Any] | None) -> dict[str, Any]:
        """``POST /commit``: ``{"Id": ...}``."""
        return await self.call("POST", "/commit", query=query, body=dict(config) if config else None)

    async def containers_prune(self, filters: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
        """``POST /containers/prune``."""
        return await self.call("POST", "/containers/prune", query={"filters": _filters(filters)}) or {}

    # -- exec ------------------------------------------------------------------------
    async def exec_create(self, ref: str, body: Mapping[str, Any]) -> str:
        """``POST /containers/{id}/exec``: the exec ID."""
        answer = await self.call("POST", f"/containers/{ref}/exec", body=dict(body))
        return str(answer["Id"])

    async def exec_start_detached(self, exec_id: str, *, tty: bool) -> None:
        """``POST /exec/{id}/start`` with ``Detach``."""
        await self.request("POST", f"/exec/{exec_id}/start", body={"Detach": True, "Tty": tty})

    async def exec_attach(self, exec_id: str, *, tty: bool, console_size: tuple[int, int] | None) -> HijackedConnection:
        """``POST /exec/{id}/start`` attached: the hijacked stream."""
        body: dict[str, Any] = {"Detach": False, "Tty": tty}
        if console_size:
            body["ConsoleSize"] = list(console_size)
        return await self.hijack("POST", f"/exec/{exec_id}/start", body=body)

    async def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        """``GET /exec/{id}/json``."""
        return await self.call("GET", f"/exec/{exec_id}/json")

    async def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        """``POST /exec/{id}/resize``."""
        await self.request("POST", f"/exec/{exec_id}/resize", query={"h": height, "w": width})

    # -- images ----------------------------------------------------------------------
    async def images(
        self, *, all_: bool = False, filters: Mapping[str, Sequence[str]] | None = None
    ) -> list[dict[str, Any]]:
        """``GET /images/json``."""
        return await self.call("GET", "/images/json", query={"all": all_ or None, "filters": _filters(filters)}) or []

    async def image_inspect(self, ref: str) -> dict[str, Any]:
        """``GET /images/{name}/json``."""
        return await self.call("GET", f"/images/{ref}/json")

    async def image_pull(self, image: str, tag: str, *, auth: str, platform: str = "") -> OpenStream:
        """``POST /images/create?fromImage=``: the progress stream."""
        query = {"fromImage": image, "tag": tag or None, "platform": platform or None}
        return await self.open_stream("POST", "/images/create", query=query, headers={"X-Registry-Auth": auth})

    async def image_import(self, source: Body, query: Query) -> OpenStream:
        """``POST /images/create?fromSrc=``: the progress stream."""
        headers = {"Content-Type": "application/x-tar"} if source is not None else None
        return await self.open_stream("POST", "/images/create", query=query, body=source, headers=headers)

    async def image_push(self, name: str, tag: str, *, auth: str, platform: str = "") -> OpenStream:
        """``POST /images/{name}/push``: the progress stream."""
        query = {"tag": tag or None, "platform": platform or None}
        return await self.open_stream("POST", f"/images/{name}/push", query=query, headers={"X-Registry-Auth": auth})

    async def image_tag(self, source: str, repo: str, tag: str) -> None:
        """``POST /images/{name}/tag``."""
        await self.request("POST", f"/images/{source}/tag", query={"repo": repo, "tag": tag or None})

    async def image_remove(self, ref: str, *, force: bool = False, prune: bool = True) -> list[dict[str, Any]]:
        """``DELETE /images/{name}``: what was untagged and deleted."""
        query = {"force": force or None, "noprune": (not prune) or None}
        return await self.call("DELETE", f"/images/{ref}", query=query) or []

    async def image_save(self, names: Sequence[str]) -> OpenStream:
        """``GET /images/get``: a tar stream."""
        return await self.open_stream("GET", "/images/get", query={"names": list(names)})

    async def image_load(self, tar: Body, *, quiet: bool) -> OpenStream:
        """``POST /images/load``: the progress (or a final message) stream."""
        return await self.open_stream("POST", "/images/load", query={"quiet": quiet}, body=tar,
                                      headers={"Content-Type": "application/x-tar"})  # fmt: skip

    async def image_history(self, ref: str) -> list[dict[str, Any]]:
        """``GET /images/{name}/history``."""
        return await self.call("GET", f"/images/{ref}/history") or []

    async def images_prune(self, filters: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
        """``POST /images/prune``."""
        return await self.call("POST", "/images/prune", query={"filters": _filters(filters)}) or {}

    async def build(self, context: Body, query: Query, headers: Mapping[str, str]) -> OpenStream:
        """``POST /build``: the build's progress stream."""
        all_headers = {"Content-Type": "application/x-tar", **headers}
        return await self.open_stream("POST", "/build", query=query, body=context, headers=all_headers)

    # -- volumes and networks -------------------------------------------------------
    async def volumes(self, filters: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
        """``GET /volumes``: ``{"Volumes": [...], "Warnings": [...]}``."""
        return await self.call("GET", "/volumes", query={"filters": _filters(filters)}) or {}

    async def volume_create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /volumes/create``."""
        return await self.call("POST", "/volumes/create", body=dict(body))

    async def volume_inspect(self, name: str) -> dict[str, Any]:
        """``GET /volumes/{name}``."""
        return await self.call("GET", f"/volumes/{name}")

    async def volume_remove(self, name: str, *, force: bool = False) -> None:
        """``DELETE /volumes/{name}``."""
        await self.request("DELETE", f"/volumes/{name}", query={"force": force or None})

    async def volumes_prune(self, filters: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
        """``POST /volumes/prune``."""
        return await self.call("POST", "/volumes/prune", query={"filters": _filters(filters)}) or {}

    async def networks(self, filters: Mapping[str, Sequence[str]] | None = None) -> list[dict[str, Any]]:
        """``GET /networks``."""
        return await self.call("GET", "/networks", query={"filters": _filters(filters)}) or []

    async def network_create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /networks/create``."""
        return await self.call("POST", "/networks/create", body=dict(body))

    async def network_inspect(self, ref: str, *, verbose: bool = False, scope: str = "") -> dict[str, Any]:
        """``GET /networks/{id}``."""
        query = {"verbose": verbose or None, "scope": scope or None}
        return await self.call("GET", f"/networks/{ref}", query=query)

    async def network_remove(self, ref: str) -> None:
        """``DELETE /networks/{id}``."""
        await self.request("DELETE", f"/networks/{ref}")

    async def network_connect(self, network: str, container: str, endpoint: Mapping[str, Any] | None) -> None:
        """``POST /networks/{id}/connect``."""
        body = {"Container": container, "EndpointConfig": dict(endpoint) if endpoint else None}
        await self.request("POST", f"/networks/{network}/connect", body=body)

    async def network_disconnect(self, network: str, container: str, *, force: bool = False) -> None:
        """``POST /networks/{id}/disconnect``."""
        await self.request("POST", f"/networks/{network}/disconnect", body={"Container": container, "Force": force})

    async def networks_prune(self, filters: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
        """``POST /networks/prune``."""
        return await self.call("POST", "/networks/prune", query={"filters": _filters(filters)}) or {}

    # -- system ----------------------------------------------------------------------
    async def raw_version(self) -> dict[str, Any]:
        """``GET /version`` as plain data."""
        return await self.call("GET", "/version")

    async def raw_info(self) -> dict[str, Any]:
        """``GET /info`` as plain data."""
        return await self.call("GET", "/info")

    async def raw_disk_usage(self, types: Sequence[str] = ()) -> dict[str, Any]:
        """``GET /system/df`` as plain data."""
        return await self.call("GET", "/system/df", query={"type": list(types) or None})

    async def raw_events(
        self, *, since: str | None, until: str | None, filters: Mapping[str, Sequence[str]] | None
    ) -> OpenStream:
        """``GET /events``: the event stream."""
        query = {"since": since, "until": until, "filters": _filters(filters)}
        return await self.open_stream("GET", "/events", query=query)

    async def login(self, config: Mapping[str, str]) -> dict[str, Any]:
        """``POST /auth``: ``{"Status": ..., "IdentityToken": ...}``; ``Unauthorized`` when refused."""
        return await self.call("POST", "/auth", body=dict(config)) or {}
